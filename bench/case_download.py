"""A large CSV downloaded to disk from a static sink: time and peak RSS growth.

The server is the sink (``workers/sink.py``), which answers every GET with the
generated CSV through ``sendfile``, so the client is what is measured, not the
emulator's CSV export. This SDK streams to the file (``download_data(path=...)``);
0.1.9 can only download into memory, so its side writes ``download_data()``'s
bytes out; ``curl -o`` is the floor.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from _common import PYTHON, WORK, log, median, run_worker, time_process, venv_python, worker_env
from _context import Context
from _data import MB, generate_csv
from _report import Check, Measurement, megabytes, ratio, seconds
from _sink import endpoint_args, sink

RSS_LIMIT = 64 * MB


def run(ctx: Context) -> None:
    csv = generate_csv(ctx.size_mb)
    out = WORK / "download.csv"
    curl = shutil.which("curl")
    sides = ("sdk", "v019", "curl") if curl else ("sdk", "v019")
    outcome: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    reps = max(5, ctx.reps_transfer)
    with sink(csv) as url:
        for rep in range(reps):
            for side in sides:
                try:
                    if side == "curl":
                        assert curl is not None
                        took = time_process(
                            [curl, "-sS", "-o", str(out), f"{url}/datasets/1/data?$format=csv"],
                            worker_env(),
                        )
                        result = {"seconds": took, "bytes": out.stat().st_size, "rss_growth": 0}
                    else:
                        python = venv_python() if side == "v019" else PYTHON
                        args = [side, *endpoint_args(url), str(out)]
                        result = run_worker(python, "download.py", args, worker_env())
                finally:
                    Path(out).unlink(missing_ok=True)
                outcome[side].append(result)
                log(
                    f"download {side} rep {rep + 1}: {megabytes(result['bytes'])} in "
                    f"{seconds(result['seconds'])}, RSS +{megabytes(result['rss_growth'])}"
                )
    sdk, ref = _summary(outcome["sdk"]), _summary(outcome["v019"])
    floor = f"curl -o: {_summary(outcome['curl'])['text']}" if curl else "curl not installed"
    ctx.results.measurements.append(
        Measurement(
            f"download_data to disk from a static sink: {sdk['bytes'] / MB:.0f} MB CSV, "
            f"median of {reps} (0.1.9: in memory, then written)",
            str(sdk["text"]),
            str(ref["text"]),
            floor,
        )
    )
    speedup = float(ref["seconds"]) / float(sdk["seconds"])
    ctx.results.checks += [
        Check(
            "download to disk: peak RSS growth",
            "< 64 MB",
            f"{megabytes(sdk['growth'])} (0.1.9: {megabytes(ref['growth'])})",
            float(sdk["growth"]) < RSS_LIMIT,
        ),
        Check(
            "download to disk: 0.1.9 time / this SDK's", ">= 1.00x", ratio(speedup), speedup >= 1
        ),
    ]
    if curl:
        to_curl = float(sdk["seconds"]) / float(_summary(outcome["curl"])["seconds"])
        ctx.results.checks.append(
            Check("download to disk: this SDK / curl", "reported", ratio(to_curl), None)
        )


def _summary(results: list[dict[str, float]]) -> dict[str, float | str]:
    took = median([r["seconds"] for r in results])
    growth = max(r["rss_growth"] for r in results)
    size = results[0]["bytes"]
    text = f"{seconds(took)} ({size / MB / took:.0f} MB/s)"
    if growth:
        text += f", RSS +{megabytes(growth)}"
    return {"seconds": took, "growth": growth, "bytes": size, "text": text}
