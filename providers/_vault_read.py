"""One read of a key from Vault or OpenBao: log in, find the KV engine's version,
read the secret, and work out until when the key may be used.

The provider (:mod:`alphacast.providers.vault`) decides, from the environment and
the profile's settings, what to read and how to log in (see :mod:`._vault_config`);
this module only talks to the server.
"""

from __future__ import annotations

import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

from alphacast import Credential
from alphacast.chain import EXPIRY_MARGIN_SECONDS
from alphacast.config import config_location
from alphacast.secrets import parse_seconds

from ._vault_config import PROVIDER
from ._vault_errors import StaleToken
from ._vault_login import Authenticates

#: Re-reads come between (1 - this) and 1 times ``vault_refresh_seconds`` after a read.
REFRESH_JITTER = 0.2


class Read(Authenticates):
    """One resolution: log in, find the engine version, read, explain failures."""

    def credential(self, refresh: float) -> Credential:
        """The key, expiring when the server says or after ``refresh`` seconds."""
        with self.explained():
            self.authenticate()
        try:
            version, secret = self._fetch()
        except StaleToken:
            # The token this process kept was revoked (or expired early): log in again, once.
            self.forget_token()
            with self.explained():
                self.authenticate()
            version, secret = self._fetch()
        key, expiries = self._field(secret, version)
        self.learn_token_life()  # a static token new to this process, once it served
        # Spread re-reads over the last fifth of `refresh`, so that a fleet started at
        # the same moment does not come back to the store in lockstep.
        refresh *= random.uniform(1 - REFRESH_JITTER, 1.0)
        # The chain re-resolves refresh_margin(lifetime) before expiry, the lesser of
        # EXPIRY_MARGIN_SECONDS and half the lifetime: with this lifetime, that is
        # exactly `refresh` seconds from now.
        expiries.append(_now() + timedelta(seconds=refresh + min(refresh, EXPIRY_MARGIN_SECONDS)))
        if self.renew_by is not None:
            # A static token is renewed only at a read: come back while it lives. With
            # this expiry (a second past the token's) the chain's next read finds it
            # past half its life, and renews it.
            left = self.renew_by - time.monotonic()
            expiries.append(_now() + timedelta(seconds=max(left, 1.0) + 1.0))
        return Credential(
            key,
            provider=PROVIDER,
            source=self.target.source(),
            profile=self.profile,
            expires_at=min(expiries),
        )

    # -- reading ----------------------------------------------------------------

    def _fetch(self) -> tuple[int, Mapping[str, Any]]:
        version = self.target.kv_version or self._detect_version()
        return version, self._read(version)

    def _detect_version(self) -> int:
        with self.explained():
            try:
                answer = self.client.adapter.get(f"/v1/sys/internal/ui/mounts/{self.target.mount}")
            except (self.hvac.exceptions.Forbidden, self.hvac.exceptions.InvalidPath):
                return 2  # not allowed to ask: assume the common case
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            self._not_vault(
                f"the answer about the mount {self.target.mount!r} "
                f"(sys/internal/ui/mounts/{self.target.mount})",
                "a data object",
            )
        options = data.get("options")
        return 2 if isinstance(options, dict) and options.get("version") == "2" else 1

    def _read(self, version: int) -> Mapping[str, Any]:
        target = self.target
        with self.explained(version):
            if version == 2:
                answer = self.client.secrets.kv.v2.read_secret_version(
                    target.path, mount_point=target.mount, raise_on_deleted_version=True
                )
            else:
                answer = self.client.secrets.kv.v1.read_secret(
                    target.path, mount_point=target.mount
                )
        problem = _kv_problem(answer, version)
        if problem:
            self._not_vault(f"the answer for {target.mount}/{target.path} (KV v{version})", problem)
        secret: Mapping[str, Any] = answer
        return secret

    def _not_vault(self, what: str, expected: str) -> NoReturn:
        """A malformed answer: no Vault or OpenBao sends it."""
        self.fail(
            f"{what} from {self.target.address} is not what Vault sends (expected {expected}); "
            "check that VAULT_ADDR names the Vault or OpenBao server itself, not a proxy "
            "or another service"
        )

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
            data = data["data"]
            expiries += self._metadata_expiry(metadata.get("custom_metadata") or {})
        if target.field not in data:
            fields = ", ".join(sorted(map(str, data))) or "none"
            self.fail(
                f"the secret {target.where()} has no field {target.field!r} (fields: {fields}); "
                f"store the key under {target.field!r} or set vault_field in "
                f"{config_location(self.profile)}"
            )
        return data[target.field], expiries

    def _metadata_expiry(self, custom: Mapping[str, Any]) -> list[datetime]:
        where = f"custom_metadata of {self.target.where()}"
        expiries = []
        if custom.get("ttl"):
            seconds = parse_seconds(str(custom["ttl"]))
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


def _kv_problem(answer: object, version: int) -> str | None:
    """What a KV read's answer lacks that Vault always sends, if anything."""
    if not isinstance(answer, dict) or not isinstance(answer.get("data"), dict):
        return "a JSON object with a data object"
    lease = answer.get("lease_duration")
    if lease is not None and (not isinstance(lease, int) or isinstance(lease, bool)):
        return "lease_duration in whole seconds"
    if version == 2:
        data = answer["data"]
        if not isinstance(data.get("data"), dict):
            return "the secret's fields in a data.data object"
        metadata = data.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            return "data.metadata to be an object"
        custom = (metadata or {}).get("custom_metadata")
        if custom is not None and not isinstance(custom, dict):
            return "data.metadata.custom_metadata to be an object"
    return None


def _now() -> datetime:
    return datetime.now(UTC)
