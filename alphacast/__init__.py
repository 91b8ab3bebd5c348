"""Alphacast Python SDK: read, search, upload and download Alphacast datasets.

``import alphacast`` is light: the HTTP client, the plugin machinery and the
credential providers load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from alphacast._credentials import Credential, CredentialProvider, WritableCredentialProvider
from alphacast._version import __version__
from alphacast.errors import (
    AlphacastError,
    AlphacastWarning,
    APIError,
    AuthenticationError,
    ConnectionFailedError,
    CredentialError,
    InsecureTransportError,
    NoCredentialError,
    NotFoundError,
    PermissionDeniedError,
    PluginError,
    RateLimitError,
    ServerError,
    UnexpectedResponseError,
)

if TYPE_CHECKING:
    from alphacast._client import Alphacast
    from alphacast._retry import RetryPolicy
    from alphacast.hookspecs import hookimpl

__all__ = [
    "APIError",
    "Alphacast",
    "AlphacastError",
    "AlphacastWarning",
    "AuthenticationError",
    "ConnectionFailedError",
    "Credential",
    "CredentialError",
    "CredentialProvider",
    "InsecureTransportError",
    "NoCredentialError",
    "NotFoundError",
    "PermissionDeniedError",
    "PluginError",
    "RateLimitError",
    "RetryPolicy",
    "ServerError",
    "UnexpectedResponseError",
    "WritableCredentialProvider",
    "__version__",
    "hookimpl",
]

_LAZY = {
    "Alphacast": "alphacast._client",
    "RetryPolicy": "alphacast._retry",
    "hookimpl": "alphacast.hookspecs",
}


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'alphacast' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
