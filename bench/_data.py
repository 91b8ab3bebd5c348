"""The CSVs the transfer benchmarks move: generated once per size into ``bench/_work``.

``generate_csv``: a panel like the service's datasets: a date, an entity, and six
numeric columns, every (date, entity) pair unique so processing keeps every row.
``generate_wide_csv``: 64 columns of mixed kinds (dates, floats, integers,
nullable integers, strings with commas and quotes, missing values), for the
DataFrame upload. Deterministic, so every run uploads the same bytes.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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


# -- a 64-column panel, for the DataFrame upload --------------------------------------

#: The 62 columns after Date and Entity cycle through these kinds; the prefix of a
#: column's name says its kind, so a reader can give each its dtype (``read_wide``).
WIDE_KINDS = ("float", "int", "intna", "text", "day", "price")
WIDE_COLUMNS = 64
#: Strings as panels hold them, quoting included: commas, quotes, both, a line break.
WORDS = ["plain", "a, b", 'say "hi"', 'both, "q"', "line\nbreak", "x" * 24, "ünïcode", "AR"]


def wide_csv_path(size_mb: int) -> Path:
    return WORK / f"wide{WIDE_COLUMNS}-{size_mb}mb.csv"


def _wide_chunk(rng: Any, start: int, rows: int) -> Any:
    """``rows`` rows of the 64-column panel from row ``start``, as a DataFrame."""
    import numpy as np
    import pandas as pd

    index = np.arange(start, start + rows)
    columns: dict[str, object] = {
        "Date": pd.Timestamp("1900-01-01") + pd.to_timedelta(index // len(ENTITIES), "D"),
        "Entity": np.array(ENTITIES, dtype=object)[index % len(ENTITIES)],
    }
    words = np.array(WORDS, dtype=object)
    for i in range(WIDE_COLUMNS - 2):
        kind = WIDE_KINDS[i % len(WIDE_KINDS)]
        missing = rng.random(rows) < 0.03  # 3% missing in the kinds that allow it
        name = f"{kind}{i}"
        if kind == "float":
            values = (rng.normal(0, 1, rows) * 10.0 ** rng.integers(-3, 7, rows)).round(6)
            values[missing] = np.nan
            columns[name] = values
        elif kind == "int":
            columns[name] = rng.integers(-(10**6), 10**6, rows)
        elif kind == "intna":
            ints = pd.array(rng.integers(0, 10**5, rows), dtype="Int64")
            ints[missing] = pd.NA
            columns[name] = ints
        elif kind == "text":
            text = words[rng.integers(0, len(words), rows)]
            text[missing] = None
            columns[name] = text
        elif kind == "day":
            days = pd.Series(
                pd.Timestamp("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, rows), "D")
            )
            days[missing] = pd.NaT
            columns[name] = days.to_numpy()
        else:
            columns[name] = rng.uniform(1, 1000, rows).round(4)
    return pd.DataFrame(columns)


def generate_wide_csv(size_mb: int) -> Path:
    """A 64-column CSV (dates, floats, ints, nullable ints, strings with commas and
    quotes, 3% missing values) of at least ``size_mb`` MiB (cached); its path.
    Written by pandas, in blocks of rows, from a seeded generator."""
    import numpy as np

    path = wide_csv_path(size_mb)
    size = size_mb * MB
    if path.exists() and path.stat().st_size >= size:
        return path
    where = path.relative_to(WORK.parent.parent)
    log(f"generating a {size_mb} MB {WIDE_COLUMNS}-column CSV at {where} (once)")
    WORK.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(64)
    partial = path.with_suffix(".part")
    start = 0
    rows = 20_000
    with open(partial, "w", encoding="utf-8", newline="") as out:
        while out.tell() < size:
            frame: Any = _wide_chunk(rng, start, rows)
            frame.to_csv(out, index=False, header=start == 0)
            start += rows
    partial.replace(path)
    return path

