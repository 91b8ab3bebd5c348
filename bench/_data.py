"""The CSV the transfer benchmarks move: generated once per size into ``bench/_work``.

A panel like the service's datasets: a date, an entity, and six numeric
columns, every (date, entity) pair unique so processing keeps every row.
Deterministic, so every run uploads the same bytes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from _common import WORK, log

MB = 1024 * 1024
ENTITIES = [f"E{i:04d}" for i in range(1000)]
HEADER = "Date,Entity,Open,High,Low,Close,Volume,Rate\n"


def csv_path(size_mb: int) -> Path:
    return WORK / f"panel-{size_mb}mb.csv"


def generate_csv(size_mb: int) -> Path:
    """A CSV of at least ``size_mb`` MiB (cached); its path."""
    path = csv_path(size_mb)
    size = size_mb * MB
    if path.exists() and path.stat().st_size >= size:
        return path
    log(f"generating a {size_mb} MB CSV at {path.relative_to(WORK.parent.parent)} (once)")
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(6)
    partial = path.with_suffix(".part")
    day = date(1900, 1, 1)
    written = 0
    with open(partial, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        while written < size:
            stamp = day.isoformat()
            block = "".join(
                f"{stamp},{entity},{(p := rng.uniform(10, 1000)):.4f},{p * 1.01:.4f},"
                f"{p * 0.99:.4f},{rng.uniform(10, 1000):.4f},{rng.randrange(10**6)},"
                f"{rng.random():.6f}\n"
                for entity in ENTITIES
            )
            out.write(block)
            written += len(block)
            day += timedelta(days=1)
    partial.replace(path)
    return path
