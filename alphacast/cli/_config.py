"""``alphacast config list``: the effective settings and where each came from (like
``aws configure list``); and recording a profile's settings for ``auth login``."""

from __future__ import annotations

import argparse
import os
import re
from typing import Any

from alphacast.cli._options import add_json, add_profile
from alphacast.cli._output import CommandError, print_json
from alphacast.cli._settings import Setting, url_settings
from alphacast.config import (
    config_location,
    config_path,
    profile_of_section,
    profile_section,
    profile_settings,
    select_profile,
)
from alphacast.redact import redact_text
from alphacast.secrets import display_path, update_secret_file

#: Variables whose value is a secret: listed as set, never shown.
_SECRET = re.compile(r"(^ALPHACAST_API_KEY$|PASSPHRASE$|TOKEN|SECRET)")
_SECTION = re.compile(r"^\s*\[(?P<name>.+)\]\s*$")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("config", help="non-secret settings and where they come from")
    commands = parser.add_subparsers(
        dest="config_command", required=True, metavar="COMMAND", help="what to do"
    )
    p = commands.add_parser(
        "list", help="the effective settings, chain order and ALPHACAST_* variables, with sources"
    )
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=cmd_list)


def _profile_setting(profile_arg: str | None) -> Setting:
    profile, explicit = select_profile(profile_arg)
    if explicit:
        return Setting("profile", profile, "option", "--profile")
    if os.environ.get("ALPHACAST_PROFILE"):
        return Setting("profile", profile, "env", "ALPHACAST_PROFILE")
    return Setting("profile", profile, "default", "")


def _chain_setting(profile: str) -> Setting:
    from alphacast.chain import CredentialChain

    names = ", ".join(p.name for p in CredentialChain.for_profile(profile).providers)
    if os.environ.get("ALPHACAST_CREDENTIAL_CHAIN"):
        return Setting("credential_chain", names, "env", "ALPHACAST_CREDENTIAL_CHAIN")
    if profile_settings(profile).get("credential_chain"):
        return Setting("credential_chain", names, "config-file", config_location(profile))
    return Setting("credential_chain", names, "default", "")


def effective_settings(profile_arg: str | None) -> list[Setting]:
    selected = _profile_setting(profile_arg)
    profile = selected.value
    config = (
        Setting("config_file", display_path(config_path()), "env", "ALPHACAST_CONFIG_FILE")
        if os.environ.get("ALPHACAST_CONFIG_FILE")
        else Setting("config_file", display_path(config_path()), "default", "")
    )
    rows = [selected, *url_settings(profile), _chain_setting(profile), config]
    for name in sorted(os.environ):
        if name.startswith("ALPHACAST_"):
            value = "(set, not shown)" if _SECRET.search(name) else os.environ[name]
            rows.append(Setting(name, redact_text(value), "env", name))
    return rows


def cmd_list(args: argparse.Namespace) -> int:
    rows = effective_settings(args.profile)
    if args.json:
        print_json([_as_dict(row) for row in rows], indent=2)
        return 0
    table = [[row.name, row.value, row.type, row.location or "-"] for row in rows]
    headers = ["NAME", "VALUE", "TYPE", "LOCATION"]
    widths = [max(len(h), *(len(line[i]) for line in table)) for i, h in enumerate(headers)]
    for line in [headers, *table]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    return 0


def _as_dict(row: Setting) -> dict[str, Any]:
    return {"name": row.name, "value": row.value, "type": row.type, "location": row.location}


def record_settings(profile: str, settings: dict[str, str]) -> str:
    """Set ``settings`` in ``profile``'s section of the config file (created if
    needed), keeping every other line; returns where, for messages."""
    for name, value in settings.items():
        if not value or any(ch in value for ch in "\r\n\0"):
            raise CommandError(f"{name} must be one line of text")

    def change(current: bytes | None) -> bytes:
        lines = (current or b"").decode("utf-8").splitlines()
        return ("\n".join(_edit(lines, profile, settings)) + "\n").encode("utf-8")

    update_secret_file(config_path(), change, provider="config", profile=profile)
    return config_location(profile)


def _edit(lines: list[str], profile: str, settings: dict[str, str]) -> list[str]:
    starts = [i for i, line in enumerate(lines) if _SECTION.match(line)]
    mine = [i for i in starts if _names(lines[i], profile)]
    if not mine:
        block = [f"{name} = {value}" for name, value in settings.items()]
        gap = [""] if lines and lines[-1].strip() else []
        return [*lines, *gap, profile_section(profile), *block]
    start = mine[-1]  # the last section naming the profile wins, as when reading
    end = next((i for i in starts if i > start), len(lines))
    body = lines[start + 1 : end]
    for name, value in settings.items():
        pattern = re.compile(rf"^{re.escape(name)}\s*[=:]", re.I)
        at = next((i for i, line in enumerate(body) if pattern.match(line)), None)
        if at is None:
            last = max((i + 1 for i, line in enumerate(body) if line.strip()), default=0)
            body.insert(last, f"{name} = {value}")
        else:
            body[at] = f"{name} = {value}"
    return [*lines[: start + 1], *body, *lines[end:]]


def _names(line: str, profile: str) -> bool:
    match = _SECTION.match(line)
    try:
        return match is not None and profile_of_section(match["name"]) == profile
    except ValueError:
        return False
