"""Which way an upload goes: chunked while compressing, or spooled with a ``Content-Length``.

The service's documentation does not say whether it accepts a chunked request
body. A ``Content-Length`` upload (gzip into a spooled file, then send it) works
with any server; a chunked one overlaps compressing and sending. So, by default
(``Alphacast(chunked_uploads=None)``), a source that can be read again (text,
bytes, a path, a seekable file, a DataFrame) is sent chunked, and when the server
refuses that (411 Length Required, 501, 505, or a connection closed while the body
was being sent, before any answer) the same source is sent again with a
``Content-Length``, and this client remembers the refusal for that host: its later
uploads there go straight to ``Content-Length``. A source that can be read only
once (an iterator, a pipe) always goes the ``Content-Length`` way.
``chunked_uploads=False`` never sends chunked (for a proxy known to mangle it);
``True`` sends chunked with no fallback (a source read only once still goes with a
``Content-Length``: a chunked body from it could not be sent again after a 401).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from alphacast._auth import Origin, connect_origin
from alphacast._transport import Params, Transport
from alphacast.errors import APIError, ConnectionFailedError
from alphacast.resources._upload import CsvSource, UploadBody, source_size
from alphacast.resources._upload_chunked import ChunkedUploadBody

log = logging.getLogger("alphacast.upload")

#: Answers that mean "no chunked request bodies here".
REFUSALS = frozenset({411, 501, 505})


@dataclass
class UploadPolicy:
    """One client's choice (``None`` auto, ``True``, ``False``) and the hosts that
    refused a chunked body."""

    chunked: bool | None = None
    refused: set[Origin] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sends_chunked(self, origin: Origin) -> bool:
        if self.chunked is None:
            with self.lock:
                return origin not in self.refused
        return self.chunked

    def remember_refusal(self, origin: Origin, why: str) -> None:
        with self.lock:
            if origin in self.refused:
                return
            self.refused.add(origin)
        log.info(
            "%s://%s:%s refused a chunked upload (%s): this client's uploads there "
            "now send a Content-Length",
            *origin,
            why,
        )


_policies: weakref.WeakKeyDictionary[Transport, UploadPolicy] = weakref.WeakKeyDictionary()
_policies_lock = threading.Lock()


def policy_for(transport: Transport) -> UploadPolicy:
    with _policies_lock:
        policy = _policies.get(transport)
        if policy is None:
            policy = _policies[transport] = UploadPolicy()
        return policy


def share_policy(transport: Transport, derived: Transport) -> None:
    """``derived`` (the same client's transport for another key) follows
    ``transport``'s choice and refusals."""
    policy = policy_for(transport)
    with _policies_lock:
        _policies[derived] = policy


def set_chunked_uploads(transport: Transport, chunked: bool | None) -> None:
    """``Alphacast(chunked_uploads=...)``: see the module's docstring."""
    if chunked is not None and not isinstance(chunked, bool):
        raise TypeError("chunked_uploads must be None, True or False")
    policy_for(transport).chunked = chunked


def send_upload(
    transport: Transport,
    path: str,
    params: Params,
    source: CsvSource,
    reopen: Callable[[], CsvSource] | None,
    manifest: list[dict[str, Any]] | None,
    progress: bool,
) -> bytes:
    """PUT ``source`` as a gzip multipart upload; the answer's body.

    ``reopen`` gives the source afresh (``None`` when it can be read only once)."""
    policy = policy_for(transport)
    origin = connect_origin(transport.api_url)
    if reopen is not None and policy.sends_chunked(origin):
        chunked = ChunkedUploadBody(reopen, manifest, progress, source_size(source))
        why = None
        sent = False
        try:
            answer = transport.request("PUT", path, params=params, body=chunked).content
            sent = True
            return answer
        except APIError as exc:
            if policy.chunked is not None or exc.status_code not in REFUSALS:
                raise
            why = f"HTTP {exc.status_code}"
        except ConnectionFailedError:
            if chunked.source_error is not None:
                raise chunked.source_error from None
            if policy.chunked is not None or not chunked.cut_short:
                raise
            why = "the connection closed while the body was sent"
        finally:
            chunked.close(sent)
        policy.remember_refusal(origin, why)
        source = reopen()
    spooled = UploadBody(source, manifest, progress)
    try:
        return transport.request("PUT", path, params=params, body=spooled).content
    finally:
        spooled.close()
