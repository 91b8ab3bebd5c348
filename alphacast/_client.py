"""The client: ``Alphacast(...)``, a drop-in successor of alphacast 0.1.9."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

from alphacast._credentials import Credential, CredentialProvider
from alphacast._retry import RetryPolicy
from alphacast._transport import DEFAULT_TIMEOUT, Transport
from alphacast.chain import CredentialChain, ResolvedCredential
from alphacast.config import (
    DEFAULT_API_URL,
    DEFAULT_WORKSPACE_URL,
    profile_settings,
    select_profile,
)
from alphacast.resources._upload_send import set_chunked_uploads
from alphacast.resources.datasets import Datasets
from alphacast.resources.repositories import Repository
from alphacast.resources.search import Search
from alphacast.resources.series import Series

__all__ = ["Alphacast"]


class Alphacast:
    """A connection to Alphacast for one account.

    The key comes from, in this order of precedence:

    - ``api_key``: used as given (the ``explicit`` provider; the chain is skipped);
    - ``provider``: one :class:`~alphacast.CredentialProvider` or a list, asked in order;
    - otherwise the credential chain for ``profile`` (else ``ALPHACAST_PROFILE``,
      else ``default``): see :mod:`alphacast.chain`.

    ``api_url`` and ``workspace_url`` default to 0.1.9's module globals
    ``alphacast.alphacast.BASE_URL`` / ``WORKSPACE_URL`` when a script changed
    them before creating the client, then ``ALPHACAST_API_URL`` /
    ``ALPHACAST_WORKSPACE_URL``, then the profile's settings in
    ``~/.alphacast/config``, then the service's public hosts. ``timeout`` is
    seconds, or ``(connect, read)``; ``retry`` a :class:`~alphacast.RetryPolicy`;
    ``verify`` ``True`` or the path of a CA bundle (``REQUESTS_CA_BUNDLE`` is
    honoured as in requests). ``chunked_uploads``: ``None`` (default) sends an
    upload chunked while it is compressed and falls back to a ``Content-Length``
    upload (remembered for the host) if the server refuses chunked bodies;
    ``False`` always sends a ``Content-Length`` (for a proxy that mangles chunked
    bodies); ``True`` sends chunked with no fallback; a source that can be read only once
    (an iterator, a pipe) always goes with a ``Content-Length`` (see :doc:`/performance`).

    Each client has its own credential and its own pooled HTTP session; use it
    as a context manager, or call :meth:`close`, to release the connections.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        profile: str | None = None,
        provider: CredentialProvider | Sequence[CredentialProvider] | None = None,
        api_url: str | None = None,
        workspace_url: str | None = None,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
        chunked_uploads: bool | None = None,
    ) -> None:
        if api_key is not None and provider is not None:
            raise ValueError("pass either api_key or provider, not both")
        name, explicit = select_profile(profile)
        self.profile = name
        self._resolved = self._resolve(api_key, provider, name, explicit)
        settings = profile_settings(name)
        legacy_api_url, legacy_workspace_url = _legacy_urls()
        self._transport = Transport(
            self._resolved,
            api_url=api_url
            or legacy_api_url
            or os.environ.get("ALPHACAST_API_URL")
            or settings.get("api_url")
            or DEFAULT_API_URL,
            workspace_url=workspace_url
            or legacy_workspace_url
            or os.environ.get("ALPHACAST_WORKSPACE_URL")
            or settings.get("workspace_url")
            or DEFAULT_WORKSPACE_URL,
            timeout=timeout,
            retry=retry,
            verify=verify,
        )
        set_chunked_uploads(self._transport, chunked_uploads)
        self.repository = Repository(self._transport)
        self.datasets = Datasets(self._transport)
        self.search = Search(self._transport)

    @staticmethod
    def _resolve(
        api_key: str | None,
        provider: CredentialProvider | Sequence[CredentialProvider] | None,
        profile: str,
        explicit: bool,
    ) -> ResolvedCredential:
        if api_key is not None:
            credential = Credential(
                api_key, provider="explicit", source="Alphacast(api_key=...)", profile=profile
            )
            return ResolvedCredential(credential, None)
        if provider is not None:
            providers = [provider] if isinstance(provider, CredentialProvider) else list(provider)
            return CredentialChain(providers).resolve(profile, explicit=explicit)
        return CredentialChain.for_profile(profile).resolve(profile, explicit=explicit)

    @property
    def credential(self) -> Credential:
        """The credential in use: ``.provider``, ``.source``, ``.fingerprint``."""
        return self._resolved.current

    @property
    def api_key(self) -> str:
        """The key itself, as in 0.1.9. Treat it like a password.

        Setting it (``client.api_key = "ak_..."``) switches this client, its
        resources and the datasets it opened, to that key (provider ``explicit``);
        other clients are not affected.
        """
        return self._resolved.current.api_key

    @api_key.setter
    def api_key(self, api_key: str) -> None:
        credential = Credential(
            api_key, provider="explicit", source="client.api_key = ...", profile=self.profile
        )
        self._resolved = ResolvedCredential(credential, None)
        self._transport.credential = self._resolved

    @property
    def api_url(self) -> str:
        return self._transport.api_url

    @property
    def workspace_url(self) -> str:
        return self._transport.workspace_url

    def series(self, series_id: int) -> Series:
        return Series(self._transport, series_id)

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def __enter__(self) -> Alphacast:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        credential = self._resolved.current
        return (
            f"<Alphacast profile={self.profile!r} provider={credential.provider!r} "
            f"fingerprint={credential.fingerprint!r} api_url={self.api_url!r}>"
        )


def _legacy_urls() -> tuple[str | None, str | None]:
    """0.1.9's ``BASE_URL`` / ``WORKSPACE_URL`` where a script changed them.

    Only a script that imported ``alphacast.alphacast`` can have changed them, so
    the module is not imported here.
    """
    module = sys.modules.get("alphacast.alphacast")
    if module is None:
        return None, None
    api_url = getattr(module, "BASE_URL", None)
    workspace_url = getattr(module, "WORKSPACE_URL", None)
    return (
        api_url if isinstance(api_url, str) and api_url != DEFAULT_API_URL else None,
        workspace_url
        if isinstance(workspace_url, str) and workspace_url != DEFAULT_WORKSPACE_URL
        else None,
    )
