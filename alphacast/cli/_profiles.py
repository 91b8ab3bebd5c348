"""Which profiles exist, and where: for ``auth status`` and for naming a mistyped one.

A profile exists where a provider lists it (``CredentialProvider.profiles()``:
found without a secret, a prompt or an unlock), in a section of the config file,
or as the implicit default. The command line knows no store: a provider that cannot
list its profiles (Vault, a keyring backend without search) or cannot now (an
encrypted file without its passphrase at hand) is named in ``unlisted`` with why.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field

from alphacast._credentials import DEFAULT_PROFILE, Credential
from alphacast.config import all_profile_settings, select_profile
from alphacast.errors import CredentialError
from alphacast.redact import looks_like_key

__all__ = [
    "KnownProfiles",
    "UnknownProfileError",
    "check_named_profile",
    "explain_failure",
    "known_profiles",
    "resolve_for_cli",
]


class UnknownProfileError(CredentialError):
    """The profile named exists in no store that can be listed."""


@dataclass
class KnownProfiles:
    """Profile name -> the stores that name it; and the stores that could not be listed."""

    places: dict[str, list[str]] = field(default_factory=dict)
    unlisted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, profile: str, place: str) -> None:
        if looks_like_key(profile):
            # A key pasted as a section header: listing it would print the key.
            note = f"{place}: a profile named like a key (rename it; the name is not shown)"
            if note not in self.skipped:
                self.skipped.append(note)
            return
        where = self.places.setdefault(profile, [])
        if place not in where:
            where.append(place)

    def names(self) -> list[str]:
        return sorted(self.places)


def known_profiles() -> KnownProfiles:
    """Every profile the providers can list, the config file's profiles, ``default``
    and ``ALPHACAST_PROFILE``."""
    from alphacast import plugins

    found = KnownProfiles()
    for name, provider in plugins.registry().providers.items():
        if provider.ambient:  # env, .env: they serve the selected profile, whatever it is
            continue
        try:
            names = provider.profiles()
        except CredentialError as exc:
            found.unlisted.append(_reason(name, str(exc)))
            continue
        except Exception as exc:  # noqa: BLE001 - a plugin's bug must not stop the listing
            found.unlisted.append(f"{name}: listing failed ({type(exc).__name__})")
            continue
        if names is None:
            found.unlisted.append(f"{name}: its profiles cannot be listed")
            continue
        for profile in names:
            found.add(profile, name)
    _config_file(found)
    found.add(DEFAULT_PROFILE, "implicit")
    selected = os.environ.get("ALPHACAST_PROFILE")
    if selected:
        found.add(selected, "ALPHACAST_PROFILE")
    return found


def _reason(provider: str, message: str) -> str:
    """``provider: message``, the provider named once."""
    return message if message.startswith(f"{provider}: ") else f"{provider}: {message}"


def _config_file(found: KnownProfiles) -> None:
    """The profiles of the config file's sections: it holds settings, never keys."""
    try:
        profiles = all_profile_settings()
    except CredentialError as exc:
        found.unlisted.append(_reason("config", str(exc)))
        return
    for profile in profiles:
        found.add(profile, "config")


def unknown_profile_error(profile: str, known: KnownProfiles) -> str:
    """``profile 'prdo' is not set up anywhere (did you mean 'prod'?) ...``."""
    names = known.names()
    near = difflib.get_close_matches(profile, names, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    where = "in no store that could be searched" if known.unlisted else "not set up anywhere"
    message = (
        f"profile {profile!r} is {where}{hint}; known profiles: "
        f"{', '.join(names)}. To set it up: `alphacast auth login --profile {profile}`"
    )
    if known.unlisted:
        message += f" (not searched: {'; '.join(known.unlisted)})"
    return message


def is_unknown(profile: str, known: KnownProfiles) -> bool:
    return profile not in known.places


def check_named_profile(profile: str) -> None:
    """Refuse a profile named on the command line that no store has and that is a
    near miss of one that exists, before any provider is asked (and may prompt).

    Only when every store could be searched: an encrypted file whose passphrase is
    not at hand, or Vault, may hold the profile, and only asking it can tell.
    """
    known = known_profiles()
    if known.unlisted or not is_unknown(profile, known):
        return
    if difflib.get_close_matches(profile, known.names(), n=1):
        raise UnknownProfileError(unknown_profile_error(profile, known), profile=profile)


def explain_failure(exc: CredentialError) -> CredentialError:
    """``exc`` led by "profile X is not set up anywhere" when its profile exists nowhere,
    so a later provider's complaint ("no passphrase", "no token") does not hide it."""
    from alphacast.errors import NoCredentialError

    profile = exc.profile
    if isinstance(exc, UnknownProfileError) or not profile or profile == DEFAULT_PROFILE:
        return exc
    known = known_profiles()
    if not is_unknown(profile, known):
        return exc
    lead = "" if isinstance(exc, NoCredentialError) else "What the providers said: "
    return UnknownProfileError(
        f"{unknown_profile_error(profile, known)}.\n{lead}{exc}", profile=profile
    )


def resolve_for_cli(profile_arg: str | None) -> tuple[Credential, str]:
    """The credential of the selected profile, and the profile's name."""
    from alphacast.chain import CredentialChain

    profile, explicit = select_profile(profile_arg)
    credential = CredentialChain.for_profile(profile).resolve(profile, explicit=explicit).current
    return credential, profile
