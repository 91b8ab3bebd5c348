"""300 ``dataset(id).metadata()`` calls over HTTPS: this SDK, 0.1.9, and the floor.

Each side runs in its own fresh process, the sides interleaved, several times;
each process times only its loop (the client or session is built before it).
"""

from __future__ import annotations

from _common import PYTHON, log, median, run_worker, venv_python, worker_env
from _context import Context
from _report import Check, Measurement, ratio, seconds

SIDES = ("sdk", "v019", "floor")


def run(ctx: Context) -> None:
    dataset_id = ctx.create_dataset("bench-metadata")
    calls = ctx.calls
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    for rep in range(ctx.reps_metadata):
        for side in SIDES:
            python = venv_python() if side == "v019" else PYTHON
            env = worker_env(REQUESTS_CA_BUNDLE=ctx.ca_file) if side == "v019" else worker_env()
            result = run_worker(
                python,
                "metadata.py",
                [side, *ctx.endpoint_args(dataset_id), "--calls", str(calls)],
                env,
            )
            times[side].append(result["seconds"])
        log(
            f"metadata rep {rep + 1}/{ctx.reps_metadata}: "
            + ", ".join(f"{s} {seconds(times[s][-1])}" for s in SIDES)
        )
    sdk, ref, floor = (median(times[s]) for s in SIDES)
    name = f"{calls} x dataset(id).metadata() over HTTPS (median of {ctx.reps_metadata})"
    ctx.results.measurements.append(
        Measurement(
            name,
            f"{seconds(sdk)} ({sdk / calls * 1e3:.2f} ms/call)",
            f"{seconds(ref)} ({ref / calls * 1e3:.2f} ms/call)",
            f"{seconds(floor)} ({floor / calls * 1e3:.2f} ms/call, bare requests.Session)",
        )
    )
    ctx.results.checks += [
        Check(
            f"{calls} metadata calls: 0.1.9 time / this SDK's",
            ">= 3x",
            ratio(ref / sdk),
            ref / sdk >= 3,
        ),
        Check(
            f"{calls} metadata calls: this SDK / bare requests.Session",
            "<= 1.15x",
            ratio(sdk / floor),
            sdk / floor <= 1.15,
        ),
    ]
