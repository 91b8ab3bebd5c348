"""One request, without ``Session.request``: by a direct connection or the adapter.

``requests.Session.request`` does, on every call, work whose answer never changes
for a client: it merges session settings into the request (hooks, params, auth and
a ``~/.netrc`` lookup the transport must switch off anyway), reads the proxy and CA
bundle variables from the environment, and looks up the adapter. :class:`Sender`
prepares the request itself, with what the environment says resolved once per
origin, and sends it one of two ways:

- a request that goes through no proxy, with its body in memory and its answer
  read whole (nearly every call but transfers), on the origin's
  :class:`~alphacast._direct.DirectPool`: ``http.client`` connections kept alive,
  with requests' TLS settings and timeouts, at half urllib3's CPU per call;
- anything else (a streamed download or upload, a proxy, a client certificate,
  ``verify=False``) through the same ``HTTPAdapter.send`` the session would call
  (:mod:`alphacast._lean_adapter`), which pools its own connections.

What stays as requests does it: the URL and body are prepared by
``PreparedRequest``'s own steps (so they are encoded the same way; the headers,
all built by this package, are not validated again); no redirect is followed and
nothing retried here; failures are requests' exceptions; the answer is a
``requests.Response``.

What differs: no cookie is ever stored or sent. The service documents none and
sets none, and a jar is state that outlives the key it was earned with: requests'
jar follows the cookie's domain, not the origin the key is tied to, so it sent the
API host's cookie to another port on a key-less redirect hop, sent a cookie that
other origin planted back with the key, and sent one key's cookies with the next
key after a refresh. Keeping none closes all three (``Set-Cookie`` is still
readable on ``response.headers``). A body that is not streamed must arrive whole
within the read timeout, counted from the response's headers (``raw.read`` alone
waits up to the read timeout per ``recv``: a server sending a byte at a time would
hold a call forever). A CA file that does not exist is a
:class:`~alphacast.ConnectionFailedError` naming the file and the setting that gave
it, not a bare ``OSError``.

Also: the environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``,
``CURL_CA_BUNDLE``) is read the first time a client connects to an origin and kept
for that client's life (a forked child starts afresh). ``~/.netrc`` is never read,
and session hooks are not run (the transport's session has none).
"""

from __future__ import annotations

import os
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import requests
import requests.adapters
from requests.structures import CaseInsensitiveDict
from requests.utils import select_proxy

from alphacast._auth import Origin, is_loopback
from alphacast._direct import DirectPool, tls_context
from alphacast._lean_adapter import LeanAdapter, PoolKey, as_urllib3_timeout, read_body
from alphacast.errors import ConnectionFailedError
from alphacast.redact import install_log_filters

__all__ = ["Sender", "proxies_for"]

#: A (connect, read) pair, or one number for both.
Timeout = float | tuple[float, float]


def proxies_for(target: Origin, *, carries_key: bool) -> dict[str, str | None] | None:
    """No proxy for loopback (it never leaves the machine) nor for a key over plain
    http (a proxy would read it); otherwise whatever the environment says."""
    scheme, host, _ = target
    if is_loopback(host) or (carries_key and scheme == "http"):
        # A new dict each time: requests adds the environment's settings into it.
        return {"http": None, "https": None, "all": None}
    return None


class _Route:
    """How requests to one origin go, worked out on the first of them."""

    __slots__ = ("adapter", "cert", "direct", "pool", "proxies", "verify")

    def __init__(
        self,
        adapter: requests.adapters.BaseAdapter,
        proxies: Any,
        verify: Any,
        cert: Any,
        direct: PoolKey | None,
        pool: DirectPool | None,
    ) -> None:
        self.adapter = adapter
        self.proxies = proxies
        self.verify = verify
        self.cert = cert
        #: The pool key, when the request goes through no proxy and the adapter
        #: is the transport's own; else None (the adapter's ``send`` decides).
        self.direct = direct
        #: The ``http.client`` connections that carry the requests needing nothing
        #: more (not streamed, a body in memory), or None: all go by the adapter.
        self.pool = pool


class Sender:
    """Sends prepared requests for one transport through ``session``'s adapters.

    Thread-safe: the caches only ever gain entries, each computed from the
    environment and the session alone, so two threads that race compute the same
    value.
    """

    def __init__(self, session: requests.Session, verify: bool | str, timeout: Timeout) -> None:
        self.session = session
        self.verify = verify
        self.timeout = timeout
        self._timeout = as_urllib3_timeout(timeout)
        #: Seconds a whole non-streamed body may take once the headers are in.
        self.read_timeout: float | None = self._timeout.read_timeout
        self._headers: dict[str, Any] = dict(session.headers)
        #: (origin, carries the key) -> its route
        self._routes: dict[tuple[Origin, bool], _Route] = {}
        #: URL without parameters -> the URL as requests prepares it, its path
        self._urls: dict[str, tuple[str, str]] = {}
        #: verify -> the TLS context the direct pools use for it
        self._contexts: dict[Any, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def _route(
        self, request: requests.PreparedRequest, target: Origin, carries_key: bool
    ) -> _Route:
        key = (target, carries_key)
        route = self._routes.get(key)
        if route is not None:
            return route
        # Loggers urllib3 created since the transport was (a proxy or TLS module
        # loaded for this origin) get the redacting filter too.
        install_log_filters()
        session = self.session
        url = request.url or ""
        # requests documents None as "drop this environment proxy"; the stubs do not.
        proxies: Any = proxies_for(target, carries_key=carries_key) or {}
        # The same merge Session.request does on every call; proxies and the CA
        # bundle depend on the scheme, host and port alone.
        settings = session.merge_environment_settings(url, proxies, False, self.verify, None)
        adapter = session.get_adapter(url)
        verify, cert = settings["verify"], settings["cert"]
        if target[0] == "https":
            _check_ca_file(verify, self.verify)
        direct = pool = None
        if isinstance(adapter, LeanAdapter) and not select_proxy(url, settings["proxies"]):
            if hasattr(adapter, "build_connection_pool_key_attributes"):
                direct = adapter.pool_key(request, verify, cert)
            if cert is None and (target[0] == "http" or verify is not False):
                pool = self._direct_pool(target, verify)
        route = _Route(adapter, settings["proxies"], verify, cert, direct, pool)
        with self._lock:
            known = self._routes.get(key)
            if known is not None:  # another thread got there first: one pool per route
                if pool is not None:
                    pool.close()
                return known
            if len(self._routes) < 64:  # redirects to many origins do not grow it forever
                self._routes[key] = route
                return route
        if pool is not None:  # not kept, so nobody would close its connections
            pool.close()
            route.pool = None
        return route

    def _direct_pool(self, target: Origin, verify: Any) -> DirectPool:
        scheme, host, port = target
        context = None
        if scheme == "https":
            context = self._contexts.get(verify)
            if context is None:
                context = self._contexts[verify] = tls_context(verify)
        timeout = self.timeout if isinstance(self.timeout, tuple) else (self.timeout,) * 2
        return DirectPool(scheme, host, port, context, timeout)

    def close(self) -> None:
        """Close the direct pools' idle connections (the adapter's are the session's)."""
        with self._lock:
            routes = list(self._routes.values())
        for route in routes:
            if route.pool is not None:
                route.pool.close()

    def _prepare_url(self, request: requests.PreparedRequest, url: str, params: Any) -> str:
        """Set the request's URL as requests prepares it; return its path and query."""
        if params:
            request.prepare_url(url, params)
            return request.path_url
        known = self._urls.get(url)
        if known is None:
            request.prepare_url(url, None)
            known = (request.url or "", request.path_url)
            if len(self._urls) < 1024:
                self._urls[url] = known
        request.url = known[0]
        return known[1]

    def send(
        self,
        method: str,
        url: str,
        *,
        target: Origin,
        carries_key: bool,
        params: Sequence[tuple[str, str]],
        headers: Mapping[str, str],
        data: Any,
        json_body: Any,
        stream: bool,
    ) -> requests.Response:
        """Send one request (no redirect followed) and return requests' response."""
        request = requests.PreparedRequest()
        request.prepare_method(method)
        path = self._prepare_url(request, url, params)
        # The session's headers and the transport's own (Authorization,
        # Content-Type), all built by this package: nothing for prepare_headers
        # to validate, so one dictionary is built, not three.
        wire_headers = {**self._headers, **headers}
        request.headers = CaseInsensitiveDict(wire_headers)
        if data is not None or json_body is not None or method not in _BODILESS:
            request.prepare_body(data, None, json_body)
            wire_headers = {}
        if not wire_headers:  # a Content-Length or Content-Type was added
            wire_headers = dict(request.headers)
        request.hooks = {"response": []}
        route = self._route(request, target, carries_key)
        started = time.perf_counter()
        body = request.body
        if (
            route.pool is not None
            and not stream
            and (body is None or isinstance(body, bytes | str))
        ):
            response = route.pool.send(request, path, wire_headers)
            response.elapsed = timedelta(seconds=time.perf_counter() - started)
            return response
        if route.direct is not None:
            lean: LeanAdapter = route.adapter  # type: ignore[assignment]
            response = lean.send_direct(
                request,
                route.direct,
                path=path,
                headers=wire_headers,
                verify=route.verify,
                cert=route.cert,
                stream=stream,
                timeout=self._timeout,
            )
        else:
            response = route.adapter.send(
                request,
                stream=stream,
                timeout=self.timeout,
                verify=route.verify,
                cert=route.cert,
                proxies=route.proxies,
            )
        response.elapsed = timedelta(seconds=time.perf_counter() - started)
        if stream:
            return response
        if route.direct is not None or hasattr(response.raw, "read1"):
            read_body(response, self.read_timeout)
        else:
            response.content  # noqa: B018 -- read the body now, as Session.send does
        return response


def _check_ca_file(verify: Any, given: bool | str) -> None:
    """Raise ConnectionFailedError when the CA file or directory to verify with is
    missing (requests raises a bare ``OSError`` at the first connection)."""
    if not isinstance(verify, str) or os.path.exists(verify):
        return
    if isinstance(given, str):
        source = "Alphacast(verify=...)"
    elif os.environ.get("REQUESTS_CA_BUNDLE") == verify:
        source = "the REQUESTS_CA_BUNDLE environment variable"
    else:
        source = "the CURL_CA_BUNDLE environment variable"
    raise ConnectionFailedError(
        f"the CA bundle {verify!r} given in {source} does not exist: "
        "give the path of a PEM file (or directory) of trusted certificates, or unset it"
    )


#: Methods whose empty body ``prepare_body`` leaves as it is (no Content-Length).
_BODILESS = frozenset({"GET", "HEAD"})
