"""The credential chain: which providers are asked, in what order, and caching.

Default order: every discovered provider sorted by ``(priority, name)``. The
built-ins use priorities 10-90 (explicit, env, dotenv, shared-file, keyring,
encrypted-file, process, vault); third-party providers default to 1000, so they
come after the built-ins, alphabetically. The order can be replaced, most
specific first:

1. in code: ``Alphacast(provider=...)`` (one provider or a list);
2. for the process: ``ALPHACAST_CREDENTIAL_CHAIN=name,name,...``;
3. per profile: ``credential_chain = name, name`` in ``~/.alphacast/config``.

A provider returning ``None`` lets the chain go on; a
:exc:`~alphacast.CredentialError` stops it; any other exception is wrapped in
:exc:`~alphacast.PluginError` and stops it too (fail closed: never fall through to
what may be another account's key).

Expiring credentials: a credential is used until :func:`refresh_margin` before it
expires (a minute, or half its lifetime when that is shorter), then its provider
is asked again. Whatever the provider answers replaces it, a new expiry for the
same key included. If the provider fails (a :exc:`~alphacast.CredentialError`:
the store is unreachable, the helper broke) while the key is still valid, the key
is kept, a warning without the key is logged, and the provider is asked again
later (halfway to the expiry, at least a second later): stale-while-revalidate,
as cloud SDKs do. Once the key has expired, the failure is raised.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from alphacast._credentials import DEFAULT_PROFILE, Credential, CredentialProvider
from alphacast._forksafe import ForkSafeLock
from alphacast.config import profile_settings, select_profile, split_names
from alphacast.errors import CredentialError, NoCredentialError, PluginError
from alphacast.redact import redact_text, remember_key

__all__ = [
    "EXPIRY_MARGIN_SECONDS",
    "Attempt",
    "CredentialChain",
    "ResolvedCredential",
    "clear_cache",
    "refresh_margin",
    "resolve_profile",
    "resolve_with",
]

log = logging.getLogger("alphacast")

#: Re-resolve a credential this many seconds before it expires (less for short-lived
#: credentials: see :func:`refresh_margin`).
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


@dataclass(frozen=True)
class Attempt:
    """What one provider said about one profile."""

    provider: str
    status: str  # "resolved", "missing", "skipped" or "error"
    detail: str
    credential: Credential | None = None


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
    held = _resolve(provider, profile, fresh=fresh)
    return None if held is None else held.credential


def _resolve(
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


class CredentialChain:
    """An ordered list of providers asked in turn for a profile's key."""

    def __init__(
        self,
        providers: Sequence[CredentialProvider],
        *,
        broken_plugins: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.providers = list(providers)
        self.broken_plugins = list(broken_plugins)

    @classmethod
    def for_profile(cls, profile: str, order: Sequence[str] | None = None) -> CredentialChain:
        """The chain for ``profile``: ``order`` if given, else the environment's,
        the config file's, or the default order."""
        # Imported here, not at the top: plugins imports pluggy, which a client
        # given its key in code never needs.
        from alphacast import plugins

        found = plugins.registry()
        if order is None:
            env_order = os.environ.get("ALPHACAST_CREDENTIAL_CHAIN")
            if env_order:
                order = split_names(env_order)
            else:
                configured = profile_settings(profile).get("credential_chain")
                order = split_names(configured) if configured else None
        broken = [(p.name, p.error or "") for p in found.broken]
        if order is None:
            ordered = sorted(found.providers.values(), key=lambda p: (p.priority, p.name))
            return cls(ordered, broken_plugins=broken)
        unknown = [name for name in order if name not in found.providers]
        if unknown:
            raise CredentialError(
                f"unknown credential provider {unknown[0]!r} in the chain for profile "
                f"{profile!r}; known providers: {', '.join(sorted(found.providers))}",
                provider="chain",
                profile=profile,
            )
        return cls([found.providers[name] for name in order], broken_plugins=broken)

    def _skip_reason(
        self, provider: CredentialProvider, profile: str, explicit: bool
    ) -> str | None:
        if provider.ambient and explicit and profile == DEFAULT_PROFILE:
            # "only serves the default profile" would contradict itself here.
            return (
                f"not consulted: profile {profile!r} was named explicitly (--profile or in "
                f"code), and {provider.name} serves only a profile chosen without naming it; "
                "leave out --profile default to use it"
            )
        if provider.ambient and explicit:
            return (
                f"not consulted: profile {profile!r} was named explicitly, and "
                f"{provider.name} only serves the default profile or ALPHACAST_PROFILE"
            )
        return None

    def resolve(self, profile: str, *, explicit: bool = False) -> ResolvedCredential:
        """The first provider's credential for ``profile``.

        Raises the first provider's CredentialError, or NoCredentialError listing
        every provider tried and why each passed.
        """
        attempts: list[tuple[str, str]] = []
        for provider in self.providers:
            skip = self._skip_reason(provider, profile, explicit)
            if skip:
                attempts.append((provider.name, skip))
                continue
            held = _resolve(provider, profile)
            if held is not None:
                credential = held.credential
                log.info(
                    "profile %r resolved by provider %r from %s (fingerprint %s)",
                    profile,
                    provider.name,
                    credential.source,
                    credential.fingerprint,
                )
                return ResolvedCredential._holding(held, provider)
            attempts.append((provider.name, _describe_miss(provider, profile)))
        raise NoCredentialError(
            profile, attempts, broken_plugins=self.broken_plugins, explicit=explicit
        )

    def inspect(
        self, profile: str, *, explicit: bool = False, until_decided: bool = False
    ) -> list[Attempt]:
        """Ask every provider (not stopping at the first) for ``auth list``.

        With ``until_decided``, the providers after the one that decides (its key is
        used, or its error stops the chain) are listed as skipped, not asked: one
        of them could prompt (for a passphrase) for an answer that changes nothing.
        """
        result: list[Attempt] = []
        decided: str | None = None
        for provider in self.providers:
            skip = self._skip_reason(provider, profile, explicit)
            if skip is None and decided is not None:
                skip = f"not consulted: {decided} decides for profile {profile!r}"
            if skip:
                result.append(Attempt(provider.name, "skipped", skip))
                continue
            try:
                credential = resolve_with(provider, profile)
            except CredentialError as exc:
                result.append(Attempt(provider.name, "error", str(exc)))
                decided = provider.name if until_decided else None
                continue
            if credential is None:
                result.append(Attempt(provider.name, "missing", _describe_miss(provider, profile)))
            else:
                result.append(Attempt(provider.name, "resolved", credential.source, credential))
                decided = provider.name if until_decided else None
        return result


def _describe_miss(provider: CredentialProvider, profile: str) -> str:
    try:
        return redact_text(provider.describe_miss(profile))
    except Exception as exc:  # noqa: BLE001 - a broken explanation must not hide the others
        return f"nothing here (describe_miss failed: {type(exc).__name__})"


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
            renewed = _resolve(self.provider, profile, holding=stale)
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
            fresh = _resolve(self.provider, stale.profile, fresh=True)
            if fresh is None:
                return None
            self._adopt(stale, fresh)
            return fresh.credential if fresh.credential.api_key != stale.api_key else None

    def __repr__(self) -> str:
        return f"ResolvedCredential({self._held.credential!r})"


def resolve_profile(
    profile: str | None = None, *, order: Sequence[str] | None = None
) -> ResolvedCredential:
    """Resolve ``profile`` (or the implicit one) through its chain."""
    name, explicit = select_profile(profile)
    return CredentialChain.for_profile(name, order).resolve(name, explicit=explicit)
