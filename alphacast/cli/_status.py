"""``alphacast auth status``: every profile known anywhere, who serves it, and whether
its key works (``--check``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from alphacast._credentials import Credential
from alphacast.cli._options import add_json, add_profile
from alphacast.cli._output import masked, print_json
from alphacast.cli._profiles import known_profiles
from alphacast.cli._settings import url_settings
from alphacast.config import select_profile
from alphacast.errors import (
    APIError,
    AuthenticationError,
    ConnectionFailedError,
    CredentialError,
    NoCredentialError,
    PermissionDeniedError,
    UnexpectedResponseError,
)

#: ``check`` values: the key works, the API refused it (401), it lacks access (403),
#: the API could not be reached, or it failed otherwise.
CHECKS = ("ok", "rejected", "forbidden", "unreachable", "failed")


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "status",
        help="every profile known anywhere, the provider serving it and its fingerprint",
    )
    add_profile(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="call the API once per profile with a key, to see whether the key works",
    )
    add_json(p)
    p.set_defaults(handler=cmd_status)


def _row(profile: str, *, active: bool, explicit: bool) -> tuple[dict[str, Any], Credential | None]:
    row: dict[str, Any] = {
        "profile": profile,
        "provider": None,
        "source": None,
        "fingerprint": None,
        "active": active,
        "status": "missing",
    }
    from alphacast.chain import CredentialChain

    try:
        chain = CredentialChain.for_profile(profile)
        credential = chain.resolve(profile, explicit=explicit).current
    except NoCredentialError:
        return row, None
    except CredentialError as exc:
        row.update(provider=exc.provider, status="error")
        row["_detail"] = str(exc).splitlines()[0]
        return row, None
    row.update(
        provider=credential.provider,
        source=credential.source,
        fingerprint=credential.fingerprint,
        status="ok",
    )
    return row, credential


def check_key(credential: Credential, profile: str) -> tuple[str, str]:
    """One API call with ``credential``: a :data:`CHECKS` value and a one-line reason."""
    from alphacast._client import Alphacast

    api_url, workspace_url = url_settings(profile)
    try:
        with Alphacast(
            credential.api_key, api_url=api_url.value, workspace_url=workspace_url.value
        ) as client:
            client.repository.read_all()
    except AuthenticationError as exc:
        return "rejected", str(exc).splitlines()[0]
    except PermissionDeniedError as exc:
        return "forbidden", str(exc).splitlines()[0]
    except ConnectionFailedError:
        return "unreachable", (
            f"cannot reach {api_url.value} (api_url from {api_url.origin()}): "
            "is the service (or the emulator) running?"
        )
    except (APIError, UnexpectedResponseError) as exc:
        return "failed", str(exc).splitlines()[0]
    return "ok", ""


def cmd_status(args: argparse.Namespace) -> int:
    active, explicit = select_profile(args.profile)
    known = known_profiles()
    rows = []
    active_has_key = False
    for profile in sorted(set(known.names()) | {active}):
        is_active = profile == active
        row, credential = _row(profile, active=is_active, explicit=explicit or not is_active)
        if args.check:
            row["check"], reason = check_key(credential, profile) if credential else (None, "")
            if reason:
                row["_detail"] = reason
        if is_active:
            active_has_key = credential is not None
        rows.append(row)
    if args.json:
        print_json([{k: v for k, v in row.items() if not k.startswith("_")} for row in rows])
    else:
        _print_table(rows, check=args.check)
        for note in known.unlisted:
            print(f"not listed: {masked(note)}", file=sys.stderr)
        for note in known.skipped:
            print(f"skipped: {masked(note)}", file=sys.stderr)
    return 0 if active_has_key else 1


def _print_table(rows: list[dict[str, Any]], *, check: bool) -> None:
    columns = ["profile", "provider", "fingerprint", "status", *(["check"] if check else [])]
    # Profile names and sources come from files and providers: a key pasted as a
    # section name, or a source naming one, is masked like any other key.
    table = [[masked(row.get(c) or "-") for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in table)) for i, c in enumerate(columns)]
    header = "  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True))
    print(f"  {header}  SOURCE")
    for row, line in zip(rows, table, strict=True):
        mark = "*" if row["active"] else " "
        cells = "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))
        print(f"{mark} {cells}  {masked(row['source'] or row.get('_detail', ''))}".rstrip())
        if row["source"] and row.get("_detail"):
            print(f"    {masked(row['_detail'])}")
