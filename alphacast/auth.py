"""Applying a credential to a request, as the service documents it.

API host: HTTP Basic Auth, the key as username and an empty password.
Workspace host (``/api/search``): the key in the ``apiKey`` query parameter.
"""

from __future__ import annotations

import base64
from collections.abc import MutableMapping
from enum import Enum

from alphacast.credentials import Credential

__all__ = ["API_KEY_PARAM", "Host", "KeyAuth", "basic_header"]

API_KEY_PARAM = "apiKey"


class Host(Enum):
    """The two hosts of the service, which authenticate differently."""

    API = "api"
    WORKSPACE = "workspace"


def basic_header(key: str) -> str:
    """``Authorization`` header value for ``key`` with an empty password."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode("ascii")


class KeyAuth:
    """Puts a credential on a request; builds the Basic header once per key."""

    __slots__ = ("_cached",)

    def __init__(self) -> None:
        self._cached: tuple[Credential, str] | None = None

    def apply(
        self,
        credential: Credential,
        host: Host,
        headers: MutableMapping[str, str],
        params: list[tuple[str, str]],
    ) -> None:
        if host is Host.WORKSPACE:
            params.append((API_KEY_PARAM, credential.api_key))
            return
        cached = self._cached
        if cached is None or cached[0] is not credential:
            cached = (credential, basic_header(credential.api_key))
            self._cached = cached
        headers["Authorization"] = cached[1]

    def __repr__(self) -> str:
        return "KeyAuth()"
