"""N ``dataset(id).metadata()`` calls; prints the seconds and CPU seconds the loop took.

``sdk`` and ``v019`` go through the client; ``requests``, ``urllib3`` and
``httpclient`` are the baselines of ``_clients.metadata_call``: the same GET with
Basic auth and the JSON decoded. The caller is built (and one call made, so the
TLS handshake is not timed) before the loop.
"""

from __future__ import annotations

import argparse
import time

import _clients
from _measure import Timer, emit


def main() -> None:
    parser = argparse.ArgumentParser()
    _clients.add_arguments(parser, sides=("sdk", "v019", *_clients.BASELINES))
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    call = _clients.metadata_call(
        args.side, args.api_url, args.key, args.dataset, args.ca_file, args.workspace_url
    )
    call()
    cpu = time.process_time()
    with Timer() as timer:
        for _ in range(args.calls):
            result = call()
    cpu = time.process_time() - cpu
    if result.get("id") != args.dataset:
        raise SystemExit(f"unexpected metadata: {result!r}")
    emit({"seconds": timer.seconds, "cpu_seconds": cpu, "calls": args.calls})


if __name__ == "__main__":
    main()
