"""The HTTP transport: pooled connections per client, timeouts, retries, redaction.

Resource classes build requests and shape results; this module sends them. It
owns the ``requests.Session`` and the :class:`~alphacast._hotpath.Sender`
(keep-alive connections reused across calls, reset in a forked child), sends,
waits as the client's :class:`~alphacast.RetryPolicy` decides, follows redirects
one hop at a time, never routes loopback (or a key over plain http) through a
proxy, never lets ``~/.netrc`` replace or add credentials, and turns failures
into :mod:`alphacast.errors` with every key masked. The key itself is
``KeyAuth`` (:mod:`alphacast._auth`)'s business: it applies it, refreshes it
after a 401 and decides what each redirect may carry. Each hop is sent by the
``Sender``, not ``Session.request``: on a direct ``http.client`` connection
(:mod:`alphacast._direct`) or through the session's adapter, with the
environment read once per origin, not on every call.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
import urllib3.exceptions

from alphacast import _version
from alphacast._auth import (
    API_KEY_PARAM,
    Host,
    KeyAuth,
    LiveCredential,
    check_url,
    connect_origin,
    is_loopback,
    shown_url,
)
from alphacast._credentials import Credential
from alphacast._hotpath import Sender
from alphacast._lean_adapter import LeanAdapter, read_body
from alphacast._retry import RetryPolicy, certificate_rejected
from alphacast.errors import (
    APIError,
    ConnectionFailedError,
    error_class_for,
)
from alphacast.redact import install_log_filters, redact_text

__all__ = ["DEFAULT_TIMEOUT", "Transport", "check_url", "connect_origin", "is_loopback"]

log = logging.getLogger("alphacast.transport")

#: (connect, read) seconds.
DEFAULT_TIMEOUT = (10.0, 120.0)
USER_AGENT = f"alphacast-python/{_version.__version__} requests/{requests.__version__}"
MAX_REDIRECTS = 5

Params = Sequence[tuple[str, str]]
BodyFactory = Callable[[], tuple[str, Any]]


_CA_HINT = (
    ". If the server uses a private certificate authority, give its CA file "
    "as Alphacast(verify=...) or in REQUESTS_CA_BUNDLE"
)


class _Session(requests.Session):
    """A session that leaves every redirect to :class:`Transport`.

    With ``allow_redirects=False`` requests still prepares the next hop (rebuilding
    auth and proxies, reading ``~/.netrc``) and raises a bare ``ValueError`` on a
    malformed Location; the transport decides alone what a redirect may carry.
    """

    def get_redirect_target(self, resp: requests.Response) -> None:
        return None


def _new_session() -> requests.Session:
    session = _Session()
    session.headers["User-Agent"] = USER_AGENT
    session.mount("https://", LeanAdapter())
    session.mount("http://", LeanAdapter())
    return session


_live_transports: weakref.WeakSet[Transport] = weakref.WeakSet()


def _reset_after_fork() -> None:
    """In a forked child, give every transport a session of its own.

    The parent's pooled sockets are shared with the child after ``fork()``: two
    processes reading one socket get each other's answers. The child drops its
    copies unused (closing them would be harmless, but nothing is sent on them) and
    opens its own connections on first use.
    """
    for transport in list(_live_transports):
        transport.session = _new_session()
        transport.sender = Sender(transport.session, transport.verify, transport.timeout)


if hasattr(os, "register_at_fork"):  # POSIX; Windows has no fork()
    os.register_at_fork(after_in_child=_reset_after_fork)


class Transport:
    """Sends requests for one client. Thread-safe; close it with :meth:`close`."""

    def __init__(
        self,
        credential: LiveCredential,
        *,
        api_url: str,
        workspace_url: str,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
    ) -> None:
        install_log_filters()
        self.auth = KeyAuth(credential)
        self.api_url = check_url(api_url, "api_url")
        self.workspace_url = check_url(workspace_url, "workspace_url")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.verify = verify
        self.session = _new_session()
        self.sender = Sender(self.session, verify, timeout)
        _live_transports.add(self)

    @property
    def credential(self) -> LiveCredential:
        """The live credential this transport's ``KeyAuth`` (:mod:`alphacast._auth`) sends."""
        return self.auth.live

    @credential.setter
    def credential(self, live: LiveCredential) -> None:
        self.auth = KeyAuth(live)

    def close(self) -> None:
        self.sender.close()
        self.session.close()

    def base_url(self, host: Host) -> str:
        return self.api_url if host is Host.API else self.workspace_url

    # -- the request loop -------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        host: Host = Host.API,
        params: Params | Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        body: BodyFactory | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send a request and return the successful response, or raise APIError."""
        method = method.upper()
        url = self.base_url(host) + path
        base_params = list(params.items() if isinstance(params, Mapping) else params or ())
        base_params = [(k, _text(v)) for k, v in base_params if v is not None]
        deadline = time.monotonic() + self.retry.total_seconds
        auth = self.auth
        credential = auth.credential
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            failure: ConnectionFailedError | None = None
            try:
                response, carried, last_url = self._send_following_redirects(
                    method, url, host, auth, credential, base_params, data, json_body, body, stream
                )
            except requests.RequestException as exc:
                wait = self.retry.next_wait(
                    method, attempt, error=exc, time_left=deadline - time.monotonic()
                )
                if wait is not None:
                    self._sleep(wait, attempt)
                    continue
                failure = ConnectionFailedError(
                    f"could not complete {method} {shown_url(url)}: {redact_text(str(exc))}"
                    + (_CA_HINT if certificate_rejected(exc) else "")
                )
            if failure is not None:
                # Raised outside the except block, so the requests exception (whose
                # text holds the URL, and for search the apiKey) is not even kept as
                # the hidden __context__ of the error.
                raise failure
            status = response.status_code
            if status == 401 and not carried:
                # Another origin, reached by a redirect the key did not follow:
                # not the key rejected, so the provider is not asked again.
                raise self._foreign_401(response, method, url, last_url)
            if status == 401 and not refreshed:
                refreshed = True
                fresh = auth.after_401(credential)
                if fresh is not None:
                    response.close()
                    credential = fresh
                    continue
            if status < 400:
                return response
            wait = self.retry.next_wait(
                method,
                attempt,
                status=status,
                retry_after=response.headers.get("Retry-After"),
                time_left=deadline - time.monotonic(),
            )
            if wait is not None:
                response.close()
                self._sleep(wait, attempt)
                continue
            raise self._error(response, method, url, credential)

    def _send_following_redirects(
        self,
        method: str,
        url: str,
        host: Host,
        auth: KeyAuth,
        credential: Credential,
        params: list[tuple[str, str]],
        data: Mapping[str, Any] | None,
        json_body: Any,
        body: BodyFactory | None,
        stream: bool,
    ) -> tuple[requests.Response, bool, str]:
        """The final response, whether its request carried the key, and its URL."""
        origin = _origin_of(url)
        target = origin
        added: set[str] | None = None  # worked out at the first redirect, if any
        authenticated = True
        for _ in range(MAX_REDIRECTS + 1):
            headers: dict[str, str] = {}
            request_params = list(params)
            if authenticated:
                auth.apply(credential, host, headers, request_params)
            payload: Any = data
            if body is not None:
                content_type, payload = body()
                headers["Content-Type"] = content_type
            debug = log.isEnabledFor(logging.DEBUG)
            started = time.perf_counter() if debug else 0.0
            response = self.sender.send(
                method,
                url,
                target=target,
                carries_key=authenticated,
                params=request_params,
                headers=headers,
                data=payload,
                json_body=json_body,
                stream=stream,
            )
            if debug:
                log.debug(
                    "%s %s -> %d in %.1f ms",
                    method,
                    shown_url(url),
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response, authenticated, url
            response.close()
            if added is None:  # the parameters this package added, the key among them
                added = {name.lower() for name, _ in params} | {API_KEY_PARAM.lower()}
            url, target = auth.follow(credential, url, location, added)
            # Checked on every hop: a later Location may also try to carry the key.
            carry = auth.may_carry(credential, origin, url, target)
            authenticated = authenticated and carry
            if not authenticated:
                params = []
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, data, json_body, body = "GET", None, None, None
        raise ConnectionFailedError(f"too many redirects from {shown_url(url)}")

    @staticmethod
    def _sleep(delay: float, attempt: int) -> None:
        log.debug("retrying in %.2f s (attempt %d failed)", delay, attempt)
        time.sleep(delay)

    def _foreign_401(
        self, response: requests.Response, method: str, url: str, target: str
    ) -> APIError:
        error = self._error(response, method, target, None)
        shown, start = shown_url(target, query=False), shown_url(url, query=False)
        first = str(error).split("\n", 1)[0]
        error.args = (
            f"{first}\nRequest: {method} {start}, redirected to {shown}\n"
            f"The redirect target {shown} answered 401, but the API key was not sent "
            "there (it goes only to the origin it is configured for): the key was not "
            "rejected. The service redirected this request somewhere that asks for "
            "other credentials.",
        )
        return error

    def _error(
        self, response: requests.Response, method: str, url: str, credential: Credential | None
    ) -> APIError:
        message = None
        try:
            if getattr(response, "_content_consumed", True) is False:  # streamed
                read_body(response, self.sender.read_timeout)  # bounded by the timeout
            raw = response.content[:65536]
            payload = json.loads(raw) if raw else None
            if isinstance(payload, Mapping):
                found = payload.get("message")
                message = redact_text(str(found)) if found else None
        except (
            ValueError,
            AttributeError,
            urllib3.exceptions.HTTPError,
            requests.RequestException,
        ):
            message = None
        finally:
            response.close()
        status = response.status_code
        cls = error_class_for(status)
        return cls(
            status,
            message,
            method=method,
            url=shown_url(url, query=False),
            credential=credential,
        )


def _text(value: object) -> str:
    return str(value)


@functools.lru_cache(maxsize=256)
def _origin_of(url: str) -> tuple[str, str, int]:
    """:func:`connect_origin`, remembered: a pure function of the URL, called once
    per request (parsing a URL twice costs as much as the rest of a call)."""
    return connect_origin(url)
