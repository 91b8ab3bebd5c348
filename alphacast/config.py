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

Both this file and the shared credentials file are read as botocore's
``configloader.raw_config_parse`` reads ``~/.aws/config`` (see ``parse_ini``), and
sections name profiles by botocore's rules (see :func:`profile_of_section`).
"""

from __future__ import annotations

import io
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from alphacast._credentials import DEFAULT_PROFILE
from alphacast.errors import CredentialError
from alphacast.secrets import check_profile_name, display_path, read_secret_file

if TYPE_CHECKING:  # configparser is imported when a file is read: most runs have none
    import configparser

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_WORKSPACE_URL",
    "all_profile_settings",
    "config_dir",
    "config_location",
    "config_path",
    "expand_path",
    "parse_ini",
    "profile_of_section",
    "profile_section",
    "profile_settings",
    "select_profile",
]

DEFAULT_API_URL = "https://api.alphacast.io"
DEFAULT_WORKSPACE_URL = "https://www.alphacast.io"

# configparser copies its "default section" into every other section. No line of a
# file can name a section "\n" (a header is one line), so with this name no section,
# whatever it is called ([DEFAULT], [__none__], ...), is inherited by another.
_NO_DEFAULTS = "\n"


def config_dir() -> Path:
    """``~/.alphacast``, where the SDK keeps its files by default."""
    return Path.home() / ".alphacast"


def config_path() -> Path:
    """The config file: ``ALPHACAST_CONFIG_FILE`` or ``~/.alphacast/config``."""
    override = os.environ.get("ALPHACAST_CONFIG_FILE")
    return expand_path(override) if override else config_dir() / "config"


def expand_path(value: str) -> Path:
    """A path from an environment variable, with ``$VAR``, ``${VAR}`` and ``~``
    expanded in that order, as botocore expands ``AWS_CONFIG_FILE``."""
    return Path(os.path.expanduser(os.path.expandvars(value)))


def parse_ini(text: str, *, source: str) -> configparser.ConfigParser:
    """AWS-style INI ``text``, parsed as botocore's ``raw_config_parse`` parses a file.

    The same grammar (``configparser`` defaults: ``=`` or ``:``, full-line ``#`` and
    ``;`` comments, no inline comments, indented continuation lines, lower-cased
    setting names, duplicates refused), read with universal newlines (LF, CRLF or a
    lone CR, as botocore's text-mode ``open`` does), without interpolation. Two
    deliberate differences: a UTF-8 byte-order mark at the start is ignored, and no
    section is inherited by others (botocore copies ``[DEFAULT]`` into every
    section). Raises ``configparser.Error``; callers turn it into a message that
    names the line, never its content.
    """
    import configparser

    parser = configparser.ConfigParser(interpolation=None, default_section=_NO_DEFAULTS)
    parser.read_file(io.StringIO(text.removeprefix("\ufeff"), newline=None), source=source)
    for section in parser.sections():
        for name, value in parser.items(section):
            if value.startswith("\n") and any(
                "=" not in line for line in value.splitlines() if line.strip()
            ):
                # botocore reads an indented block after "name =" as sub-settings and
                # refuses a line of it without "=": so do we.
                from alphacast.redact import redact_text

                raise configparser.Error(
                    f"setting {name!r} of section [{redact_text(section)}] is followed by "
                    "an indented line without '=' (sub-settings look like '  name = value')"
                )
    return parser


def profile_of_section(section: str) -> str | None:
    """The profile a config-file section configures, by botocore's rules; None if
    the section is not a profile.

    ``[default]`` is profile ``default``. A section whose name starts with
    ``profile`` and splits, shell-style, into two words is the second word:
    ``[profile prod]``, ``[profile "prod"]``, ``[profile  prod]``, ``[profile<TAB>prod]``
    and ``[profile default]`` alike; ``[profile "my profile"]`` is ``my profile``.

    One difference from botocore, which ignores such a section without a word: a
    section that starts with the word ``profile`` but does not name exactly one
    profile (``[profile a b]``, ``[profile "a]``, ``[profile]``) raises ValueError.
    """
    if section == DEFAULT_PROFILE:
        return DEFAULT_PROFILE
    if not section.startswith("profile"):
        return None
    try:
        words = shlex.split(section)
    except ValueError:
        words = None
    if words is not None and len(words) == 2:
        return words[1]
    if section.split()[0] == "profile":
        raise ValueError("does not name exactly one profile")
    return None


def profile_section(profile: str) -> str:
    """The section holding ``profile``'s settings, as a user writes it in the
    config file: ``[default]`` or ``[profile NAME]``; for messages."""
    return f"[{DEFAULT_PROFILE}]" if profile == DEFAULT_PROFILE else f"[profile {profile}]"


def config_location(profile: str) -> str:
    """Where ``profile``'s settings go, for messages: ``[profile NAME] of ~/.alphacast/config``."""
    return f"{profile_section(profile)} of {display_path(config_path())}"


def select_profile(profile: str | None) -> tuple[str, bool]:
    """The profile to use and whether the caller named it explicitly.

    ``profile`` (from code or the command line) wins, then ``ALPHACAST_PROFILE``,
    then ``default``.
    """
    if profile:
        return check_profile_name(profile), True
    return check_profile_name(os.environ.get("ALPHACAST_PROFILE") or DEFAULT_PROFILE), False


def profile_settings(profile: str, path: Path | None = None) -> Mapping[str, str]:
    """The settings of ``profile`` in the config file; empty when it has none.

    A malformed file is a CredentialError naming the file and the line.
    """
    return all_profile_settings(path, profile=profile).get(profile, {})


def all_profile_settings(
    path: Path | None = None, *, profile: str | None = None
) -> dict[str, Mapping[str, str]]:
    """Every profile of the config file, with its settings; empty when there is no file.

    As in botocore, when several sections name a profile (``[default]`` and
    ``[profile default]``, or ``[profile prod]`` and ``[profile "prod"]``), the last
    one in the file wins, whole: sections are not merged. A malformed file is a
    CredentialError naming the file and the line (and ``profile``, if one is asked for).
    """
    path = path or config_path()
    raw = read_secret_file(path, provider="config", profile=profile)
    if raw is None:
        return {}
    import configparser

    try:
        parser = parse_ini(raw.decode("utf-8"), source=str(path))
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
    found: dict[str, Mapping[str, str]] = {}
    for section in parser.sections():
        try:
            named = profile_of_section(section)
        except ValueError as exc:
            from alphacast.redact import redact_text

            raise CredentialError(
                f"{display_path(path)} is not a valid config file: section "
                f"[{redact_text(section)}] {exc}; write [profile NAME], quoting a name "
                'with spaces: [profile "my name"]',
                provider="config",
                profile=profile,
            ) from None
        if named is not None:
            found[named] = dict(parser.items(section))
    return found


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def split_names(value: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``."""
    return [part.strip() for part in value.split(",") if part.strip()]
