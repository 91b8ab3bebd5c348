"""The HTTP transport: one pooled session per client, timeouts, retries, redaction.

Resource classes build requests and shape results; this module sends them. It
owns the ``requests.Session`` (keep-alive connections reused across calls),
applies the credential through :class:`~alphacast.auth.KeyAuth`, retries by the
client's :class:`~alphacast.retry.RetryPolicy`, re-resolves the credential once
on a 401, follows redirects without ever carrying the key to another host, never
lets ``~/.netrc`` replace or add credentials, and turns failures into
:mod:`alphacast.errors` with every key masked.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.auth
import urllib3.exceptions

from alphacast import _version
from alphacast.auth import Host, KeyAuth
from alphacast.chain import ResolvedCredential
from alphacast.credentials import Credential
from alphacast.errors import (
    APIError,
    ConnectionFailedError,
    InsecureTransportError,
    error_class_for,
)
from alphacast.redact import install_log_filters, redact_text
from alphacast.retry import RetryPolicy

__all__ = ["DEFAULT_TIMEOUT", "Transport", "check_url"]

log = logging.getLogger("alphacast.transport")

#: (connect, read) seconds.
DEFAULT_TIMEOUT = (10.0, 120.0)
USER_AGENT = f"alphacast-python/{_version.__version__} requests/{requests.__version__}"
MAX_REDIRECTS = 5

Params = Sequence[tuple[str, str]]
BodyFactory = Callable[[], tuple[str, Any]]


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def check_url(url: str, what: str) -> str:
    """``url`` without a trailing slash, if it is safe to send a key to.

    Plain ``http://`` is refused except to loopback (the emulator).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InsecureTransportError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise InsecureTransportError(
            f"refusing to send an API key over plain http to {parts.hostname} ({what}): "
            "anyone on the network path could read it. Use https://, or http:// only "
            "for a loopback address such as the local emulator."
        )
    return url.rstrip("/")


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


class _AsBuilt(requests.auth.AuthBase):
    """Leaves a request's headers as the transport built them.

    Passed as ``auth=`` to every request: with no auth, requests fills in
    credentials from ``~/.netrc`` (a ``trust_env`` behaviour), which would replace
    our ``Authorization`` header with another login's, or add one where we send
    none (the workspace host, another origin after a redirect). ``trust_env`` stays
    on, so proxies and ``REQUESTS_CA_BUNDLE`` from the environment still apply.
    """

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


_AS_BUILT = _AsBuilt()


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request cannot have reached the server."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _certificate_rejected(exc: requests.RequestException) -> bool:
    """True when the server's certificate failed verification (not for other TLS
    failures, such as a connection dropped during the handshake)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        # requests wraps urllib3's MaxRetryError, whose .reason wraps the ssl error.
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        current = next(
            (e for e in (reason, first) if isinstance(e, BaseException)),
            current.__cause__ or current.__context__,
        )
    return False


_CA_HINT = (
    ". If the server uses a private certificate authority, give its CA file "
    "as Alphacast(verify=...) or in REQUESTS_CA_BUNDLE"
)


class Transport:
    """Sends requests for one client. Thread-safe; close it with :meth:`close`."""

    def __init__(
        self,
        credential: ResolvedCredential,
        *,
        api_url: str,
        workspace_url: str,
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        verify: bool | str = True,
    ) -> None:
        install_log_filters()
        self.credential = credential
        self.api_url = check_url(api_url, "api_url")
        self.workspace_url = check_url(workspace_url, "workspace_url")
        self.timeout = timeout
        self.retry = retry or RetryPolicy()
        self.verify = verify
        self._auth = KeyAuth()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT

    def close(self) -> None:
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
        credential = self.credential.current
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            failure: ConnectionFailedError | None = None
            try:
                response = self._send_following_redirects(
                    method, url, host, credential, base_params, data, json_body, body, stream
                )
            except requests.RequestException as exc:
                # A rejected certificate is rejected again next time; other failures
                # are retried when the request is idempotent or cannot have been sent.
                rejected = _certificate_rejected(exc)
                retryable = not rejected and (self.retry.is_idempotent(method) or _never_sent(exc))
                if retryable and self._wait(attempt, deadline, None):
                    continue
                failure = ConnectionFailedError(
                    f"could not complete {method} {self._shown(url)}: {redact_text(str(exc))}"
                    + (_CA_HINT if rejected else "")
                )
            if failure is not None:
                # Raised outside the except block, so the requests exception (whose
                # text holds the URL, and for search the apiKey) is not even kept as
                # the hidden __context__ of the error.
                raise failure
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                fresh = self.credential.refresh(credential)
                if fresh is not None:
                    response.close()
                    credential = fresh
                    continue
            if status < 400:
                return response
            if self.retry.should_retry_status(method, status) and self._wait(
                attempt, deadline, response.headers.get("Retry-After")
            ):
                response.close()
                continue
            raise self._error(response, method, url, credential)

    def _send_following_redirects(
        self,
        method: str,
        url: str,
        host: Host,
        credential: Credential,
        params: list[tuple[str, str]],
        data: Mapping[str, Any] | None,
        json_body: Any,
        body: BodyFactory | None,
        stream: bool,
    ) -> requests.Response:
        origin: tuple[str, str, int | None] | None = None
        authenticated = True
        for _ in range(MAX_REDIRECTS + 1):
            headers: dict[str, str] = {}
            request_params = list(params)
            if authenticated:
                self._auth.apply(credential, host, headers, request_params)
            payload: Any = data
            if body is not None:
                content_type, payload = body()
                headers["Content-Type"] = content_type
            debug = log.isEnabledFor(logging.DEBUG)
            started = time.perf_counter() if debug else 0.0
            response = self.session.request(
                method,
                url,
                params=request_params,
                data=payload,
                json=json_body,
                headers=headers,
                auth=_AS_BUILT,
                timeout=self.timeout,
                verify=self.verify,
                allow_redirects=False,
                stream=stream,
            )
            if debug:
                log.debug(
                    "%s %s -> %d in %.1f ms",
                    method,
                    self._shown(url),
                    response.status_code,
                    (time.perf_counter() - started) * 1000,
                )
            location = response.headers.get("Location")
            if not response.is_redirect or not location:
                return response
            response.close()
            if origin is None:
                origin = _origin(url)
            url = urljoin(url, location)
            # The key goes only to the origin it was configured for, and only over
            # a connection check_url would accept.
            authenticated = authenticated and _origin(url) == origin
            params = [] if not authenticated else params
            if response.status_code in (301, 302, 303) and method != "HEAD":
                method, data, json_body, body = "GET", None, None, None
        raise ConnectionFailedError(f"too many redirects from {self._shown(url)}")

    def _wait(self, attempt: int, deadline: float, retry_after: str | None) -> bool:
        if attempt >= self.retry.max_attempts:
            return False
        delay = self.retry.backoff(attempt, retry_after)
        if time.monotonic() + delay > deadline:
            return False
        log.debug("retrying in %.2f s (attempt %d failed)", delay, attempt)
        time.sleep(delay)
        return True

    def _shown(self, url: str) -> str:
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
        return redact_text(shown + (f"?{parts.query}" if parts.query else ""))

    def _error(
        self, response: requests.Response, method: str, url: str, credential: Credential
    ) -> APIError:
        message = None
        try:
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
            url=self._shown(url).split("?")[0],
            credential=credential,
        )


def _text(value: object) -> str:
    return str(value)
