"""Metadata callers for the workers: this SDK, 0.1.9, and the raw baselines.

``side`` is ``sdk`` (this checkout's ``alphacast``), ``v019`` (the published
0.1.9, which has no URL or TLS settings: its module globals ``BASE_URL`` and
``WORKSPACE_URL`` are set, and the CA comes from ``REQUESTS_CA_BUNDLE``, which
the orchestrator puts in the environment), or one of the baselines that do the
same GET with Basic auth and decode the JSON: ``requests`` (a bare
``requests.Session``), ``urllib3`` (one ``HTTPSConnectionPool`` of one kept-alive
connection, no retries, no redirects; ``urllib3-timeouts`` the same with the SDK's
default timeouts) and ``httpclient`` (one
``http.client.HTTPSConnection`` kept alive). All verify TLS with the same CA.
"""

from __future__ import annotations

import argparse
import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

BASELINES = ("requests", "urllib3", "urllib3-timeouts", "httpclient")


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


def metadata_call(
    side: str, api_url: str, key: str, dataset_id: int, ca_file: str | None, workspace_url: str = ""
) -> Callable[[], dict[str, Any]]:
    """A function doing one ``GET /datasets/{id}`` and returning the decoded JSON."""
    if side in ("sdk", "v019"):
        args = argparse.Namespace(
            side=side,
            api_url=api_url,
            workspace_url=workspace_url or api_url,
            key=key,
            dataset=dataset_id,
            ca_file=ca_file,
        )
        return dataset(args).metadata  # type: ignore[no-any-return]
    url = f"{api_url}/datasets/{dataset_id}"
    path = urlsplit(url).path
    split = urlsplit(api_url)
    host, port = split.hostname or "", split.port
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}

    def checked(status: int, body: bytes) -> dict[str, Any]:
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        result: dict[str, Any] = json.loads(body)
        return result

    if side == "requests":
        import requests

        session = requests.Session()
        session.auth = (key, "")
        # Per request, as the SDK does: a REQUESTS_CA_BUNDLE in the environment
        # would override session.verify (requests issue #3829).
        verify = ca_file or True

        def with_requests() -> dict[str, Any]:
            response = session.get(url, verify=verify)
            return checked(response.status_code, response.content)

        return with_requests
    if side in ("urllib3", "urllib3-timeouts"):
        import urllib3

        # urllib3-timeouts: with the SDK's default (connect, read) timeouts, which
        # put the socket in timeout mode (a poll() before every read).
        timeout = urllib3.Timeout(connect=10.0, read=120.0) if side != "urllib3" else None
        pool = urllib3.HTTPSConnectionPool(
            host,
            port,
            maxsize=1,
            block=True,
            cert_reqs="CERT_REQUIRED",
            ca_certs=ca_file,
            timeout=timeout,
        )

        def with_urllib3() -> dict[str, Any]:
            response = pool.urlopen("GET", path, headers=headers, retries=False, redirect=False)
            return checked(response.status, response.data)

        return with_urllib3
    if side == "httpclient":
        import http.client
        import ssl

        context = ssl.create_default_context(cafile=ca_file)
        connection = http.client.HTTPSConnection(host, port, context=context)

        def with_http_client() -> dict[str, Any]:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return checked(response.status, response.read())

        return with_http_client
    raise ValueError(f"unknown side {side!r}")
