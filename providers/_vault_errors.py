"""Turning what hvac and requests raise into a :class:`CredentialError` a person can
act on: it names the server, mount and path, says what went wrong and the fix, and
never shows a token or a key (messages pass through :func:`redact_text`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any, NoReturn

import requests

from alphacast.config import config_location
from alphacast.errors import CredentialError
from alphacast.redact import redact_text

from ._vault_config import PROVIDER, AppRole, Target, Token

#: Read by the provider; named here in the fix for an unreachable server.
TIMEOUT_VARIABLE = "ALPHACAST_VAULT_TIMEOUT"


def fail(message: str, profile: str) -> NoReturn:
    raise CredentialError(redact_text(message), provider=PROVIDER, profile=profile)


class ExplainsFailures:
    """What a conversation with the server needs to explain its failures.

    ``hvac`` is the module, passed in because it is imported only on first use.
    """

    def __init__(
        self,
        hvac: ModuleType,
        client: Any,
        target: Target,
        login: AppRole | Token,
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

    def fail(self, message: str) -> NoReturn:
        fail(message, self.profile)

    @contextmanager
    def explained(self, version: int | None = None) -> Iterator[None]:
        """Turn what hvac and requests raise into a CredentialError saying what to do.

        ``version`` is the KV version of a read; ``None`` while logging in.
        """
        target, exceptions = self.target, self.hvac.exceptions
        where = target.where()
        try:
            yield
        except exceptions.Forbidden:
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
            self.fail(
                f"the server failed reading {where}: {server_says(exc)}; check its health "
                "(sealed? standby?) and try again"
            )
        except requests.exceptions.SSLError as exc:
            self.fail(
                f"TLS verification failed reading {where}: {_reason(exc)}. Set VAULT_CACERT to "
                "the CA certificate that signed the server's certificate, or use http:// if the "
                "server speaks plain HTTP on a loopback address (verification cannot be "
                "turned off)"
            )
        except requests.RequestException as exc:
            self.fail(
                f"cannot reach the Vault server to read {where}: {_reason(exc)}. Check "
                "VAULT_ADDR and that the server is up and reachable from here, or raise "
                f"{TIMEOUT_VARIABLE} (now {self.timeout:g} s)"
            )

    def _token_valid(self) -> bool:
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
