"""requests' ``HTTPAdapter``, without the work it repeats on every call.

``HTTPAdapter.send`` re-derives, per request, what never changes for one
connection pool: the pool key from the URL and TLS settings (two URL parses),
whether the CA file exists (up to three ``stat`` calls), the proxy for the URL;
and ``build_response`` runs the cookie machinery on answers that set no cookie.
:class:`LeanAdapter` is mounted on the transport's session in place of it. Its
:meth:`~LeanAdapter.send_direct` is for a request that goes through no proxy, with
the pool key worked out once by the caller (:mod:`alphacast._hotpath`); anything
else goes through the inherited ``send`` unchanged.

What urllib3 is asked to do is what ``HTTPAdapter.send`` asks: the same
``urlopen`` arguments (no redirect, the adapter's ``max_retries``, the body not
preloaded) and the same translation of urllib3's exceptions into requests' (copied
from requests 2.32's ``HTTPAdapter.send``, which keeps it inline).
"""

from __future__ import annotations

import time
from typing import Any

import requests
import requests.adapters
import requests.exceptions as rex
import urllib3
import urllib3.connection
import urllib3.exceptions as u3
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from alphacast._direct import InterimSkipping, quiet

__all__ = ["LeanAdapter", "PoolKey", "as_urllib3_timeout", "read_body"]


class PoolKey:
    """What ``poolmanager.connection_from_host`` takes for one origin and its TLS
    settings (host parameters, pool kwargs), and the pool it gave, once asked."""

    __slots__ = ("host_params", "pool", "pool_kwargs")

    def __init__(self, host_params: dict[str, Any], pool_kwargs: dict[str, Any]) -> None:
        self.host_params = host_params
        self.pool_kwargs = pool_kwargs
        self.pool: HTTPConnectionPool | None = None


def as_urllib3_timeout(timeout: float | tuple[float, float]) -> urllib3.Timeout:
    """``timeout`` as ``HTTPAdapter.send`` turns it into urllib3's (urllib3 copies
    it for each request, so one object serves every call)."""
    if isinstance(timeout, tuple):
        connect, read = timeout
        return urllib3.Timeout(connect=connect, read=read)
    return urllib3.Timeout(connect=timeout, read=timeout)


class _Connection(urllib3.connection.HTTPConnection):
    response_class = InterimSkipping

    @property
    def is_connected(self) -> bool:
        return quiet(self.sock)


class _TLSConnection(urllib3.connection.HTTPSConnection):
    response_class = InterimSkipping

    @property
    def is_connected(self) -> bool:
        return quiet(self.sock)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class LeanAdapter(requests.adapters.HTTPAdapter):
    """An ``HTTPAdapter`` whose direct path skips the per-call re-derivations, and
    whose connections skip every interim (1xx) answer and are not reused with bytes
    waiting in them (:func:`alphacast._direct.quiet`), as the direct connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        if hasattr(urllib3.connection.HTTPConnection, "is_connected"):  # urllib3 2
            self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}

    def pool_key(self, request: requests.PreparedRequest, verify: Any, cert: Any) -> PoolKey:
        """The pool a request with these TLS settings uses (requests >= 2.32.2 names
        this step; earlier versions have no direct path)."""
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                request, verify, cert
            )
        except ValueError as exc:
            raise rex.InvalidURL(exc, request=request) from None
        return PoolKey(dict(host_params), dict(pool_kwargs))

    def send_direct(
        self,
        request: requests.PreparedRequest,
        key: PoolKey,
        *,
        path: str,
        headers: dict[str, str],
        verify: Any,
        cert: Any,
        stream: bool,
        timeout: urllib3.Timeout,
    ) -> requests.Response:
        """What ``send`` does for a request that goes through no proxy.

        ``path`` is the request's ``path_url``; ``headers`` its headers as a plain
        dict (urllib3 copies them for each request: a dict copies fastest).
        """
        conn = key.pool
        # Asked for once; again when the pool manager has closed it (evicted as
        # the least recently used of too many, or cleared by close()).
        if conn is None or conn.pool is None:
            try:
                conn = self.poolmanager.connection_from_host(
                    **key.host_params, pool_kwargs=key.pool_kwargs
                )
            except u3.LocationValueError as exc:
                raise rex.InvalidURL(exc, request=request) from None
            self.cert_verify(conn, request.url or "", verify, cert)  # type: ignore[no-untyped-call]
            key.pool = conn
        body = request.body
        try:
            resp = conn.urlopen(
                method=request.method or "GET",
                url=path,
                body=body,
                headers=headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=self.max_retries,
                timeout=timeout,
                chunked=not (body is None or "Content-Length" in request.headers),
            )
        except Exception as exc:
            _raise_as_requests(exc, request)
            raise
        return self.build_response(request, resp)

    def build_response(self, req: requests.PreparedRequest, resp: Any) -> requests.Response:
        """``HTTPAdapter.build_response`` without the cookie jar: the transport keeps
        no cookies (:mod:`alphacast._hotpath` says why)."""
        response = requests.Response()
        response.status_code = resp.status
        response.headers = CaseInsensitiveDict(resp.headers)
        response.encoding = get_encoding_from_headers(response.headers)
        response.raw = resp
        response.reason = resp.reason
        url = req.url
        response.url = url.decode("utf-8") if isinstance(url, bytes) else (url or "")
        response.request = req
        response.connection = self
        return response


def _raise_as_requests(exc: Exception, request: requests.PreparedRequest) -> None:
    """Raise ``exc`` as ``HTTPAdapter.send`` would have; return if it lets it through."""
    if isinstance(exc, u3.ProtocolError | OSError):
        raise rex.ConnectionError(exc, request=request)
    if isinstance(exc, u3.MaxRetryError):
        reason = exc.reason
        if isinstance(reason, u3.ConnectTimeoutError) and not isinstance(
            reason, u3.NewConnectionError
        ):
            raise rex.ConnectTimeout(exc, request=request)
        if isinstance(reason, u3.ResponseError):
            raise rex.RetryError(exc, request=request)
        if isinstance(reason, u3.ProxyError):
            raise rex.ProxyError(exc, request=request)
        if isinstance(reason, u3.SSLError):
            raise rex.SSLError(exc, request=request)
        raise rex.ConnectionError(exc, request=request)
    if isinstance(exc, u3.ClosedPoolError):
        raise rex.ConnectionError(exc, request=request)
    if isinstance(exc, u3.ProxyError):
        raise rex.ProxyError(exc)
    if isinstance(exc, u3.SSLError):
        raise rex.SSLError(exc, request=request)
    if isinstance(exc, u3.ReadTimeoutError):
        raise rex.ReadTimeout(exc, request=request)
    if isinstance(exc, u3.InvalidHeader):
        raise rex.InvalidHeader(exc, request=request)


def read_body(response: requests.Response, read_timeout: float | None = None) -> None:
    """Read the whole body now, as ``response.content`` would, within ``read_timeout``
    seconds in all (None: no limit but the socket's, per ``recv``).

    ``content`` reads through ``iter_content``: 10 kB chunks from a generator,
    then one more read to find the end, which for the small JSON answers of most
    calls costs more than the read itself. Here the body is read with ``read1``
    (at most one ``recv`` each; the first usually returns all of it), and each
    later ``recv`` may wait only for what is left of the deadline: a server that
    trickles its body a byte at a time gets a ``ReadTimeout``, not the caller's
    thread. Errors are requests' as ``iter_content`` raises them; the result is
    kept where ``content`` keeps it (the attributes requests' own test helpers and
    most mocking libraries set).
    """
    raw = response.raw
    try:
        if read_timeout is None or not hasattr(raw, "read1"):  # urllib3 1.x: no read1
            data = raw.read(decode_content=True)
        else:
            data = _read_by_deadline(raw, time.monotonic() + read_timeout, read_timeout)
    except u3.ProtocolError as exc:
        raise rex.ChunkedEncodingError(exc) from exc
    except u3.DecodeError as exc:
        raise rex.ContentDecodingError(exc) from exc
    except u3.ReadTimeoutError as exc:
        raise rex.ConnectionError(exc) from exc
    except u3.SSLError as exc:
        raise rex.SSLError(exc) from exc
    response._content = data or b""
    response._content_consumed = True  # type: ignore[attr-defined]


def _read_by_deadline(raw: Any, deadline: float, read_timeout: float) -> bytes:
    # Without a Content-Encoding the raw bytes are the body: read1 hands them over
    # without going through urllib3's decoded buffer (a few microseconds a call).
    decode = "content-encoding" in raw.headers
    first = raw.read1(decode_content=decode)
    if not first:
        return b""
    if not decode and raw.length_remaining == 0:  # all of it, in one recv: most calls
        return first  # type: ignore[no-any-return]
    parts = [first]
    sock: Any = None
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if sock is None:
                sock = getattr(getattr(raw, "connection", None), "sock", None) or False
            if sock:
                sock.settimeout(min(left, read_timeout))
            chunk = raw.read1(decode_content=decode)
            if not chunk:
                if sock:
                    sock.settimeout(read_timeout)  # as urllib3 left it, for reuse
                return b"".join(parts)
            parts.append(chunk)
    except (TimeoutError, u3.ReadTimeoutError):
        raw.close()  # the connection is mid-body: not reusable
        received = sum(map(len, parts))
        raise rex.ReadTimeout(
            f"the body did not arrive whole within the read timeout of {read_timeout:g} s"
            f" ({received} bytes received)"
        ) from None
