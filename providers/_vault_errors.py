"""Turning what hvac and requests raise into a :class:`CredentialError` a person can
act on: it names the server, mount and path, says what went wrong and the fix, and
never shows a token or a key (messages pass through :func:`redact_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urljoin, urlsplit

from alphacast.config import config_location
from alphacast.errors import CredentialError
from alphacast.redact import redact_text

from ._vault_config import PROVIDER, Login, Target

if TYPE_CHECKING:  # requests is imported when a server is asked, not with the provider
    import requests

#: Read by the provider; named here in the fix for an unreachable server.
TIMEOUT_VARIABLE = "ALPHACAST_VAULT_TIMEOUT"


def fail(message: str, profile: str) -> NoReturn:
    raise CredentialError(redact_text(message), provider=PROVIDER, profile=profile)


class Unavailable(CredentialError):
    """This server cannot serve now (unreachable, sealed, a standby that redirects, an
    election under way): another server of the cluster may. ``reason`` says why, briefly."""

    def __init__(self, message: str, reason: str, profile: str) -> None:
        super().__init__(redact_text(message), provider=PROVIDER, profile=profile)
        self.reason = redact_text(reason)


class StaleToken(Exception):
    """A token this process kept from an earlier login was refused: log in again."""


class Redirected(Exception):
    """The server answered a redirect (3xx), which is never followed: the token (a
    header requests keeps across hosts) or an AppRole secret id would go with it, and
    the other host's answer would be taken for the server's.

    What is raised is also a ``requests.RequestException`` (see :func:`_raised`), as
    any failure of a request is; this base is defined without importing requests.
    """

    def __init__(self, response: requests.Response) -> None:
        super().__init__(f"the server answered {response.status_code}, a redirect")
        self.status = response.status_code
        #: Only where it points (scheme, host and port), never a path, query or user.
        self.origin = _origin(response.url, response.headers.get("Location"))


@cache
def _raised() -> type[Redirected]:
    """:class:`Redirected` that is a ``requests.RequestException`` too, built on first use."""
    import requests

    class RedirectedRequest(Redirected, requests.RequestException):
        """A redirect refused, as requests' hooks and its callers expect a failure."""

    return RedirectedRequest


def _origin(url: str, location: str | None) -> str | None:
    """``scheme://host[:port]`` of a redirect's target, if it names one."""
    if not location:
        return None
    try:
        parts = urlsplit(urljoin(url, location.strip()))
        port = parts.port
    except ValueError:
        return None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return None
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def refuse_redirect(response: requests.Response, *args: object, **kwargs: object) -> None:
    """A requests response hook: a redirect is an error, raised before it is followed."""
    if 300 <= response.status_code < 400:
        response.close()
        raise _raised()(response)


class ExplainsFailures:
    """What a conversation with the server needs to explain its failures.

    ``hvac`` is the module, passed in because it is imported only on first use.
    """

    def __init__(
        self,
        hvac: ModuleType,
        client: Any,
        target: Target,
        login: Login,
        profile: str,
        timeout: float,
    ) -> None:
        self.hvac = hvac
        self.client = client
        self.target = target
        self.login = login
        self.profile = profile
        self.timeout = timeout
        self.token_source = login.source  # where the token came from, never the token
        #: The token in use comes from an earlier login, kept: a 403 may mean it was revoked.
        self.reused = False

    def fail(self, message: str) -> NoReturn:
        fail(message, self.profile)

    def cannot_serve(self, exc: Exception) -> bool:
        """Whether ``exc`` says this server cannot serve now, where another might."""
        import requests

        exceptions = self.hvac.exceptions
        down = (
            exceptions.VaultDown,  # 503: sealed, or standby without an active node
            exceptions.InternalServerError,  # 500: "local node not active", mid-election
            exceptions.BadGateway,
            exceptions.VaultNotInitialized,
            exceptions.RateLimitExceeded,
            Redirected,  # a standby pointing at the active node
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
        )
        return isinstance(exc, down) and not isinstance(exc, requests.exceptions.SSLError)

    @contextmanager
    def explained(self, version: int | None = None) -> Iterator[None]:
        """Turn what hvac and requests raise into a CredentialError saying what to do.

        ``version`` is the KV version of a read; ``None`` while logging in.
        """
        import requests  # loaded already: hvac, which was passed in, uses it

        target, exceptions = self.target, self.hvac.exceptions
        where = target.where()
        try:
            yield
        except exceptions.Forbidden:
            if self.reused:
                raise StaleToken from None
            if version is None:
                self.fail(
                    f"the server rejected the {self.token_source} (expired, revoked "
                    f"or issued by another server) reading {where}; log in again "
                    "(`bao login` / `vault login`) or set VAULT_TOKEN"
                )
            fix = f"the policy must grant `read` on `{target.api_path(version)}`"
            if self._token_valid():
                self.fail(f"permission denied reading {where} ({self.token_source}): {fix}")
            self.fail(
                f"permission denied reading {where} with the {self.token_source}: "
                "either the token is no longer valid (expired, revoked or issued by another "
                "server: log in again with `bao login` / `vault login` or set VAULT_TOKEN) "
                f"or {fix}"
            )
        except exceptions.InvalidPath:
            self.fail(
                f"no secret at {where} (KV v{version or 2}, API path "
                f"`{target.api_path(version or 2)}`); store it with `bao kv put "
                f"-mount={target.mount} {target.path} {target.field}=...` (or `vault kv put`), "
                f"or set vault_mount/vault_path in {config_location(self.profile)}. "
                "The server at VAULT_ADDR is authoritative: to "
                "serve this profile from elsewhere, give it a credential_chain without vault"
            )
        except exceptions.VaultError as exc:
            message = (
                f"the server failed reading {where}: {server_says(exc)}; check its health "
                "(sealed? standby?) and try again"
            )
            if self.cannot_serve(exc):
                raise Unavailable(message, server_says(exc), self.profile) from None
            self.fail(message)
        except Redirected as exc:
            to = f" to {exc.origin}" if exc.origin else ""
            raise Unavailable(
                self._redirected(exc), f"redirected ({exc.status}){to}", self.profile
            ) from None
        except requests.exceptions.SSLError as exc:
            self.fail(
                f"TLS verification failed reading {where}: {_reason(exc)}. Set VAULT_CACERT to "
                "the CA certificate that signed the server's certificate, or use http:// if the "
                "server speaks plain HTTP on a loopback address (verification cannot be "
                "turned off)"
            )
        except requests.RequestException as exc:
            message = (
                f"cannot reach the Vault server to read {where}: {_reason(exc)}. Check "
                "VAULT_ADDR and that the server is up and reachable from here, or raise "
                f"{TIMEOUT_VARIABLE} (now {self.timeout:g} s)"
            )
            if self.cannot_serve(exc):
                raise Unavailable(message, _reason(exc), self.profile) from None
            self.fail(message)

    def _redirected(self, exc: Redirected) -> str:
        to = f" to {exc.origin}" if exc.origin else ""
        if_intended = (
            f"; if {exc.origin} is the server to use, set VAULT_ADDR to it" if exc.origin else ""
        )
        return (
            f"the Vault server at {self.target.address} answered a redirect "
            f"({exc.status}){to}: "
            "redirects are never followed (the token or the AppRole secret id would go "
            "with it), so nothing was sent there. A standby node of a Vault cluster "
            "redirects to the active node: set VAULT_ADDR to the active node's address or "
            f"to the cluster's load-balanced address{if_intended}"
        )

    def _token_valid(self) -> bool:
        import requests

        try:
            self.client.auth.token.lookup_self()
        except (self.hvac.exceptions.VaultError, requests.RequestException):
            return False
        return True


def server_says(exc: Exception) -> str:
    """The server's own explanation of an hvac error, redacted and shortened."""
    errors = [str(e).strip() for e in getattr(exc, "errors", None) or () if str(e).strip()]
    text = "; ".join(errors) if errors else f"{type(exc).__name__}, no details"
    return redact_text(text[:300])


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests/urllib3 failure, without object reprs."""
    seen: set[int] = set()
    inner: BaseException = exc
    while id(inner) not in seen:
        seen.add(id(inner))
        nested = getattr(inner, "reason", None)
        if not isinstance(nested, BaseException) and inner.args:
            nested = inner.args[0]
        if not isinstance(nested, BaseException):
            break
        inner = nested
    text = re.sub(r"<[^>]*>:?\s*|^\w+\(host=[^)]*\):\s*", "", str(inner)).strip()
    text = text or type(inner).__name__
    return redact_text(text[:200])
