"""Non-secret settings: ``~/.alphacast/config`` and the environment.

The config file is INI with ``[default]`` and ``[profile NAME]`` sections, like
AWS's ``~/.aws/config``::

    [default]
    api_url = https://api.alphacast.io

    [profile prod]
    credential_chain = vault, keyring
    vault_path = teams/data/alphacast

It may name commands (``credential_process``) and Vault login settings, so it is
read with the same permission checks as a secret file.
"""

from __future__ import annotations

import configparser
import os
from collections.abc import Mapping
from pathlib import Path

from alphacast._files import display_path, read_secret_file
from alphacast.credentials import DEFAULT_PROFILE
from alphacast.errors import CredentialError

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_WORKSPACE_URL",
    "config_dir",
    "config_path",
    "profile_settings",
    "select_profile",
]

DEFAULT_API_URL = "https://api.alphacast.io"
DEFAULT_WORKSPACE_URL = "https://www.alphacast.io"


def config_dir() -> Path:
    """``~/.alphacast``, where the SDK keeps its files by default."""
    return Path.home() / ".alphacast"


def config_path() -> Path:
    """The config file: ``ALPHACAST_CONFIG_FILE`` or ``~/.alphacast/config``."""
    override = os.environ.get("ALPHACAST_CONFIG_FILE")
    return Path(override).expanduser() if override else config_dir() / "config"


def select_profile(profile: str | None) -> tuple[str, bool]:
    """The profile to use and whether the caller named it explicitly.

    ``profile`` (from code or the command line) wins, then ``ALPHACAST_PROFILE``,
    then ``default``.
    """
    if profile:
        return check_profile_name(profile), True
    return check_profile_name(os.environ.get("ALPHACAST_PROFILE") or DEFAULT_PROFILE), False


def check_profile_name(profile: str) -> str:
    """``profile``, unless it looks like an API key: a key given where a profile name
    goes (``Alphacast(profile=key)``, ``alphacast auth set ak_...``) would otherwise
    be shown in messages and written into files as a section name."""
    from alphacast.redact import redact_text

    if redact_text(profile) != profile:
        raise CredentialError(
            "the profile name looks like an API key (not shown). A profile is a name "
            "such as 'prod'; pass a key as Alphacast(api_key), or store it under a "
            "profile with `alphacast auth set PROFILE --store STORE`",
            provider="config",
        )
    return profile


def _section_name(profile: str) -> str:
    return DEFAULT_PROFILE if profile == DEFAULT_PROFILE else f"profile {profile}"


def profile_settings(profile: str, path: Path | None = None) -> Mapping[str, str]:
    """The settings of ``profile`` in the config file; empty when it has none.

    A malformed file is a CredentialError naming the file and the line.
    """
    path = path or config_path()
    raw = read_secret_file(path, provider="config", profile=profile)
    if raw is None:
        return {}
    parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
    try:
        parser.read_string(raw.decode("utf-8"), source=str(path))
    except UnicodeDecodeError:
        raise CredentialError(
            f"{display_path(path)} is not UTF-8 text; rewrite it as an INI file",
            provider="config",
            profile=profile,
        ) from None
    except configparser.Error as exc:
        raise CredentialError(
            f"{display_path(path)} is not a valid INI file: {_first_line(exc)}; "
            "fix the file (sections look like [default] or [profile NAME])",
            provider="config",
            profile=profile,
        ) from None
    section = _section_name(profile)
    if not parser.has_section(section):
        return {}
    return dict(parser.items(section))


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def split_names(value: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in value.split(",") if part.strip()]
