"""A profile's Vault configuration as values: which secret to read (:class:`Target`)
and how to log in (:class:`AppRole` or :class:`Token`).

Shared by the ``vault`` provider's modules: :mod:`alphacast.providers.vault`
builds these from the environment and the profile's settings, :mod:`._vault_read`
reads the secret with them and :mod:`._vault_errors` names them in failures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from alphacast.config import config_location
from alphacast.errors import CredentialError

PROVIDER = "vault"


@dataclass(frozen=True)
class Target:
    """Which secret: server, namespace, mount, path inside the mount, field."""

    address: str
    namespace: str | None
    mount: str
    path: str
    field: str
    kv_version: int | None  # None: ask the server

    @classmethod
    def for_profile(
        cls, address: str, namespace: str | None, profile: str, settings: Mapping[str, str]
    ) -> Target:
        version = settings.get("vault_kv_version", "auto").strip().lower()
        if version not in ("1", "2", "auto"):
            raise CredentialError(
                f"vault_kv_version = {version!r} in {config_location(profile)} "
                "must be 1, 2 or auto",
                provider=PROVIDER,
                profile=profile,
            )
        mount = settings.get("vault_mount", "secret").strip().strip("/")
        configured = settings.get("vault_path")
        path = configured.strip().strip("/") if configured else f"alphacast/{profile}"
        for setting, value in (("vault_mount", mount), ("vault_path", path)):
            if not _usable_path(value):
                raise CredentialError(
                    f"{setting} {value!r} for profile {profile!r} is not a usable Vault path "
                    "(empty or '.'/'..' segments, '?', '#', '%' or control characters); "
                    f"set {setting} in {config_location(profile)}",
                    provider=PROVIDER,
                    profile=profile,
                )
        return cls(
            address=address,
            namespace=namespace.strip("/") if namespace else None,
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


@dataclass(frozen=True)
class AppRole:
    """Log in with an AppRole role id and secret id at ``auth/<mount>``."""

    role_id: str
    secret_id: str = dataclasses.field(repr=False)
    mount: str

    @property
    def source(self) -> str:
        """Where the token in use comes from, for messages."""
        return f"token from AppRole login at auth/{self.mount}"


@dataclass(frozen=True)
class Token:
    """Use a token as it is; ``source`` says where it came from, for messages."""

    value: str = dataclasses.field(repr=False)
    source: str


@dataclass(frozen=True)
class Jwt:
    """Log in with a JWT (workload identity) read from ``path`` at each login, for
    ``role`` at ``auth/<mount>``: the platform (Kubernetes, a CI system) rotates it."""

    role: str
    path: Path
    mount: str

    @property
    def source(self) -> str:
        """Where the token in use comes from, for messages."""
        return f"token from JWT login at auth/{self.mount} (role {self.role})"


#: How to get a token: log in (AppRole, JWT) or use one as it is.
Login = AppRole | Jwt | Token
