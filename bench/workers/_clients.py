"""One dataset handle, from this SDK or from 0.1.9, for the workers.

``side`` is ``sdk`` (this checkout's ``alphacast``) or ``v019`` (the published
0.1.9, which has no URL or TLS settings: its module globals ``BASE_URL`` and
``WORKSPACE_URL`` are set, and the CA comes from ``REQUESTS_CA_BUNDLE``, which
the orchestrator puts in the environment).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_arguments(
    parser: argparse.ArgumentParser, sides: tuple[str, ...] = ("sdk", "v019")
) -> None:
    parser.add_argument("side", choices=sides)
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--workspace-url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--dataset", type=int, required=True)
    parser.add_argument("--ca-file", default=None)


def dataset(args: argparse.Namespace) -> Any:
    if args.side == "sdk":
        from alphacast import Alphacast

        client = Alphacast(
            args.key,
            api_url=args.api_url,
            workspace_url=args.workspace_url,
            verify=args.ca_file or True,
        )
        return client.datasets.dataset(args.dataset)
    import alphacast
    import alphacast.alphacast as module

    module.BASE_URL = args.api_url
    module.WORKSPACE_URL = args.workspace_url
    return alphacast.Alphacast(args.key).datasets.dataset(args.dataset)
