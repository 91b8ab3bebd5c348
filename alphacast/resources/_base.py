"""What every resource class shares: a transport, JSON decoding and 0.1.9's ``api_key``."""

from __future__ import annotations

import json
import weakref
from typing import Any

from alphacast._credentials import Credential
from alphacast._transport import Transport
from alphacast.chain import ResolvedCredential
from alphacast.resources._upload_send import share_policy


def transport_for_key(transport: Transport, api_key: str, source: str) -> Transport:
    """A new transport like ``transport`` (same hosts, timeouts, retries, TLS) that
    sends ``api_key``, with its own session so nothing (cookies, connections) is
    shared between two keys. Its connections close when it is garbage-collected."""
    credential = Credential(
        api_key,
        provider="explicit",
        source=source,
        profile=transport.credential.current.profile,
    )
    derived = Transport(
        ResolvedCredential(credential, None),
        api_url=transport.api_url,
        workspace_url=transport.workspace_url,
        timeout=transport.timeout,
        retry=transport.retry,
        verify=transport.verify,
    )
    weakref.finalize(derived, derived.session.close)
    share_policy(transport, derived)  # chunked_uploads, and the hosts that refused it
    return derived


class Resource:
    """Builds requests for one part of the API and shapes their results."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    @property
    def api_key(self) -> str:
        """The key this object sends, as in 0.1.9. Treat it like a password.

        Setting it switches this object (and the datasets it opens afterwards) to
        another key, as 0.1.9 did; the client and its other resources keep theirs.
        """
        return self._transport.credential.current.api_key

    @api_key.setter
    def api_key(self, api_key: str) -> None:
        self._transport = transport_for_key(
            self._transport, api_key, f"{type(self).__name__.lower()}.api_key = ..."
        )

    def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return json.loads(self._transport.request("GET", path, params=params).content)

    def _get_bytes(self, path: str) -> bytes:
        return self._transport.request("GET", path).content

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
