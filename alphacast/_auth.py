"""Everything about the key on the wire, in one object per client.

:class:`KeyAuth` owns a client's live credential: it applies the key as the service
documents it (HTTP Basic Auth with the key as username and an empty password on the
API host; the ``apiKey`` query parameter on the workspace host's ``/api/search``),
refreshes it once after a 401, and decides what a redirect may carry. The transport
sends, retries and follows; it never touches the key itself.

Where a key may go is decided with the parser that opens the connection
(:func:`connect_origin`), never with a second one that may read a URL differently.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import MutableMapping
from enum import Enum
from typing import Protocol
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from alphacast._credentials import Credential
from alphacast.errors import ConnectionFailedError, InsecureTransportError
from alphacast.redact import redact_text

__all__ = [
    "API_KEY_PARAM",
    "Host",
    "KeyAuth",
    "LiveCredential",
    "Origin",
    "basic_header",
    "check_url",
    "connect_origin",
    "is_loopback",
    "shown_url",
]

API_KEY_PARAM = "apiKey"


class Host(Enum):
    """The two hosts of the service, which authenticate differently."""

    API = "api"
    WORKSPACE = "workspace"


class LiveCredential(Protocol):
    """A credential that may change under a client (the chain's ``ResolvedCredential``)."""

    @property
    def current(self) -> Credential: ...

    def refresh(self, stale: Credential) -> Credential | None: ...


def basic_header(key: str) -> str:
    """``Authorization`` header value for ``key`` with an empty password."""
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode("ascii")


def is_loopback(hostname: str) -> bool:
    """True for an address in 127.0.0.0/8, ``::1``, or the name ``localhost``.

    Other names (``api.localhost`` included) are not loopback: DNS may resolve
    them anywhere.
    """
    host = hostname.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


Origin = tuple[str, str, int]

_DEFAULT_PORTS = {"http": 80, "https": 443}


def connect_origin(url: str) -> Origin:
    """The (scheme, host, port) a request for ``url`` actually connects to.

    ``url`` is normalised as requests prepares it, then read by urllib3's parser,
    the one that opens the connection. The standard library's parser must read
    the prepared URL the same way; where the two disagree (backslashes, userinfo,
    odd ports) the URL is refused rather than guessed at. Raises ``ValueError``.
    """
    # Imported here: `import alphacast` stays light (requests loads on first use).
    import requests
    import urllib3.exceptions
    from urllib3.util import parse_url

    prepared = requests.PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        parsed = parse_url(prepared.url or "")
        split = urlsplit(prepared.url or "")
        split_port = split.port
    except (requests.RequestException, urllib3.exceptions.LocationParseError) as exc:
        raise ValueError(f"malformed URL: {redact_text(str(exc))}") from None
    scheme = (parsed.scheme or "").lower()
    if scheme not in _DEFAULT_PORTS or not parsed.host:
        raise ValueError("not an http(s) URL")
    if parsed.auth or split.username is not None or "\\" in url:
        raise ValueError("a URL with user information or a backslash is ambiguous")
    host = parsed.host.strip("[]").lower()
    if (split.hostname or "") != host or split_port != parsed.port:
        raise ValueError("the URL reads differently to different parsers")
    return scheme, host, parsed.port or _DEFAULT_PORTS[scheme]


def check_url(url: str, what: str) -> str:
    """``url`` without a trailing slash, if it is safe to send a key to.

    Plain ``http://`` is refused except to loopback (the emulator).
    """
    try:
        scheme, host, _ = connect_origin(url)
    except ValueError as exc:
        raise InsecureTransportError(f"{what} {redact_text(url)!r} is refused: {exc}") from None
    if scheme == "http" and not is_loopback(host):
        raise InsecureTransportError(
            f"refusing to send an API key over plain http to {host} ({what}): "
            "anyone on the network path could read it. Use https://, or http:// only "
            "for a loopback address such as the local emulator."
        )
    return url.rstrip("/")


class KeyAuth:
    """The live credential of one client, and the rules for where its key goes."""

    __slots__ = ("_cached", "live")

    def __init__(self, live: LiveCredential) -> None:
        self.live = live
        self._cached: tuple[Credential, str] | None = None

    @property
    def credential(self) -> Credential:
        """The credential to send now (re-resolved first when about to expire)."""
        return self.live.current

    def apply(
        self,
        credential: Credential,
        host: Host,
        headers: MutableMapping[str, str],
        params: list[tuple[str, str]],
    ) -> None:
        """Put ``credential`` on a request for ``host``; the Basic header is built
        once per key."""
        if host is Host.WORKSPACE:
            params.append((API_KEY_PARAM, credential.api_key))
            return
        cached = self._cached
        if cached is None or cached[0] is not credential:
            cached = (credential, basic_header(credential.api_key))
            self._cached = cached
        headers["Authorization"] = cached[1]

    def after_401(self, stale: Credential) -> Credential | None:
        """The new credential to try once after ``stale`` got a 401, or ``None``
        when the provider has no other key."""
        return self.live.refresh(stale)

    def follow(
        self, credential: Credential, url: str, location: str, added: set[str]
    ) -> tuple[str, Origin]:
        """The URL a redirect from ``url`` leads to, and the origin it connects to.

        The parameters the SDK added to the request (``added``, lower-cased names;
        the key among them) are removed from the new URL whatever the Location
        says: the transport adds them again only where they may go. Raises
        :class:`~alphacast.ConnectionFailedError` for a malformed or ambiguous
        Location.
        """
        try:
            target_url = _without_params(urljoin(url, location), added, credential.api_key)
            return target_url, connect_origin(target_url)
        except ValueError as exc:
            where = shown_url(url, query=False)
            raise ConnectionFailedError(
                f"refused a redirect from {where} to a malformed Location: {exc}"
            ) from None

    @staticmethod
    def may_carry(credential: Credential, origin: Origin, url: str, target: Origin) -> bool:
        """Whether the key may go to ``target``: only to the origin it was
        configured for (same scheme, host and port). A URL for another origin that
        still holds the key is refused outright."""
        if target == origin:
            return True
        if credential.api_key in url or credential.api_key in unquote(url):
            raise ConnectionFailedError(
                f"refused a redirect to {target[1]}: its Location carries the API key"
            )
        return False

    def __repr__(self) -> str:
        return f"KeyAuth({self.live!r})"


def _without_params(url: str, names: set[str], key: str) -> str:
    """``url`` without query parameters named in ``names`` (case-insensitively) or
    holding ``key``."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if k.lower() not in names and key not in v]
    if len(kept) == len(pairs):
        return url
    return urlunsplit(parts._replace(query=urlencode(kept)))


def shown_url(url: str, *, query: bool = True) -> str:
    """``url`` as messages and logs show it: without fragment, keys masked."""
    parts = urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}"
    if query and parts.query:
        shown += f"?{parts.query}"
    return redact_text(shown)
