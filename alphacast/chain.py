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
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from alphacast.config import profile_settings, select_profile, split_names
from alphacast.credentials import Credential, CredentialProvider
from alphacast.errors import CredentialError, NoCredentialError, PluginError
from alphacast.redact import redact_text, remember_key

__all__ = [
    "EXPIRY_MARGIN_SECONDS",
    "Attempt",
    "CredentialChain",
    "ResolvedCredential",
    "clear_cache",
    "resolve_profile",
    "resolve_with",
]

log = logging.getLogger("alphacast")

#: Re-resolve a credential this many seconds before it expires.
EXPIRY_MARGIN_SECONDS = 60.0


@dataclass(frozen=True)
class Attempt:
    """What one provider said about one profile."""

    provider: str
    status: str  # "resolved", "missing", "skipped" or "error"
    detail: str
    credential: Credential | None = None


_cache_lock = threading.Lock()
_cache: dict[tuple[object, ...], Credential] = {}
_flight_locks: dict[tuple[object, ...], threading.Lock] = {}


def clear_cache() -> None:
    """Forget every cached resolution in this process."""
    with _cache_lock:
        _cache.clear()


def _flight_lock(key: tuple[object, ...]) -> threading.Lock:
    with _cache_lock:
        return _flight_locks.setdefault(key, threading.Lock())


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
    if not provider.cacheable:
        return _call_provider(provider, profile)
    key = provider.cache_key(profile)
    with _flight_lock(key):
        cached = None if fresh else _cache.get(key)
        if cached is not None and not cached.expires_within(EXPIRY_MARGIN_SECONDS):
            return cached
        result = _call_provider(provider, profile)
        with _cache_lock:
            if result is None:
                _cache.pop(key, None)
            else:
                _cache[key] = result
        return result


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
            credential = resolve_with(provider, profile)
            if credential is not None:
                log.info(
                    "profile %r resolved by provider %r from %s (fingerprint %s)",
                    profile,
                    provider.name,
                    credential.source,
                    credential.fingerprint,
                )
                return ResolvedCredential(credential, provider)
            attempts.append((provider.name, _describe_miss(provider, profile)))
        raise NoCredentialError(
            profile, attempts, broken_plugins=self.broken_plugins, explicit=explicit
        )

    def inspect(self, profile: str, *, explicit: bool = False) -> list[Attempt]:
        """Ask every provider (not stopping at the first) for ``auth list``."""
        result: list[Attempt] = []
        for provider in self.providers:
            skip = self._skip_reason(provider, profile, explicit)
            if skip:
                result.append(Attempt(provider.name, "skipped", skip))
                continue
            try:
                credential = resolve_with(provider, profile)
            except CredentialError as exc:
                result.append(Attempt(provider.name, "error", str(exc)))
                continue
            if credential is None:
                result.append(Attempt(provider.name, "missing", _describe_miss(provider, profile)))
            else:
                result.append(Attempt(provider.name, "resolved", credential.source, credential))
        return result


def _describe_miss(provider: CredentialProvider, profile: str) -> str:
    try:
        return redact_text(provider.describe_miss(profile))
    except Exception as exc:  # noqa: BLE001 - a broken explanation must not hide the others
        return f"nothing here (describe_miss failed: {type(exc).__name__})"


class ResolvedCredential:
    """The credential a client uses, and how to refresh it from its provider.

    Reading :attr:`current` is cheap: one attribute read and, only for expiring
    credentials, a clock comparison. Thread-safe.
    """

    __slots__ = ("_credential", "_lock", "provider")

    def __init__(self, credential: Credential, provider: CredentialProvider | None) -> None:
        # Every key a client uses passes here, a key given in code included: mask it.
        remember_key(credential.api_key)
        self._credential = credential
        self.provider = provider
        self._lock = threading.Lock()

    @property
    def current(self) -> Credential:
        credential = self._credential
        if credential.expires_at is not None and credential.expires_within(EXPIRY_MARGIN_SECONDS):
            self.refresh(credential)
            credential = self._credential
        return credential

    def refresh(self, stale: Credential) -> Credential | None:
        """Re-resolve from the same provider after ``stale`` stopped working.

        Returns the new credential if the provider now has a different key, else
        ``None``. Concurrent callers holding the same stale credential share one
        re-resolution.
        """
        if self.provider is None:
            return None
        with self._lock:
            if self._credential is not stale:
                # Someone else refreshed meanwhile.
                return self._credential if self._credential.api_key != stale.api_key else None
            fresh = resolve_with(self.provider, stale.profile, fresh=True)
            if fresh is None or fresh.api_key == stale.api_key:
                return None
            log.info(
                "profile %r re-resolved by provider %r: key changed (fingerprint %s -> %s)",
                stale.profile,
                self.provider.name,
                stale.fingerprint,
                fresh.fingerprint,
            )
            self._credential = fresh
            return fresh

    def __repr__(self) -> str:
        return f"ResolvedCredential({self._credential!r})"


def resolve_profile(
    profile: str | None = None, *, order: Sequence[str] | None = None
) -> ResolvedCredential:
    """Resolve ``profile`` (or the implicit one) through its chain."""
    name, explicit = select_profile(profile)
    return CredentialChain.for_profile(name, order).resolve(name, explicit=explicit)
