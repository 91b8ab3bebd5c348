"""Kept-alive HTTP/1.1 connections to one origin, driven through ``http.client``.

Most calls send a small request and read a small answer whole. For those, urllib3
costs as much client CPU as the rest of the call: per request it builds timeout,
retry and header-dictionary objects, wraps the answer, checks the pool's queue
and polls the socket. :class:`DirectPool` sends them on the standard library's
``http.client`` connections instead, kept alive and reused, and hands back a
``requests.Response`` with the body read. Streamed requests (downloads, chunked
uploads), requests through a proxy and requests with a client certificate or
``verify=False`` still go through requests' adapter and urllib3
(:mod:`alphacast._hotpath` chooses).

What is the same as urllib3 through requests: TLS settings (the context is
urllib3's ``create_urllib3_context``, with the same CA file, directory or bundle
and hostname check), the (connect, read) timeouts, the ``Host`` header, an idle
connection the server has closed is dropped before use (one zero-timeout poll), a
``Content-Encoding`` is decoded by urllib3's decoders, and failures are requests'
exceptions, so :class:`~alphacast.RetryPolicy` decides on them as before. A
connection that could not be made raises :class:`NotConnected`: the request was
never sent, so even a POST may be retried. A GET (HEAD, OPTIONS) whose reused
connection the server closed as it went out is sent again at once on a new one.
DEBUG logging names each new connection and each request line on the
``alphacast.http`` logger (the key masked there, as on every library logger).

The body must arrive whole within the read timeout, counted from the answer's
headers: each ``recv`` may wait only for what is left, so a server trickling a
byte at a time gets a ``ReadTimeout``, not the caller's thread.
"""

from __future__ import annotations

import http.client
import io
import logging
import os
import socket
import ssl
import threading
import time
import weakref
from collections import deque
from typing import Any

import requests
import requests.exceptions as rex
import urllib3
import urllib3.exceptions as u3
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_CA_BUNDLE_PATH, get_encoding_from_headers
from urllib3.util import wait_for_read
from urllib3.util.ssl_ import create_urllib3_context

from alphacast.redact import redact_text

__all__ = ["DirectPool", "InterimSkipping", "NotConnected", "quiet", "tls_context"]

log = logging.getLogger("alphacast.http")

#: Idle connections kept per origin, as requests' adapter keeps (``pool_maxsize``).
MAX_IDLE = 10

#: Methods that change nothing (and send no body): sent again, at once, when the
#: server turns out to have closed the reused connection they went out on.
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: How a connection the server has closed fails: reset, or ended before an answer.
_CLOSED_BY_PEER = (
    ConnectionResetError,  # http.client.RemoteDisconnected too
    ConnectionAbortedError,
    BrokenPipeError,
    ssl.SSLEOFError,
    ssl.SSLZeroReturnError,
)


class _Stale(Exception):
    """A reused connection the server had closed: nothing was answered."""


class NotConnected(rex.ConnectionError):
    """The connection could not be made (refused, unreachable, a name that does
    not resolve): the request was never sent."""


def tls_context(verify: bool | str) -> ssl.SSLContext:
    """The context requests' adapter gives urllib3 for ``verify`` (True: the CA
    bundle requests ships; a path: that PEM file, or a directory of them)."""
    context = create_urllib3_context()
    context.check_hostname = True
    context.verify_mode = ssl.CERT_REQUIRED
    where = DEFAULT_CA_BUNDLE_PATH if verify is True else str(verify)
    if os.path.isdir(where):
        context.load_verify_locations(capath=where)
    else:
        context.load_verify_locations(cafile=where)
    return context


#: (connect, read) seconds; None: wait as long as it takes.
Timeouts = tuple[float | None, float | None]


class _DeadlineReader(io.RawIOBase):
    """A socket's reader whose every ``recv`` waits only for what is left until a
    deadline: a server sending a byte at a time cannot stretch one read timeout
    into many."""

    def __init__(self, sock: socket.socket, timeout: float | None) -> None:
        self._raw = sock.makefile("rb", buffering=0)
        self._sock = sock
        self._timeout = timeout
        self._current = timeout  # the socket's timeout, as last set
        self.deadline = 0.0
        self.restart()

    def restart(self) -> None:
        """Start the clock again: ``timeout`` seconds from now."""
        if self._timeout is not None:
            self.deadline = time.monotonic() + self._timeout

    def shortened(self) -> bool:
        """True when the socket's timeout was lowered (to be set back for reuse)."""
        return self._current != self._timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        if self._timeout is not None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the read timeout has passed")
            if self._current is not None and left < self._current - 0.001:  # 1 ms of slack
                self._sock.settimeout(left)
                self._current = left
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class InterimSkipping(http.client.HTTPResponse):
    """``http.client``'s response, skipping every interim (1xx) answer.

    http.client skips 100 Continue only; any other (103 Early Hints, 102
    Processing) would be taken as the answer, and the real one read as the next
    request's. 101 is left to fail: nothing here asks to upgrade. Also the
    response class of the adapter's urllib3 connections (:mod:`alphacast._lean_adapter`).
    """

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 102 <= status < 200:
                return version, status, reason
            http.client.parse_headers(self.fp)  # its headers, dropped


def quiet(sock: socket.socket | None) -> bool:
    """True when an idle connection can carry the next request: connected, and
    nothing arrived while idle. A server that closed it (its keep-alive timeout)
    makes it readable; so would bytes nobody asked for, which must not be read as
    the next answer. Bytes TLS has already decrypted wait inside the SSL object,
    where ``select`` cannot see them."""
    if sock is None or wait_for_read(sock, timeout=0.0):
        return False
    return not (isinstance(sock, ssl.SSLSocket) and sock.pending())


class _Answer(InterimSkipping):
    """The response of the direct connections: the status line and headers due
    within the read timeout of the request being sent, the body within the read
    timeout of the headers, an ambiguous length refused."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # http.client's reader, replaced by one bounded by the deadline
        self.reader = _DeadlineReader(sock, sock.gettimeout())
        self.fp = io.BufferedReader(self.reader, 65536)

    def begin(self) -> None:
        super().begin()
        lengths = set(self.msg.get_all("Content-Length") or ())
        if len(lengths) > 1:  # where does this answer end? Not reused, not guessed.
            raise http.client.HTTPException(f"Content-Length given twice: {sorted(lengths)}")
        self.reader.restart()


class _Connection(http.client.HTTPConnection):
    """One connection: TCP (and TLS, given a context) within the connect timeout,
    then every read within the read timeout."""

    response_class = _Answer

    def __init__(
        self, host: str, port: int, context: ssl.SSLContext | None, timeout: Timeouts
    ) -> None:
        super().__init__(host, port, timeout=timeout[0])
        self.context = context
        self.read_timeout = timeout[1]
        if context is not None:
            self.default_port = 443  # no ":443" in the Host header, as for https URLs

    def connect(self) -> None:
        super().connect()
        if self.context is not None:
            self.sock = self.context.wrap_socket(self.sock, server_hostname=self.host)
        self.sock.settimeout(self.read_timeout)


class DirectPool:
    """Connections to one origin, each used by one thread at a time. Thread-safe."""

    def __init__(
        self,
        scheme: str,
        host: str,
        port: int,
        context: ssl.SSLContext | None,
        timeout: Timeouts,
    ) -> None:
        """``context``: for https, as :func:`tls_context` makes it; ``timeout``: the
        (connect, read) seconds, None for no limit."""
        self.scheme, self.host, self.port = scheme, host, port
        self._context = context
        self._timeout = timeout
        self._idle: deque[_Connection] = deque()
        self._lock = threading.Lock()
        #: Bumped by close(): a connection opened before it is not kept after its call.
        self._generation = 0
        #: Connections opened so far, numbered in DEBUG lines as urllib3 numbers its own.
        self.opened = 0
        # A pool dropped unclosed (a client never closed, a forked child's copy)
        # closes its idle sockets, rather than leaving them to the garbage collector.
        weakref.finalize(self, _close_all, self._idle)

    def close(self) -> None:
        """Close the idle connections now, and those in use when their call ends."""
        with self._lock:
            self._generation += 1
        _close_all(self._idle)

    def send(
        self, request: requests.PreparedRequest, path: str, headers: dict[str, str]
    ) -> requests.Response:
        """Send ``request`` (its body bytes, text or None) and read the answer whole."""
        conn, generation = self._take()
        method = request.method or "GET"
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")  # as urllib3 sends text, and requests counted it
        try:
            answer, content = self._exchange(conn, request, method, path, headers, body)
        except _Stale:
            # The server closed the idle connection as the request went out (its
            # keep-alive timeout): once more on a new one, for a request that
            # changes nothing. Others go to the RetryPolicy, which knows whether
            # they may be sent twice.
            conn = self._new()
            answer, content = self._exchange(conn, request, method, path, headers, body)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                '%s "%s %s HTTP/1.1" %s %s',
                self._where(),
                method,
                redact_text(path),
                answer.status,
                answer.getheader("Content-Length"),
            )
        self._give_back(conn, generation)
        return _response(request, answer, content)

    def _exchange(
        self,
        conn: _Connection,
        request: requests.PreparedRequest,
        method: str,
        path: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> tuple[_Answer, bytes]:
        """One request and its whole answer on ``conn`` (closed on any failure).
        Raises requests' exceptions, or ``_Stale``."""
        reused = conn.sock is not None
        try:
            if not reused:
                self._connect(conn)
            try:
                conn.putrequest(method, path, skip_accept_encoding=True)
                for name, value in headers.items():
                    conn.putheader(name, value)
                conn.endheaders(body)
                answer: _Answer = conn.getresponse()  # type: ignore[assignment]
            except TimeoutError as exc:
                raise rex.ReadTimeout(
                    f"{self._where()}: read timed out (no answer within {self._timeout[1]} s)",
                    request=request,
                ) from exc
            except (OSError, http.client.HTTPException) as exc:
                if reused and method in _SAFE_METHODS and isinstance(exc, _CLOSED_BY_PEER):
                    raise _Stale from None
                raise rex.ConnectionError(
                    u3.ProtocolError("Connection aborted.", exc), request=request
                ) from None
            content = self._read(answer)
            if answer.reader.shortened() and conn.sock is not None:
                conn.sock.settimeout(self._timeout[1])  # as it was, for the next request
        except BaseException:
            conn.close()
            raise
        return answer, content

    # -- connections -------------------------------------------------------------

    def _take(self) -> tuple[_Connection, int]:
        """An idle connection still alive, or a new, unconnected one; and the
        generation it belongs to."""
        generation = self._generation
        while True:
            try:
                conn = self._idle.pop()  # the most recently used: likeliest alive
            except IndexError:
                return self._new(), generation
            if quiet(conn.sock):
                return conn, generation
            conn.close()

    def _new(self) -> _Connection:
        return _Connection(self.host, self.port, self._context, self._timeout)

    def _give_back(self, conn: _Connection, generation: int) -> None:
        # The length check races with other threads' returns: at worst a few
        # more than MAX_IDLE stay idle, which a lock on every call would not be worth.
        if conn.sock is None or generation != self._generation or len(self._idle) >= MAX_IDLE:
            conn.close()
        else:
            self._idle.append(conn)

    def _connect(self, conn: _Connection) -> None:
        with self._lock:
            self.opened += 1
            number = self.opened
        log.debug("Starting new %s connection (%d): %s", self.scheme.upper(), number, self._where())
        try:
            conn.connect()
        except TimeoutError as exc:
            raise rex.ConnectTimeout(
                f"{self._where()}: could not connect within the connect timeout "
                f"({self._timeout[0]} s)"
            ) from exc
        except ssl.SSLError as exc:
            raise rex.SSLError(exc) from exc
        except OSError as exc:
            raise NotConnected(f"could not connect to {self._where()}: {exc}") from exc

    def _where(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    # -- the answer --------------------------------------------------------------

    def _read(self, answer: _Answer) -> bytes:
        """The whole body (within the read timeout of the headers), decoded."""
        try:
            content = answer.read()
        except TimeoutError:
            raise rex.ReadTimeout(
                f"the body did not arrive whole within the read timeout of {self._timeout[1]:g} s"
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            raise rex.ChunkedEncodingError(
                u3.ProtocolError("Response ended prematurely", exc)
            ) from None
        encoding = answer.getheader("Content-Encoding")
        if encoding and encoding.strip().lower() != "identity":
            content = _decoded(content, answer)
        return content


def _close_all(idle: deque[_Connection]) -> None:
    while True:
        try:
            conn = idle.pop()
        except IndexError:  # empty, or emptied by another thread meanwhile
            return
        conn.close()


def _decoded(content: bytes, answer: http.client.HTTPResponse) -> bytes:
    """``content`` decoded as its Content-Encoding says, by urllib3's decoders."""
    try:
        wrapped = urllib3.HTTPResponse(
            body=io.BytesIO(content),
            headers=dict(answer.getheaders()),
            status=answer.status,
            preload_content=False,
            decode_content=True,
        )
        return wrapped.read()
    except u3.DecodeError as exc:
        raise rex.ContentDecodingError(exc) from None


def _response(
    request: requests.PreparedRequest, answer: http.client.HTTPResponse, content: bytes
) -> requests.Response:
    """requests' response for ``answer``, its body already read (no cookies kept:
    :mod:`alphacast._hotpath` says why)."""
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in answer.msg.items():
        known = headers.get(name)
        # A repeated header is one, its values joined, as urllib3 joins them.
        headers[name] = value if known is None else f"{known}, {value}"
    if answer.msg.defects:
        log.warning(
            "Failed to parse headers (%s) of the answer from %s",
            ", ".join(type(defect).__name__ for defect in answer.msg.defects),
            redact_text(request.url or ""),
        )
    response = requests.Response()
    response.status_code = answer.status
    response.headers = headers
    response.encoding = get_encoding_from_headers(headers)
    response.reason = answer.reason
    response.url = request.url or ""
    response.request = request
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    return response
