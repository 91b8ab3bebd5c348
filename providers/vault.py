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
ignored. ``VAULT_NAMESPACE``/``BAO_NAMESPACE`` select a namespace. Requests
time out after ``ALPHACAST_VAULT_TIMEOUT`` seconds (default 3).

A lease (``lease_duration``) or a KV v2 ``custom_metadata`` entry ``expires_at``
(ISO 8601) or ``ttl`` (seconds, or ``90s``/``15m``/``1h``) bounds how long the
key is used; in any case it is re-read after ``vault_refresh_seconds`` so a
rotated secret is picked up. Neither the token nor the key ever appears in a
message, a log line or a ``repr``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import requests

from alphacast._files import display_path, read_secret_file
from alphacast.chain import EXPIRY_MARGIN_SECONDS
from alphacast.config import config_path, profile_settings
from alphacast.credentials import Credential, CredentialProvider
from alphacast.errors import AlphacastWarning, CredentialError
from alphacast.hookspecs import hookimpl
from alphacast.redact import redact_text

TIMEOUT_VARIABLE = "ALPHACAST_VAULT_TIMEOUT"
DEFAULT_TIMEOUT = 3.0
DEFAULT_REFRESH_SECONDS = 300.0
INSTALL_HINT = "pip install 'alphacast[vault]'"


def _section(profile: str) -> str:
    return "[default]" if profile == "default" else f"[profile {profile}]"


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


@dataclass(frozen=True)
class _Target:
    """Which secret: server, namespace, mount, path inside the mount, field."""

    address: str
    namespace: str | None
    mount: str
    path: str
    field: str
    kv_version: int | None  # None: ask the server

    @classmethod
    def for_profile(cls, address: str, profile: str, settings: Mapping[str, str]) -> _Target:
        version = settings.get("vault_kv_version", "auto").strip().lower()
        if version not in ("1", "2", "auto"):
            raise CredentialError(
                f"vault_kv_version = {version!r} in {_section(profile)} of "
                f"{display_path(config_path())} must be 1, 2 or auto",
                provider=VaultProvider.name,
                profile=profile,
            )
        namespace = _env("NAMESPACE")
        mount = settings.get("vault_mount", "secret").strip().strip("/")
        configured = settings.get("vault_path")
        path = configured.strip().strip("/") if configured else f"alphacast/{profile}"
        for setting, value in (("vault_mount", mount), ("vault_path", path)):
            if not _usable_path(value):
                raise CredentialError(
                    f"{setting} {value!r} for profile {profile!r} is not a usable Vault path "
                    "(empty or '.'/'..' segments, '?', '#', '%' or control characters); "
                    f"set {setting} in {_section(profile)} of {display_path(config_path())}",
                    provider=VaultProvider.name,
                    profile=profile,
                )
        return cls(
            address=address,
            namespace=namespace[1].strip("/") if namespace else None,
            mount=mount,
            path=path,
            field=settings.get("vault_field", "api_key").strip(),
            kv_version=None if version == "auto" else int(version),
        )

    def api_path(self, version: int) -> str:
        """The path a policy must grant ``read`` on."""
        return f"{self.mount}/data/{self.path}" if version == 2 else f"{self.mount}/{self.path}"

    def where(self) -> str:
        namespace = f" (namespace {self.namespace})" if self.namespace else ""
        return f"{self.mount}/{self.path} on {self.address}{namespace}"

    def source(self) -> str:
        namespace = f" (namespace {self.namespace})" if self.namespace else ""
        return f"vault {self.address} {self.mount}/{self.path}#{self.field}{namespace}"


def _usable_path(path: str) -> bool:
    """False for paths that would not reach the secret they name once put in a URL."""
    if any(ch in "?#%" or not ch.isprintable() for ch in path):
        return False
    return all(segment.strip() not in ("", ".", "..") for segment in path.split("/"))


def _positive_number(raw: str, what: str, profile: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise CredentialError(
            f"{what} must be a positive number of seconds",
            provider=VaultProvider.name,
            profile=profile,
        )
    return value


def _timeout(profile: str) -> float:
    raw = os.environ.get(TIMEOUT_VARIABLE)
    if not raw:
        return DEFAULT_TIMEOUT
    return _positive_number(raw, f"{TIMEOUT_VARIABLE}={raw!r}", profile)


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
            provider=VaultProvider.name,
        )
    return str(path)


class VaultProvider(CredentialProvider):
    """Reads the key of a profile from a Vault or OpenBao KV engine."""

    name = "vault"
    priority = 80
    cacheable = True

    def resolve(self, profile: str) -> Credential | None:
        address = _address()
        if address is None:
            return None
        settings = profile_settings(profile)
        target = _Target.for_profile(address, profile, settings)
        try:
            import hvac
        except ImportError:
            raise CredentialError(
                f"VAULT_ADDR/BAO_ADDR is set ({address}) but the hvac library is missing: "
                f"{INSTALL_HINT}",
                provider=self.name,
                profile=profile,
            ) from None
        refresh = _positive_number(
            settings.get("vault_refresh_seconds", str(DEFAULT_REFRESH_SECONDS)),
            f"vault_refresh_seconds in {_section(profile)}",
            profile,
        )
        timeout = _timeout(profile)
        verify = _verify()
        with requests.Session() as session:
            # hvac prefers the session's verify over its own argument: set both.
            session.verify = verify
            client = hvac.Client(
                url=address,
                token="",
                verify=verify,
                timeout=timeout,
                session=session,
                namespace=target.namespace,
            )
            read = _Read(hvac, client, target, profile, timeout)
            return read.credential(settings, refresh)

    def describe_miss(self, profile: str) -> str:
        return "VAULT_ADDR/BAO_ADDR not set"

    def cache_key(self, profile: str) -> tuple[object, ...]:
        address = _address()
        if address is None:
            return (*super().cache_key(profile), None)
        target = _Target.for_profile(address, profile, profile_settings(profile))
        return (*super().cache_key(profile), target)


class _Read:
    """One resolution: log in, find the engine version, read, explain failures."""

    def __init__(
        self, hvac: ModuleType, client: Any, target: _Target, profile: str, timeout: float
    ) -> None:
        self.hvac = hvac
        self.client = client
        self.target = target
        self.profile = profile
        self.timeout = timeout
        self.token_source = "no token"  # noqa: S105 - describes, holds no token

    def fail(self, message: str) -> NoReturn:
        raise CredentialError(
            redact_text(message), provider=VaultProvider.name, profile=self.profile
        )

    def credential(self, settings: Mapping[str, str], refresh: float) -> Credential:
        approle = self._approle(settings)
        with self._errors():
            if approle is not None:
                self._login(*approle)
            else:
                self.client.token = self._token()
        try:
            version = self.target.kv_version or self._detect_version()
            secret = self._read(version)
        finally:
            if approle is not None:
                self._logout()
        key, expiries = self._field(secret, version)
        # The chain re-resolves EXPIRY_MARGIN_SECONDS before expiry: re-read after `refresh`.
        expiries.append(_now() + timedelta(seconds=refresh + EXPIRY_MARGIN_SECONDS))
        return Credential(
            key,
            provider=VaultProvider.name,
            source=self.target.source(),
            profile=self.profile,
            expires_at=min(expiries),
        )

    # -- authentication -------------------------------------------------------

    def _approle(self, settings: Mapping[str, str]) -> tuple[str, str, str] | None:
        role_id = settings.get("vault_role_id") or os.environ.get("VAULT_ROLE_ID")
        secret_id = settings.get("vault_secret_id")
        secret_file = settings.get("vault_secret_id_file")
        if secret_id is None and secret_file:
            path = Path(secret_file).expanduser()
            raw = read_secret_file(path, provider=VaultProvider.name, profile=self.profile)
            if raw is None:
                self.fail(f"vault_secret_id_file names {display_path(path)}, which does not exist")
            secret_id = raw.decode("utf-8", "replace").strip()
        secret_id = secret_id or os.environ.get("VAULT_SECRET_ID")
        if not role_id and not secret_id:
            return None
        if not role_id or not secret_id:
            missing = "a role id" if not role_id else "a secret id"
            self.fail(
                f"AppRole login to {self.target.address} is half configured: {missing} is "
                f"missing; set vault_role_id and vault_secret_id (or vault_secret_id_file) in "
                f"{_section(self.profile)} of {display_path(config_path())}, or "
                "VAULT_ROLE_ID and VAULT_SECRET_ID"
            )
        mount = settings.get("vault_approle_mount", "approle").strip().strip("/")
        return role_id.strip(), secret_id, mount

    def _login(self, role_id: str, secret_id: str, mount: str) -> None:
        self.token_source = f"token from AppRole login at auth/{mount}"
        try:
            self.client.auth.approle.login(role_id, secret_id, mount_point=mount)
        except self.hvac.exceptions.VaultError as exc:
            self.fail(
                f"AppRole login at {self.target.address} (auth/{mount}/login) failed "
                f"({_server_says(exc)}); check the role id and secret id (secret ids expire "
                "and may be single-use) and vault_approle_mount"
            )

    def _logout(self) -> None:
        # The login token is needed no more: do not let them pile up on the server.
        try:
            self.client.auth.token.revoke_self()
        except (self.hvac.exceptions.VaultError, requests.RequestException):
            pass

    def _token(self) -> str:
        for variable in ("VAULT_TOKEN", "BAO_TOKEN"):
            value = os.environ.get(variable, "").strip()
            if value:
                self.token_source = f"token from {variable}"
                return value
        path = Path.home() / ".vault-token"
        raw = read_secret_file(path, provider=VaultProvider.name, profile=self.profile)
        token = raw.decode("utf-8", "replace").strip() if raw else ""
        if not token:
            self.fail(
                f"no token to read {self.target.where()}: set VAULT_TOKEN, log in with "
                "`bao login` / `vault login` (writes ~/.vault-token), or configure AppRole "
                f"(vault_role_id and vault_secret_id in {_section(self.profile)})"
            )
        self.token_source = f"token from {display_path(path)}"
        return token

    # -- reading ----------------------------------------------------------------

    def _detect_version(self) -> int:
        with self._errors():
            try:
                answer = self.client.adapter.get(f"/v1/sys/internal/ui/mounts/{self.target.mount}")
            except (self.hvac.exceptions.Forbidden, self.hvac.exceptions.InvalidPath):
                return 2  # not allowed to ask: assume the common case
        options = answer.get("data", {}).get("options") if isinstance(answer, dict) else None
        return 2 if isinstance(options, dict) and options.get("version") == "2" else 1

    def _read(self, version: int) -> Mapping[str, Any]:
        target = self.target
        with self._errors(version):
            if version == 2:
                answer = self.client.secrets.kv.v2.read_secret_version(
                    target.path, mount_point=target.mount, raise_on_deleted_version=True
                )
            else:
                answer = self.client.secrets.kv.v1.read_secret(
                    target.path, mount_point=target.mount
                )
        if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
            self.fail(f"unexpected answer from {target.where()}: not a KV v{version} secret")
        return answer

    def _field(self, answer: Mapping[str, Any], version: int) -> tuple[Any, list[datetime]]:
        """The field's value, and the expiry times the server states for it."""
        target = self.target
        data = answer["data"]
        expiries = []
        lease = answer.get("lease_duration")
        if isinstance(lease, int) and lease > 0:
            expiries.append(_now() + timedelta(seconds=lease))
        if version == 2:
            metadata = data.get("metadata") or {}
            data = data.get("data") or {}
            expiries += self._metadata_expiry(metadata.get("custom_metadata") or {})
        if target.field not in data:
            fields = ", ".join(sorted(map(str, data))) or "none"
            self.fail(
                f"the secret {target.where()} has no field {target.field!r} (fields: {fields}); "
                f"store the key under {target.field!r} or set vault_field in "
                f"{_section(self.profile)} of {display_path(config_path())}"
            )
        return data[target.field], expiries

    def _metadata_expiry(self, custom: Mapping[str, Any]) -> list[datetime]:
        where = f"custom_metadata of {self.target.where()}"
        expiries = []
        if custom.get("ttl"):
            seconds = _duration(str(custom["ttl"]))
            if seconds is None:
                self.fail(f"ttl = {custom['ttl']!r} in the {where} is not a duration like 1h")
            expiries.append(_now() + timedelta(seconds=seconds))
        if custom.get("expires_at"):
            try:
                stated = datetime.fromisoformat(str(custom["expires_at"]))
            except ValueError:
                self.fail(f"expires_at in the {where} is not an ISO 8601 time")
            stated = stated if stated.tzinfo else stated.replace(tzinfo=UTC)
            if stated <= _now():
                self.fail(
                    f"the key in {self.target.where()} expired at {stated.isoformat()} "
                    "(expires_at in its custom_metadata); store a new key there"
                )
            expiries.append(stated)
        return expiries

    # -- failures -----------------------------------------------------------------

    @contextmanager
    def _errors(self, version: int | None = None) -> Iterator[None]:
        """Turn what hvac and requests raise into a CredentialError saying what to do."""
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
                f"or set vault_mount/vault_path in {_section(self.profile)} of "
                f"{display_path(config_path())}. The server at VAULT_ADDR is authoritative: to "
                "serve this profile from elsewhere, give it a credential_chain without vault"
            )
        except exceptions.VaultError as exc:
            self.fail(
                f"the server failed reading {where}: {_server_says(exc)}; check its health "
                "(sealed? standby?) and try again"
            )
        except requests.exceptions.SSLError as exc:
            self.fail(
                f"TLS verification failed reading {where}: {_reason(exc)}. Set VAULT_CACERT to "
                "the CA certificate that signed the server's certificate, or use http:// if the "
                "server speaks plain HTTP (verification cannot be turned off)"
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


def _now() -> datetime:
    return datetime.now(UTC)


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def _duration(text: str) -> float | None:
    """Seconds in ``3600``, ``90s``, ``15m`` or ``1h30m``; ``None`` if malformed."""
    text = text.strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text) if float(text) > 0 else None
    if not text or _DURATION.sub("", text):
        return None
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    return seconds if seconds > 0 else None


def _server_says(exc: Exception) -> str:
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


@hookimpl
def alphacast_credential_providers() -> Iterable[CredentialProvider]:
    return [VaultProvider()]
