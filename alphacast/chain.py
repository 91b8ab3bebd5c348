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
from dataclasses import dataclass

from alphacast import _credential_cache
from alphacast._credential_cache import (
    ResolvedCredential,
    clear_cache,
    refresh_margin,
    resolve_held,
    resolve_with,
)
from alphacast._credentials import DEFAULT_PROFILE, Credential, CredentialProvider
from alphacast.config import profile_settings, select_profile, split_names
from alphacast.errors import CredentialError, NoCredentialError
from alphacast.redact import redact_text

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
EXPIRY_MARGIN_SECONDS = _credential_cache.EXPIRY_MARGIN_SECONDS


@dataclass(frozen=True)
class Attempt:
    """What one provider said about one profile."""

    provider: str
    status: str  # "resolved", "missing", "skipped" or "error"
    detail: str
    credential: Credential | None = None


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
            held = resolve_held(provider, profile)
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


def resolve_profile(
    profile: str | None = None, *, order: Sequence[str] | None = None
) -> ResolvedCredential:
    """Resolve ``profile`` (or the implicit one) through its chain."""
    name, explicit = select_profile(profile)
    return CredentialChain.for_profile(name, order).resolve(name, explicit=explicit)
