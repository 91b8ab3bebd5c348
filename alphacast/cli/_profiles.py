"""Which profiles exist, and where: for ``auth status`` and for naming a mistyped one.

A profile exists where a store can list it without a secret: a section of the
shared credentials file, a section of the config file, an entry of a Secret
Service keyring (searched by its public attributes, never unlocked), the
encrypted file when its passphrase is in the environment, and the implicit
default. Stores that cannot be listed (a keyring backend without search, an
encrypted file without a passphrase at hand, Vault) are named in ``unlisted``.

This knowledge of the built-in stores lives in the command line, not in the
providers, because the provider interface has no "list your profiles" method yet.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alphacast._credentials import DEFAULT_PROFILE, Credential
from alphacast.config import config_path, parse_ini, profile_of_section, select_profile
from alphacast.errors import CredentialError
from alphacast.secrets import display_path, read_secret_file, read_secret_text

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

    def add(self, profile: str, place: str) -> None:
        where = self.places.setdefault(profile, [])
        if place not in where:
            where.append(place)

    def names(self) -> list[str]:
        return sorted(self.places)


def known_profiles() -> KnownProfiles:
    """Every profile the listable stores name, plus ``default`` and ``ALPHACAST_PROFILE``."""
    from alphacast import plugins

    enabled = set(plugins.registry().providers)
    found = KnownProfiles()
    if "shared-file" in enabled:
        _shared_file(found)
    _config_file(found)
    if "encrypted-file" in enabled:
        _encrypted_file(found)
    if "keyring" in enabled:
        _keyring(found)
    if "vault" in enabled and os.environ.get("VAULT_ADDR"):
        found.unlisted.append("vault: secrets in Vault are not listed")
    found.add(DEFAULT_PROFILE, "implicit")
    selected = os.environ.get("ALPHACAST_PROFILE")
    if selected:
        found.add(selected, "ALPHACAST_PROFILE")
    return found


def _provider_module(name: str) -> Any:
    """A built-in provider's module, for its public helpers (paths, decryption)."""
    import importlib

    return importlib.import_module(f"alphacast.providers.{name}")


def _sections(found: KnownProfiles, path: Path, provider: str) -> list[str]:
    """The section names of the INI file at ``path``; none when it does not exist, and
    none (with the file noted as unlisted) when it cannot be read."""
    import configparser

    shown = display_path(path)
    try:
        raw = read_secret_file(path, provider=provider)
        if raw is None:
            return []
        return parse_ini(raw.decode("utf-8"), source=shown).sections()
    except (CredentialError, UnicodeDecodeError, OSError, configparser.Error):
        found.unlisted.append(f"{provider}: {shown} cannot be read")
        return []


def _shared_file(found: KnownProfiles) -> None:
    path = _provider_module("shared_file").shared_file_path()
    for section in _sections(found, path, "shared-file"):
        found.add(section, "shared-file")


def _config_file(found: KnownProfiles) -> None:
    for section in _sections(found, config_path(), "config"):
        try:
            profile = profile_of_section(section)
        except ValueError:
            continue
        if profile is not None:
            found.add(profile, "config")


def _encrypted_file(found: KnownProfiles) -> None:
    module = _provider_module("encrypted_file")
    path = module.encrypted_file_path()
    shown = display_path(path)
    try:
        data = read_secret_file(path, provider="encrypted-file")
        if data is None:
            return
        passphrase: str | None = None
        named = os.environ.get(module.PASSPHRASE_FILE_VARIABLE)
        if named:
            passphrase = read_secret_text(Path(named).expanduser(), provider="encrypted-file")
        elif os.environ.get(module.PASSPHRASE_VARIABLE):
            passphrase = os.environ[module.PASSPHRASE_VARIABLE]
        if not passphrase:
            found.unlisted.append(f"encrypted-file: {shown} needs its passphrase to be listed")
            return
        _, entries = module.decrypt(data, passphrase, shown=shown)
    except (CredentialError, OSError):
        found.unlisted.append(f"encrypted-file: {shown} cannot be read")
        return
    for profile in entries:
        found.add(profile, "encrypted-file")


def _keyring(found: KnownProfiles) -> None:
    """Entries of a Secret Service keyring, found by their attributes: a search that
    never unlocks the collection nor reads a secret."""
    try:
        import keyring
        from keyring.backends import SecretService
    except ImportError:  # pragma: no cover - keyring is a dependency
        return
    backend = keyring.get_keyring()
    if not isinstance(backend, SecretService.Keyring):
        name = type(backend).__module__.rsplit(".", 1)[-1]
        if name not in ("fail", "null"):
            found.unlisted.append(f"keyring: the {name} backend cannot list its entries")
        return
    try:
        import secretstorage

        scheme = backend.schemes[backend.scheme]
        connection = secretstorage.dbus_init()
        try:
            path = getattr(backend, "preferred_collection", None)
            collection = secretstorage.Collection(connection, *([path] if path else []))
            users = [
                item.get_attributes().get(scheme["username"])
                for item in collection.search_items({scheme["service"]: "alphacast"})
            ]
        finally:
            connection.close()
    except Exception:  # noqa: BLE001 - listing is a courtesy; resolving reports real errors
        found.unlisted.append("keyring: the Secret Service cannot be searched")
        return
    for user in users:
        if user:
            found.add(user, "keyring")


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
