"""Metadata calls over HTTPS: this SDK beside 0.1.9 and three raw baselines.

First, ``calls`` x ``dataset(id).metadata()`` on one connection: this SDK, 0.1.9,
a bare ``requests.Session``, raw urllib3 (one pooled connection) and http.client
(one kept-alive connection). Then 8 accounts on 8 threads of one process, each
thread with its own client: this SDK's throughput against 8 raw urllib3 pools.

Each side runs in its own fresh process, the sides interleaved, several times;
each process times only its loop (callers are built, and have made one call,
before it). Every side verifies TLS with the emulator's CA.
"""

from __future__ import annotations

from _common import PYTHON, log, median, run_worker, venv_python, worker_env
from _context import Context
from _report import Check, Measurement, ratio, seconds

SIDES = ("sdk", "v019", "requests", "urllib3", "httpclient")
THREAD_SIDES = ("sdk", "urllib3", "urllib3-timeouts")
THREADS = 8


def run(ctx: Context) -> None:
    _one_connection(ctx)
    _threads(ctx)


def _one_connection(ctx: Context) -> None:
    dataset_id = ctx.create_dataset("bench-metadata")
    calls = ctx.calls
    times: dict[str, list[float]] = {side: [] for side in SIDES}
    cpu: dict[str, list[float]] = {side: [] for side in SIDES}
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
            cpu[side].append(result["cpu_seconds"])
        log(
            f"metadata rep {rep + 1}/{ctx.reps_metadata}: "
            + ", ".join(f"{s} {seconds(times[s][-1])}" for s in SIDES)
        )
    wall = {side: median(times[side]) for side in SIDES}
    per_call = {side: median(cpu[side]) / calls * 1e3 for side in SIDES}
    sdk = wall["sdk"]

    def cell(side: str) -> str:
        return (
            f"{seconds(wall[side])} ({wall[side] / calls * 1e3:.2f} ms/call, "
            f"client CPU {per_call[side]:.2f} ms/call)"
        )

    reps = ctx.reps_metadata
    ctx.results.measurements += [
        Measurement(
            f"{calls} x dataset(id).metadata() over HTTPS (median of {reps})",
            cell("sdk"),
            cell("v019"),
            cell("urllib3") + ", raw urllib3, one pooled connection",
        ),
        Measurement(
            f"{calls} x GET /datasets/{{id}}, other baselines (median of {reps})",
            "",
            "",
            f"bare requests.Session {cell('requests')}; "
            f"http.client, one connection {cell('httpclient')}",
        ),
    ]
    # Reported beside the targets, with no goal of their own.
    for name, value in (
        ("0.1.9 time / this SDK's", wall["v019"] / sdk),
        ("this SDK / bare requests.Session", sdk / wall["requests"]),
        ("this SDK / http.client (one connection)", sdk / wall["httpclient"]),
    ):
        ctx.results.measurements.append(
            Measurement(f"{calls} metadata calls: {name}", ratio(value))
        )
    ctx.results.checks += [
        Check(
            f"{calls} metadata calls: this SDK / raw urllib3 (one pooled connection)",
            "<= 1.30x",
            f"{ratio(sdk / wall['urllib3'])} (client CPU "
            f"{ratio(per_call['sdk'] / per_call['urllib3'])})",
            sdk / wall["urllib3"] <= 1.30,
        ),
    ]


def _threads(ctx: Context) -> None:
    """8 accounts on 8 threads, against an emulator of their own (the shared one
    has one account)."""
    from alphacast import Alphacast
    from alphacast.emulator import Emulator

    keys = {f"bench{i}": f"ak_bench_thread_{i:02d}_0123456789" for i in range(THREADS)}
    calls = ctx.calls
    with Emulator(accounts=keys, tls=True, port=0, workspace_port=0) as emu:
        ca = str(emu.ca_file)
        accounts = []
        for key in keys.values():
            with Alphacast(
                key, api_url=emu.api_url, workspace_url=emu.workspace_url, verify=ca
            ) as client:
                repository = client.repository.create("bench", returnIdIfExists=True)
                created = client.datasets.create("bench-threads", int(repository["id"]))
                accounts += ["--account", f"{key}:{int(created['id'])}"]
        args = ["--api-url", emu.api_url, "--ca-file", ca, "--calls", str(calls), *accounts]
        rates: dict[str, list[float]] = {side: [] for side in THREAD_SIDES}
        cpu: dict[str, list[float]] = {side: [] for side in THREAD_SIDES}
        # Runs of about half a second: more of them, each pair in alternating
        # order, and the target judged on the median of the pairs' ratios (two
        # neighbouring runs share the machine's load; runs far apart may not).
        reps = 2 * ctx.reps_metadata + 1
        for rep in range(reps):
            for side in THREAD_SIDES[:: 1 if rep % 2 == 0 else -1]:
                result = run_worker(PYTHON, "metadata_threads.py", [side, *args], worker_env())
                rates[side].append(result["per_second"])
                cpu[side].append(result["cpu_seconds"] / result["calls"] * 1e3)
            log(
                f"threads rep {rep + 1}/{reps}: "
                + ", ".join(f"{s} {rates[s][-1]:.0f} calls/s" for s in THREAD_SIDES)
            )
    rate = {side: median(rates[side]) for side in THREAD_SIDES}
    per_call = {side: median(cpu[side]) for side in THREAD_SIDES}
    paired = median([a / b for a, b in zip(rates["sdk"], rates["urllib3"], strict=True)])
    ctx.results.measurements.append(
        Measurement(
            f"{THREADS} accounts on {THREADS} threads, {calls} metadata calls each "
            f"(median of {reps})",
            f"{rate['sdk']:.0f} calls/s (client CPU {per_call['sdk']:.2f} ms/call)",
            "",
            f"{rate['urllib3']:.0f} calls/s (client CPU {per_call['urllib3']:.2f} ms/call), "
            f"{THREADS} raw urllib3 pools; with the SDK's timeouts "
            f"{rate['urllib3-timeouts']:.0f} calls/s "
            f"(client CPU {per_call['urllib3-timeouts']:.2f} ms/call)",
        )
    )
    with_timeouts = median(
        [a / b for a, b in zip(rates["sdk"], rates["urllib3-timeouts"], strict=True)]
    )
    ctx.results.measurements.append(
        Measurement(
            f"{THREADS} threads: this SDK / {THREADS} raw urllib3 pools with the SDK's "
            "timeouts (median of paired runs)",
            ratio(with_timeouts),
        )
    )
    ctx.results.checks.append(
        Check(
            f"{THREADS} accounts on {THREADS} threads: this SDK throughput / "
            f"{THREADS} raw urllib3 pools",
            ">= 0.90x",
            f"{ratio(paired)} (median of paired runs; of medians "
            f"{ratio(rate['sdk'] / rate['urllib3'])}; client CPU "
            f"{ratio(per_call['urllib3'] / per_call['sdk'])})",
            paired >= 0.90,
        )
    )
