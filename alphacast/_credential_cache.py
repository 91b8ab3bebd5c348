"""Keeping a resolved credential fresh: the process-wide cache of resolutions,
when a credential is asked for again before it expires, and stale-while-revalidate
when its provider fails meanwhile.

Public through :mod:`alphacast.chain`, whose docstring states the rules this
module carries out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from alphacast._credentials import Credential, CredentialProvider
from alphacast._forksafe import ForkSafeLock
from alphacast.errors import CredentialError, PluginError
from alphacast.redact import redact_text, remember_key

__all__ = [
    "EXPIRY_MARGIN_SECONDS",
    "ResolvedCredential",
    "clear_cache",
    "refresh_margin",
    "resolve_held",
    "resolve_with",
]

log = logging.getLogger("alphacast")

# Documented where it is public, in alphacast.chain.
EXPIRY_MARGIN_SECONDS = 60.0
#: After a failed refresh of a still-valid key, wait at least this long to ask again.
_RETRY_SECONDS = 1.0


def refresh_margin(lifetime: float) -> float:
    """How many seconds before its expiry a credential valid for ``lifetime`` seconds
    when obtained is re-resolved: :data:`EXPIRY_MARGIN_SECONDS`, or half its lifetime
    when that is shorter, so a short-lived key is not re-resolved on every use."""
    return min(EXPIRY_MARGIN_SECONDS, max(lifetime, 0.0) / 2)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Held:
    """A credential in use, and when to ask its provider again (``None``: never)."""

    credential: Credential
    refresh_at: datetime | None

    @classmethod
    def obtained(cls, credential: Credential) -> _Held:
        """``credential`` just obtained from its provider."""
        expires = credential.expires_at
        if expires is None:
            return cls(credential, None)
        lifetime = (expires - _now()).total_seconds()
        return cls(credential, expires - timedelta(seconds=refresh_margin(lifetime)))

    def due(self) -> bool:
        return self.refresh_at is not None and _now() >= self.refresh_at

    def expired(self) -> bool:
        expires = self.credential.expires_at
        return expires is not None and _now() >= expires

    def postponed(self) -> _Held:
        """The same credential, asked for again halfway to its expiry (at least
        ``_RETRY_SECONDS`` from now)."""
        now = _now()
        expires = self.credential.expires_at
        remaining = (expires - now).total_seconds() if expires is not None else 0.0
        return replace(self, refresh_at=now + timedelta(seconds=max(_RETRY_SECONDS, remaining / 2)))


_cache_lock = ForkSafeLock()
_cache: dict[tuple[object, ...], _Held] = {}
_flight_locks: dict[tuple[object, ...], ForkSafeLock] = {}


def clear_cache() -> None:
    """Forget every cached resolution in this process."""
    with _cache_lock:
        _cache.clear()


def _flight_lock(key: tuple[object, ...]) -> ForkSafeLock:
    with _cache_lock:
        lock = _flight_locks.get(key)
        if lock is None:
            lock = _flight_locks[key] = ForkSafeLock()
        return lock


def _call_provider(provider: CredentialProvider, profile: str) -> Credential | None:
    try:
        result = provider.resolve(profile)
    except CredentialError as exc:
        if exc.provider is None:
            exc.provider = provider.name
        if exc.profile is None:
            exc.profile = profile
        raise
    except Exception as exc:  # noqa: BLE001 - fail closed on anything a plugin raises
        detail = redact_text(str(exc))
        raise PluginError(
            f"provider failed unexpectedly for profile {profile!r} "
            f"({type(exc).__name__}: {detail}); fix or disable the plugin with "
            f"ALPHACAST_DISABLE_PLUGINS={provider.name}",
            provider=provider.name,
            profile=profile,
        ) from None
    if result is None:
        return None
    if not isinstance(result, Credential):
        raise PluginError(
            f"resolve() returned a {type(result).__name__}, not a Credential or None; "
            f"fix or disable the plugin with ALPHACAST_DISABLE_PLUGINS={provider.name}",
            provider=provider.name,
            profile=profile,
        )
    if result.profile != profile:
        result = result.with_profile(profile)
    remember_key(result.api_key)
    return result


def resolve_with(
    provider: CredentialProvider, profile: str, *, fresh: bool = False
) -> Credential | None:
    """Ask one provider, through the process-wide cache if it is cacheable.

    Concurrent callers for the same provider and profile share one resolution.
    ``fresh`` drops a cached value first (used after a 401).
    """
    held = resolve_held(provider, profile, fresh=fresh)
    return None if held is None else held.credential


def resolve_held(
    provider: CredentialProvider,
    profile: str,
    *,
    fresh: bool = False,
    holding: _Held | None = None,
) -> _Held | None:
    """:func:`resolve_with`, keeping when to ask again; ``holding`` is what the caller
    uses now, kept if the provider fails while its key is valid (unless ``fresh``)."""
    if not provider.cacheable:
        return _obtain(provider, profile, None if fresh else holding)
    key = provider.cache_key(profile)
    with _flight_lock(key):
        cached = None if fresh else _cache.get(key)
        if cached is not None and not cached.due():
            return cached
        result = _obtain(provider, profile, None if fresh else (holding or cached))
        with _cache_lock:
            if result is None:
                _cache.pop(key, None)
            else:
                _cache[key] = result
        return result


def _obtain(provider: CredentialProvider, profile: str, current: _Held | None) -> _Held | None:
    """A new resolution; ``current``, asked again later, if the provider fails while
    its key is still valid (stale-while-revalidate)."""
    try:
        credential = _call_provider(provider, profile)
    except CredentialError as exc:
        if current is None or current.expired():
            raise
        current = current.postponed()
        expires = current.credential.expires_at
        log.warning(
            "profile %r: provider %r could not refresh its key (fingerprint %s), which stays "
            "valid until %s and is used meanwhile; asking again at %s. The failure: %s",
            profile,
            provider.name,
            current.credential.fingerprint,
            expires.isoformat() if expires else "no stated expiry",
            current.refresh_at.isoformat() if current.refresh_at else "the next use",
            redact_text(str(exc)),
        )
        return current
    return None if credential is None else _Held.obtained(credential)


class ResolvedCredential:
    """The credential a client uses, and how to refresh it from its provider.

    Reading :attr:`current` is cheap: one attribute read and, only for expiring
    credentials, a clock comparison. Close to expiry (see :func:`refresh_margin`)
    it asks the provider again and adopts the answer, a new expiry for the same
    key included; if the provider fails while the key is still valid, it keeps the
    key and logs a warning. Thread-safe.
    """

    __slots__ = ("_held", "_lock", "provider")

    def __init__(self, credential: Credential, provider: CredentialProvider | None) -> None:
        # Every key a client uses passes here, a key given in code included: mask it.
        remember_key(credential.api_key)
        self._held = _Held.obtained(credential)
        self.provider = provider
        self._lock = ForkSafeLock()

    @classmethod
    def _holding(cls, held: _Held, provider: CredentialProvider) -> ResolvedCredential:
        resolved = cls(held.credential, provider)
        resolved._held = held
        return resolved

    @property
    def current(self) -> Credential:
        held = self._held
        if held.due():
            self._renew(held)
            held = self._held
        return held.credential

    def _renew(self, stale: _Held) -> None:
        """Ask the provider again for a credential close to expiry."""
        with self._lock:
            if self._held is not stale:
                return  # someone else renewed it meanwhile
            if self.provider is None:
                self._held = stale.postponed()
                return
            profile = stale.credential.profile
            renewed = resolve_held(self.provider, profile, holding=stale)
            if renewed is None:
                log.warning(
                    "profile %r: provider %r no longer has a key; the one in use "
                    "(fingerprint %s) is kept until it is rejected",
                    profile,
                    self.provider.name,
                    stale.credential.fingerprint,
                )
                renewed = stale.postponed()
            self._adopt(stale.credential, renewed)

    def _adopt(self, old: Credential, held: _Held) -> None:
        if held.credential.api_key != old.api_key:
            log.info(
                "profile %r re-resolved by provider %r: key changed (fingerprint %s -> %s)",
                old.profile,
                self.provider.name if self.provider else None,
                old.fingerprint,
                held.credential.fingerprint,
            )
        self._held = held

    def refresh(self, stale: Credential) -> Credential | None:
        """Re-resolve from the same provider after ``stale`` stopped working.

        Returns the new credential if the provider now has a different key, else
        ``None`` (a new expiry for the same key is adopted all the same).
        Concurrent callers holding the same stale credential share one
        re-resolution.
        """
        if self.provider is None:
            return None
        with self._lock:
            current = self._held.credential
            if current.api_key != stale.api_key:
                return current  # someone else got the new key meanwhile
            fresh = resolve_held(self.provider, stale.profile, fresh=True)
            if fresh is None:
                return None
            self._adopt(stale, fresh)
            return fresh.credential if fresh.credential.api_key != stale.api_key else None

    def __repr__(self) -> str:
        return f"ResolvedCredential({self._held.credential!r})"
