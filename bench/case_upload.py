"""A large CSV uploaded from a file and from a DataFrame, to a sink: time and peak RSS.

The server is the sink (``workers/sink.py``: it reads the body and drops it), so
the client is what is measured, not the emulator's ingest. Sides, interleaved,
each in a fresh process, median of the repetitions:

- ``sdk``: this SDK's ``upload_data_from_csv(path)`` / ``upload_data_from_df(df)``;
- ``floor`` (files only): ``workers/upload_floor.py``, one thread reading, gzipping
  at the SDK's level and sending over a raw socket (compressing and sending
  overlap through the socket buffer);
- ``v019``: alphacast 0.1.9 (gzip level 9; a file must be read into a str first);
- ``gzip alone``: the time to gzip the file at the SDK's level in one thread, no I/O.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

from _common import PYTHON, log, median, run_worker, venv_python, worker_env
from _context import Context
from _data import MB, generate_csv
from _report import Check, Measurement, megabytes, ratio, seconds
from _sink import endpoint_args, sink

from alphacast.resources._upload import GZIP_LEVEL

RSS_LIMIT = 64 * MB
#: 0.1.9 compresses at gzip level 9: ``sdk-9`` is this SDK at that level, for a
#: comparison that is not mostly the choice of level.
REFERENCE_LEVEL = 9
VARIANTS = [
    ("file", "sdk"),
    ("file", "floor"),
    ("file", "v019"),
    ("file", "sdk-9"),
    ("df", "sdk"),
    ("df", "v019"),
]
SOURCE_LABEL = {"file": "upload_data_from_csv", "df": "upload_data_from_df"}


def run(ctx: Context) -> None:
    csv = generate_csv(ctx.size_mb)
    size = csv.stat().st_size
    outcome: dict[tuple[str, str], list[dict[str, float]]] = {v: [] for v in VARIANTS}
    with sink(csv) as url:
        for rep in range(ctx.reps_transfer):
            for source, side in VARIANTS:
                if side == "floor":
                    args = [url, str(csv), str(GZIP_LEVEL)]
                    result = run_worker(PYTHON, "upload_floor.py", args, worker_env())
                    result.update(rss_growth=0, baseline_rss=0)
                elif side == "sdk-9":
                    args = ["sdk", *endpoint_args(url), source, str(csv)]
                    args += ["--level", str(REFERENCE_LEVEL)]
                    result = run_worker(PYTHON, "upload.py", args, worker_env())
                else:
                    python = venv_python() if side == "v019" else PYTHON
                    args = [side, *endpoint_args(url), source, str(csv)]
                    result = run_worker(python, "upload.py", args, worker_env())
                outcome[(source, side)].append(result)
                log(
                    f"upload {source}/{side} rep {rep + 1}: {seconds(result['seconds'])}, "
                    f"RSS +{megabytes(result['rss_growth'])}"
                )
    _report(ctx, outcome, size, _gzip_alone(csv))


def _gzip_alone(csv: Path) -> tuple[float, int]:
    """Seconds and bytes of gzipping ``csv`` at the SDK's level in one thread."""
    engine = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)
    out = 0
    started = time.perf_counter()
    with open(csv, "rb") as source:
        while block := source.read(MB):
            out += len(engine.compress(block))
    out += len(engine.flush())
    return time.perf_counter() - started, out


def _report(
    ctx: Context,
    outcome: dict[tuple[str, str], list[dict[str, float]]],
    size: int,
    alone: tuple[float, int],
) -> None:
    how = f"median of {ctx.reps_transfer}"
    for source in ("file", "df"):
        sdk = _summary(outcome[(source, "sdk")], size)
        ref = _summary(outcome[(source, "v019")], size)
        what = "a file (0.1.9: read into a str first)" if source == "file" else "a DataFrame"
        floor_text = ""
        if source == "file":
            floor = _summary(outcome[(source, "floor")], size)
            floor_text = (
                f"{floor['text']} (read + gzip -{GZIP_LEVEL} + send, one thread, raw socket); "
                f"gzip -{GZIP_LEVEL} alone: {seconds(alone[0])}, "
                f"{alone[1] / size * 100:.1f}% of the CSV"
            )
        ctx.results.measurements.append(
            Measurement(
                f"{SOURCE_LABEL[source]}: {size / MB:.0f} MB CSV from {what} to a sink, {how}",
                sdk["text"],
                ref["text"],
                floor_text,
            )
        )
        speedup = ref["seconds"] / sdk["seconds"]
        wanted = 4.0 if source == "file" else 3.0
        ctx.results.checks += [
            Check(
                f"{SOURCE_LABEL[source]} ({source}): peak RSS growth",
                "< 64 MB",
                f"{megabytes(sdk['growth'])} (0.1.9: {megabytes(ref['growth'])})",
                sdk["growth"] < RSS_LIMIT,
            ),
            Check(
                f"{SOURCE_LABEL[source]} ({source}): 0.1.9 time / this SDK's",
                f">= {wanted:.1f}x",
                ratio(speedup),
                speedup >= wanted,
            ),
        ]
        if source == "file":
            same = _summary(outcome[(source, "sdk-9")], size)
            ctx.results.measurements.append(
                Measurement(
                    f"{SOURCE_LABEL[source]}: {size / MB:.0f} MB CSV from a file, both at "
                    f"gzip level {REFERENCE_LEVEL} (0.1.9's), {how}",
                    same["text"],
                    ref["text"],
                )
            )
            at_equal = ref["seconds"] / same["seconds"]
            ctx.results.checks.append(
                Check(
                    f"upload_data_from_csv (file) at level {REFERENCE_LEVEL}: 0.1.9 / this SDK",
                    "reported",
                    ratio(at_equal),
                    None,
                )
            )
            to_floor = sdk["seconds"] / floor["seconds"]
            ctx.results.checks.append(
                Check(
                    "upload_data_from_csv (file): this SDK / the floor",
                    "<= 1.15x",
                    ratio(to_floor),
                    to_floor <= 1.15,
                )
            )


def _summary(results: list[dict[str, float]], size: int) -> dict[str, object]:
    took = median([r["seconds"] for r in results])
    growth = max(r["rss_growth"] for r in results)
    text = f"{seconds(took)} ({size / MB / took:.0f} MB/s)"
    if growth:
        text += f", RSS +{megabytes(growth)} over {megabytes(median([r['baseline_rss'] for r in results]))}"
    return {"seconds": took, "growth": growth, "text": text}
