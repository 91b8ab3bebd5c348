"""T threads, each with its own account and client, N metadata calls each.

Prints the wall seconds from the moment all threads start calling until the last
one finishes, and the process's CPU seconds over the same span. ``sdk`` gives
each thread an ``Alphacast`` client; ``urllib3`` gives each thread its own
``HTTPSConnectionPool`` of one connection (see ``_clients.metadata_call``).
Every caller is built, and has made one call, before the clock starts.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

import _clients
from _measure import emit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("side", choices=("sdk", "urllib3", "urllib3-timeouts"))
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--ca-file", default=None)
    parser.add_argument("--calls", type=int, default=300, help="calls per thread")
    parser.add_argument(
        "--account",
        action="append",
        required=True,
        metavar="KEY:DATASET",
        help="one per thread: its API key and the id of a dataset it owns",
    )
    args = parser.parse_args()
    accounts = [(key, int(dataset)) for key, dataset in (a.rsplit(":", 1) for a in args.account)]
    calls = [
        _clients.metadata_call(args.side, args.api_url, key, dataset, args.ca_file)
        for key, dataset in accounts
    ]
    for call in calls:
        call()
    start = threading.Barrier(len(calls) + 1)
    failures: list[BaseException] = []

    def work(call: Callable[[], dict[str, Any]], dataset: int) -> None:
        start.wait()
        try:
            for _ in range(args.calls):
                result = call()
            if result.get("id") != dataset:
                raise RuntimeError(f"unexpected metadata: {result!r}")
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [
        threading.Thread(target=work, args=(call, dataset))
        for call, (_, dataset) in zip(calls, accounts, strict=True)
    ]
    for thread in threads:
        thread.start()
    cpu, started = time.process_time(), time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if failures:
        raise SystemExit(f"a thread failed: {failures[0]!r}")
    total = args.calls * len(calls)
    emit({"seconds": seconds, "cpu_seconds": cpu, "calls": total, "per_second": total / seconds})


if __name__ == "__main__":
    main()
