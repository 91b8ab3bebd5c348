"""A large CSV uploaded from a file and from a DataFrame, to a sink: time and peak RSS.

The server is the sink (``workers/sink.py``: it reads the body, chunked or by
length, and drops it), so the client is what is measured, not the emulator's
ingest. Sides, interleaved, each in a fresh process, median of the repetitions:

- ``sdk``: this SDK's ``upload_data_from_csv(path)`` / ``upload_data_from_df(df)``
  as it runs by default: sent chunked while it is compressed (the sink takes
  chunked bodies);
- ``sdk-cl`` (files): the same with ``chunked_uploads=False``: gzip into the spool
  first, then send it with a ``Content-Length`` (what a server refusing chunked
  bodies gets);
- ``sdk-9``: this SDK at gzip level 9, 0.1.9's level, so the comparison with 0.1.9
  is not only the choice of level;
- ``v019``: alphacast 0.1.9 (gzip level 9; a file must be read into a str first).

The floors each figure is set against, all stated in the report:

- ``floor`` (files): ``workers/upload_floor.py``: one thread reading, gzipping at
  the SDK's level and sending each piece at once, chunked, over a raw socket, so
  compressing and sending overlap through the socket buffer (the sink drains it on
  another core). It is a one-thread floor: an SDK deflating on every core can beat
  it, which is why the next two are reported beside it;
- ``gzip alone``: gzipping the file at the SDK's level in one thread (``zlib``), no
  I/O: what one core's compression costs (median of three);
- ``parallel gzip alone``: the SDK's own parallel deflate of the file, no HTTP:
  the least the SDK's way of compressing can take on this machine (median of three).

The DataFrame is the 64-column CSV of ``_data.generate_wide_csv`` (dates, floats,
integers, nullable integers, strings with commas and quotes, missing values) read
with each column's dtype; the RSS baseline is taken with the frame loaded.
"""

from __future__ import annotations

import time
import zlib
from pathlib import Path

from _common import PYTHON, log, median, run_worker, venv_python, worker_env
from _context import Context
from _data import MB, WIDE_COLUMNS, generate_csv, generate_wide_csv
from _report import Check, Measurement, megabytes, ratio, seconds
from _sink import endpoint_args, sink

from alphacast.resources._upload import GZIP_LEVEL, gzip_blocks

RSS_LIMIT = 64 * MB
#: 0.1.9 compresses at gzip level 9: ``sdk-9`` is this SDK at that level, for a
#: comparison that is not mostly the choice of level.
REFERENCE_LEVEL = 9
VARIANTS = [
    ("file", "sdk"),
    ("file", "sdk-cl"),
    ("file", "floor"),
    ("file", "v019"),
    ("file", "sdk-9"),
    ("df", "sdk"),
    ("df", "v019"),
    ("df", "sdk-9"),
]
SOURCE_LABEL = {"file": "upload_data_from_csv", "df": "upload_data_from_df"}


def run(ctx: Context) -> None:
    files = {"file": generate_csv(ctx.size_mb), "df": generate_wide_csv(ctx.size_mb)}
    sizes = {source: path.stat().st_size for source, path in files.items()}
    outcome: dict[tuple[str, str], list[dict[str, float]]] = {v: [] for v in VARIANTS}
    with sink(files["file"]) as url:
        for rep in range(ctx.reps_transfer):
            for source, side in VARIANTS:
                csv = files[source]
                if side == "floor":
                    args = [url, str(csv), str(GZIP_LEVEL)]
                    result = run_worker(PYTHON, "upload_floor.py", args, worker_env())
                    result.update(rss_growth=0, baseline_rss=0)
                else:
                    python = venv_python() if side == "v019" else PYTHON
                    args = [side.split("-")[0], *endpoint_args(url), source, str(csv)]
                    if side == "sdk-9":
                        args += ["--level", str(REFERENCE_LEVEL)]
                    elif side == "sdk-cl":
                        args += ["--content-length"]
                    result = run_worker(python, "upload.py", args, worker_env())
                outcome[(source, side)].append(result)
                log(
                    f"upload {source}/{side} rep {rep + 1}: {seconds(result['seconds'])}, "
                    f"RSS +{megabytes(result['rss_growth'])}"
                )
    # Medians of three, in this process (warm page cache, as the workers have it).
    runs = [_gzip_alone(files["file"]) for _ in range(3)]
    alone = (median([took for took, _ in runs]), runs[0][1])
    parallel = median([_parallel_gzip_alone(files["file"]) for _ in range(3)])
    _report(ctx, outcome, sizes, alone, parallel)


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


def _parallel_gzip_alone(csv: Path) -> float:
    """Seconds of the SDK's parallel deflate of ``csv`` (reading included), no HTTP."""
    started = time.perf_counter()
    for _ in gzip_blocks(csv):
        pass
    return time.perf_counter() - started


def _report(
    ctx: Context,
    outcome: dict[tuple[str, str], list[dict[str, float]]],
    sizes: dict[str, int],
    alone: tuple[float, int],
    parallel: float,
) -> None:
    how = f"median of {ctx.reps_transfer}"
    for source in ("file", "df"):
        size = sizes[source]
        sdk = _summary(outcome[(source, "sdk")], size)
        ref = _summary(outcome[(source, "v019")], size)
        what = (
            "a file (0.1.9: read into a str first)"
            if source == "file"
            else f"a {WIDE_COLUMNS}-column DataFrame"
        )
        floor_text = ""
        if source == "file":
            floor = _summary(outcome[(source, "floor")], size)
            floor_text = (
                f"{floor['text']} (read + gzip -{GZIP_LEVEL} + send, one thread, raw socket); "
                f"gzip -{GZIP_LEVEL} alone, one thread: {seconds(alone[0])}, "
                f"{alone[1] / size * 100:.1f}% of the CSV; "
                f"the SDK's parallel gzip -{GZIP_LEVEL} alone: {seconds(parallel)}"
            )
        ctx.results.measurements.append(
            Measurement(
                f"{SOURCE_LABEL[source]}: {size / MB:.0f} MB CSV from {what} to a sink, "
                f"sent chunked, {how}",
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
        same = _summary(outcome[(source, "sdk-9")], size)
        ctx.results.measurements.append(
            Measurement(
                f"{SOURCE_LABEL[source]}: {size / MB:.0f} MB CSV from {what}, both at "
                f"gzip level {REFERENCE_LEVEL} (0.1.9's), {how}",
                same["text"],
                ref["text"],
            )
        )
        at_equal = ref["seconds"] / same["seconds"]
        ctx.results.checks.append(
            Check(
                f"{SOURCE_LABEL[source]} ({source}) at level {REFERENCE_LEVEL}: 0.1.9 / this SDK",
                "reported",
                ratio(at_equal),
                None,
            )
        )
        if source == "file":
            _report_file_floors(ctx, outcome, size, sdk, floor, parallel, how)


def _report_file_floors(
    ctx: Context,
    outcome: dict[tuple[str, str], list[dict[str, float]]],
    size: int,
    sdk: dict[str, object],
    floor: dict[str, object],
    parallel: float,
    how: str,
) -> None:
    spooled = _summary(outcome[("file", "sdk-cl")], size)
    ctx.results.measurements.append(
        Measurement(
            f"upload_data_from_csv: {size / MB:.0f} MB CSV from a file with a Content-Length "
            f"(chunked_uploads=False: gzip to the spool, then send), {how}",
            spooled["text"],
        )
    )
    to_floor = _seconds(sdk) / _seconds(floor)
    ctx.results.checks += [
        Check(
            "upload_data_from_csv (file): this SDK / the floor (one thread, read + gzip + send)",
            "<= 1.15x",
            ratio(to_floor),
            to_floor <= 1.15,
        ),
        Check(
            "upload_data_from_csv (file): Content-Length / chunked (this SDK, both ways)",
            "reported",
            ratio(_seconds(spooled) / _seconds(sdk)),
            None,
        ),
        Check(
            "upload_data_from_csv (file): this SDK / its parallel gzip alone (no HTTP)",
            "reported",
            ratio(_seconds(sdk) / parallel),
            None,
        ),
    ]


def _seconds(summary: dict[str, object]) -> float:
    value = summary["seconds"]
    assert isinstance(value, float)
    return value


def _summary(results: list[dict[str, float]], size: int) -> dict[str, object]:
    took = median([r["seconds"] for r in results])
    growth = max(r["rss_growth"] for r in results)
    text = f"{seconds(took)} ({size / MB / took:.0f} MB/s)"
    if growth:
        text += f", RSS +{megabytes(growth)} over {megabytes(median([r['baseline_rss'] for r in results]))}"
    return {"seconds": took, "growth": growth, "text": text}
