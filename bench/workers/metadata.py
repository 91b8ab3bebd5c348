"""N ``dataset(id).metadata()`` calls; prints the seconds the loop took.

``sdk`` and ``v019`` go through the client; ``floor`` is a bare
``requests.Session`` doing the same GETs with Basic auth and decoding the JSON,
the least any requests-based client can do.
"""

from __future__ import annotations

import argparse
import json

import _clients
from _measure import Timer, emit


def main() -> None:
    parser = argparse.ArgumentParser()
    _clients.add_arguments(parser, sides=("sdk", "v019", "floor"))
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    if args.side == "floor":
        import requests

        session = requests.Session()
        session.auth = (args.key, "")
        # Per request, as the SDK does: a REQUESTS_CA_BUNDLE in the environment
        # would override session.verify (requests issue #3829).
        verify = args.ca_file or True
        url = f"{args.api_url}/datasets/{args.dataset}"

        def call() -> dict:
            response = session.get(url, verify=verify)
            response.raise_for_status()
            return json.loads(response.content)

    else:
        call = _clients.dataset(args).metadata

    with Timer() as timer:
        for _ in range(args.calls):
            result = call()
    if result.get("id") != args.dataset:
        raise SystemExit(f"unexpected metadata: {result!r}")
    emit({"seconds": timer.seconds, "calls": args.calls})


if __name__ == "__main__":
    main()
