"""``vault``: a key stored in HashiCorp Vault or OpenBao, in a KV v1 or v2 engine.

The provider takes part only when a server is configured (``VAULT_ADDR``, else
``BAO_ADDR``). A configured server is authoritative: a denied read, a missing
secret or field, or an unreachable server is a :class:`CredentialError` naming
the address, mount, path and the fix, never a silent fall-through to the next
provider. To serve some profiles from elsewhere, give them a chain without
vault (``credential_chain = keyring`` in their ``[profile NAME]`` section).

Where the key is read, per profile in ``~/.alphacast/config`` (no inheritance
between sections)::

    [profile prod]
    vault_mount = secret            # default "secret"
    vault_path = teams/data/prod    # default "alphacast/<profile>"
    vault_field = api_key           # default "api_key"
    vault_kv_version = 2            # 1, 2 or auto (default: asks the server)
    vault_refresh_seconds = 300     # re-read the secret this often (default 300)

Authentication: AppRole when a role id and a secret id are configured
(``vault_role_id`` and ``vault_secret_id`` or ``vault_secret_id_file``, else
``VAULT_ROLE_ID``/``VAULT_SECRET_ID``; mount ``vault_approle_mount``, default
``approle``), else a token from ``VAULT_TOKEN``, ``BAO_TOKEN`` or
``~/.vault-token``. TLS is always verified, against ``VAULT_CACERT`` or
``VAULT_CAPATH`` (or the ``BAO_`` forms) when set; ``VAULT_SKIP_VERIFY`` is
ignored. Plain ``http://`` is refused, before any connection, unless the server
is on a loopback address (127.0.0.0/8, ``::1`` or ``localhost``, the rule
that applies to the API): the token and the
key would cross the network in clear. A loopback server is never reached through
a proxy from the environment (``HTTP_PROXY``), which would see both. A redirect
is never followed (the token would go with it): an answer of 3xx is an error
naming where it points, as a standby node's redirect to the active node is.
``VAULT_NAMESPACE``/``BAO_NAMESPACE`` select a namespace. Requests time out
after ``ALPHACAST_VAULT_TIMEOUT`` seconds (default 3).

A lease (``lease_duration``) or a KV v2 ``custom_metadata`` entry ``expires_at``
(ISO 8601) or ``ttl`` (seconds, or ``90s``/``15m``/``1h``) bounds how long the
key is used; in any case it is re-read after ``vault_refresh_seconds`` so a
rotated secret is picked up. Neither the token nor the key ever appears in a
message, a log line or a ``repr``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from alphacast import AlphacastWarning, Credential, CredentialError, CredentialProvider
from alphacast.config import config_location, profile_section, profile_settings
from alphacast.hookspecs import hookimpl
from alphacast.redact import redact_text
from alphacast.secrets import (
    connect_origin,
    display_path,
    is_loopback,
    read_secret_file,
    seconds_setting,
)

from ._vault_config import PROVIDER, AppRole, Target, Token
from ._vault_errors import TIMEOUT_VARIABLE, fail, refuse_redirect
from ._vault_read import Read

__all__ = [
    "DEFAULT_REFRESH_SECONDS",
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "TIMEOUT_VARIABLE",
    "VaultProvider",
    "alphacast_credential_providers",
]

DEFAULT_TIMEOUT = 3.0
DEFAULT_REFRESH_SECONDS = 300.0
INSTALL_HINT = "pip install 'alphacast[vault]'"


def _env(suffix: str) -> tuple[str, str] | None:
    """``(variable, value)`` of ``VAULT_<suffix>``, else ``BAO_<suffix>``, if set."""
    for variable in (f"VAULT_{suffix}", f"BAO_{suffix}"):
        value = os.environ.get(variable, "").strip()
        if value:
            return variable, value
    return None


def _address() -> str | None:
    found = _env("ADDR")
    if found is None:
        return None
    # Never show credentials embedded in the URL (https://user:pass@host).
    parts = urlsplit(found[1].rstrip("/"))
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def _checked(address: str, profile: str) -> dict[str, str | None] | None:
    """Refuse an address the token and key must not be sent to; the proxies to use.

    Decided with the parser that opens the connection (urllib3's), as the API's
    URLs are.
    """
    variable = _env("ADDR")
    named = variable[0] if variable else "VAULT_ADDR"
    try:
        scheme, host, _ = connect_origin(address)
    except ValueError as exc:
        raise CredentialError(
            f"{named} {redact_text(address)!r} is refused: {exc}; set it to the server's "
            "URL, such as https://vault.example.com:8200",
            provider=PROVIDER,
            profile=profile,
        ) from None
    if scheme == "http" and not is_loopback(host):
        raise CredentialError(
            f"refusing to read from Vault over plain http at {host} ({named}={address}): the "
            "token and the API key would cross the network in clear. Use https:// (with "
            "VAULT_CACERT for a private CA), or http:// only for a loopback address such as "
            "a local dev server (127.0.0.1, ::1 or localhost)",
            provider=PROVIDER,
            profile=profile,
        )
    # Loopback never leaves the machine: a proxy from the environment would only read
    # it. Request-level None overrides the environment's; a fresh dict, as requests
    # adds the environment's settings to the one it is given.
    return {"http": None, "https": None, "all": None} if is_loopback(host) else None


def _target(address: str, profile: str, settings: Mapping[str, str]) -> Target:
    namespace = _env("NAMESPACE")
    return Target.for_profile(address, namespace[1] if namespace else None, profile, settings)


def _timeout(profile: str) -> float:
    raw = os.environ.get(TIMEOUT_VARIABLE)
    if not raw:
        return DEFAULT_TIMEOUT
    return seconds_setting(
        raw, what=f"{TIMEOUT_VARIABLE}={raw!r}", provider=PROVIDER, profile=profile
    )


def _verify() -> bool | str:
    if _env("SKIP_VERIFY"):
        warnings.warn(
            "vault: VAULT_SKIP_VERIFY is ignored, TLS is always verified; "
            "set VAULT_CACERT to the CA that signed the server's certificate",
            AlphacastWarning,
            stacklevel=4,
        )
    found = _env("CACERT") or _env("CAPATH")
    if found is None:
        return True
    path = Path(found[1]).expanduser()
    if not path.exists():
        raise CredentialError(
            f"{found[0]} names {path}, which does not exist; point it at the CA certificate "
            "that signed the Vault server's certificate",
            provider=PROVIDER,
        )
    return str(path)


def _approle(settings: Mapping[str, str], target: Target, profile: str) -> AppRole | None:
    """The AppRole login configured for ``profile``, if any; half a configuration is an error."""
    role_id = settings.get("vault_role_id") or os.environ.get("VAULT_ROLE_ID")
    secret_id = settings.get("vault_secret_id")
    secret_file = settings.get("vault_secret_id_file")
    if secret_id is None and secret_file:
        path = Path(secret_file).expanduser()
        raw = read_secret_file(path, provider=PROVIDER, profile=profile)
        if raw is None:
            fail(f"vault_secret_id_file names {display_path(path)}, which does not exist", profile)
        secret_id = raw.decode("utf-8", "replace").strip()
    secret_id = secret_id or os.environ.get("VAULT_SECRET_ID")
    if not role_id and not secret_id:
        return None
    if not role_id or not secret_id:
        missing = "a role id" if not role_id else "a secret id"
        fail(
            f"AppRole login to {target.address} is half configured: {missing} is "
            f"missing; set vault_role_id and vault_secret_id (or vault_secret_id_file) in "
            f"{config_location(profile)}, or "
            "VAULT_ROLE_ID and VAULT_SECRET_ID",
            profile,
        )
    mount = settings.get("vault_approle_mount", "approle").strip().strip("/")
    return AppRole(role_id.strip(), secret_id, mount)


def _token(target: Target, profile: str) -> Token:
    """``VAULT_TOKEN``, else ``BAO_TOKEN``, else ``~/.vault-token``; none is an error."""
    for variable in ("VAULT_TOKEN", "BAO_TOKEN"):
        value = os.environ.get(variable, "").strip()
        if value:
            return Token(value, f"token from {variable}")
    path = Path.home() / ".vault-token"
    raw = read_secret_file(path, provider=PROVIDER, profile=profile)
    token = raw.decode("utf-8", "replace").strip() if raw else ""
    if not token:
        fail(
            f"no token to read {target.where()}: set VAULT_TOKEN, log in with "
            "`bao login` / `vault login` (writes ~/.vault-token), or configure AppRole "
            f"(vault_role_id and vault_secret_id in {profile_section(profile)})",
            profile,
        )
    return Token(token, f"token from {display_path(path)}")


class _NoRedirects(requests.Session):
    """A session that never follows a redirect and makes every 3xx answer an error.

    requests keeps ``X-Vault-Token`` (not a header it knows to strip) when it follows
    a redirect to another host, even from https to http, and re-sends an AppRole
    login's body: the server's word on where to go is not enough to send them.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hooks["response"].append(refuse_redirect)

    def get_redirect_target(self, resp: requests.Response) -> str | None:
        return None


class VaultProvider(CredentialProvider):
    """Reads the key of a profile from a Vault or OpenBao KV engine."""

    name = PROVIDER
    priority = 80
    cacheable = True

    def resolve(self, profile: str) -> Credential | None:
        address = _address()
        if address is None:
            return None
        proxies = _checked(address, profile)
        settings = profile_settings(profile)
        target = _target(address, profile, settings)
        try:
            import hvac
        except ImportError:
            raise CredentialError(
                f"VAULT_ADDR/BAO_ADDR is set ({address}) but the hvac library is missing: "
                f"{INSTALL_HINT}",
                provider=self.name,
                profile=profile,
            ) from None
        refresh = seconds_setting(
            settings.get("vault_refresh_seconds", str(DEFAULT_REFRESH_SECONDS)),
            what=f"vault_refresh_seconds in {profile_section(profile)}",
            provider=PROVIDER,
            profile=profile,
        )
        timeout = _timeout(profile)
        verify = _verify()
        login = _approle(settings, target, profile) or _token(target, profile)
        with _NoRedirects() as session:
            # hvac prefers the session's verify over its own argument: set both.
            session.verify = verify
            client = hvac.Client(
                url=address,
                token="",
                verify=verify,
                timeout=timeout,
                session=session,
                namespace=target.namespace,
                proxies=proxies,
                allow_redirects=False,
            )
            return Read(hvac, client, target, login, profile, timeout).credential(refresh)

    def describe_miss(self, profile: str) -> str:
        return "VAULT_ADDR/BAO_ADDR not set"

    def cache_key(self, profile: str) -> tuple[object, ...]:
        address = _address()
        if address is None:
            return (*super().cache_key(profile), None)
        target = _target(address, profile, profile_settings(profile))
        return (*super().cache_key(profile), target)


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [VaultProvider()]
