"""``alphacast auth login``: choose a store, read the key, check it, store it, show it.

The interactive setup (``aws configure``, ``gh auth login``). The key comes from a
hidden prompt on a terminal, else from stdin (for scripts); it is checked with one
API call before anything is stored (``--no-check`` skips that), and the command
ends by printing what ``alphacast auth which`` prints.
"""

from __future__ import annotations

import argparse
import os
import sys

from alphacast._credentials import Credential, WritableCredentialProvider
from alphacast.cli._options import add_json, add_profile
from alphacast.cli._output import CommandError
from alphacast.cli._settings import Setting, url_settings
from alphacast.config import select_profile
from alphacast.errors import (
    APIError,
    AuthenticationError,
    ConnectionFailedError,
    CredentialError,
    PermissionDeniedError,
)
from alphacast.secrets import check_profile_name, interactive


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = commands.add_parser(
        "login",
        help="set up a profile: pick a store, type the key (hidden), check it, store it",
    )
    add_profile(p)
    p.add_argument(
        "--store",
        help="where to store the key (default: keyring if it works, else encrypted-file "
        "when a passphrase can be had, else shared-file)",
    )
    p.add_argument(
        "--no-check",
        action="store_true",
        help="store the key without checking it against the API first",
    )
    p.add_argument("--api-url", help="record this api_url in the profile's config section")
    p.add_argument(
        "--workspace-url", help="record this workspace_url in the profile's config section"
    )
    add_json(p)
    p.set_defaults(handler=cmd_login, creates_profile=True)


def _keyring_problem() -> str | None:
    """Why the keyring cannot hold keys here, or None when a backend works."""
    import keyring

    backend = keyring.get_keyring()
    module = type(backend).__module__.rsplit(".", 1)[-1]
    if module in ("fail", "null"):
        return f"no usable keyring backend ({module}.{type(backend).__name__})"
    if not getattr(backend, "backends", True):  # a chainer with nothing to chain
        return "no usable keyring backend (none installed)"
    return None


def choose_store(name: str | None) -> tuple[WritableCredentialProvider, str]:
    """The store to use, and why it was chosen."""
    from alphacast import plugins
    from alphacast.cli._auth import writable_store

    if name:
        return writable_store(name), "chosen with --store"
    found = plugins.registry().providers
    reasons = []
    if "keyring" in found:
        problem = _keyring_problem()
        if problem is None:
            return writable_store("keyring"), "the system keyring works here"
        reasons.append(problem)
    if "encrypted-file" in found:
        if (
            os.environ.get("ALPHACAST_PASSPHRASE_FILE")
            or os.environ.get("ALPHACAST_PASSPHRASE")
            or interactive()
        ):
            return writable_store("encrypted-file"), "; ".join(
                [*reasons, "a passphrase is at hand"]
            )
        reasons.append(
            "no passphrase for the encrypted file (no terminal, no ALPHACAST_PASSPHRASE)"
        )
    return writable_store("shared-file"), "; ".join(reasons) or "the default store"


def check_against_api(key: str, profile: str, api_url: Setting, workspace_url: Setting) -> None:
    """One API call with ``key``; a CredentialError that explains a refusal."""
    from alphacast._client import Alphacast

    nothing = "nothing was stored (--no-check stores it without this check)"
    try:
        with Alphacast(key, api_url=api_url.value, workspace_url=workspace_url.value) as client:
            client.repository.read_all()
    except AuthenticationError:
        raise CredentialError(
            "the API refused the key (401): it was mistyped, copied incompletely, or "
            "revoked or regenerated in the web UI (regenerating invalidates the old key "
            f"at once); copy it again from the Alphacast web UI; {nothing}",
            provider="auth",
            profile=profile,
        ) from None
    except PermissionDeniedError:
        raise CredentialError(
            "the API accepted the key but refused access (403): the key's account may "
            f"not read repositories; {nothing}",
            provider="auth",
            profile=profile,
        ) from None
    except ConnectionFailedError:
        raise CredentialError(
            f"cannot reach {api_url.value} to check the key (api_url from "
            f"{api_url.origin()}): is the service (or the emulator) running? {nothing}",
            provider="auth",
            profile=profile,
        ) from None
    except APIError as exc:
        raise CredentialError(
            f"the check failed: {str(exc).splitlines()[0]}; {nothing}",
            provider="auth",
            profile=profile,
        ) from None


def cmd_login(args: argparse.Namespace) -> int:
    from alphacast.cli import _auth
    from alphacast.cli._config import record_settings

    profile, _ = select_profile(args.profile)
    check_profile_name(profile)
    provider, why = choose_store(args.store)
    print(
        f"alphacast: storing the key of profile {profile!r} in {provider.name} ({why})",
        file=sys.stderr,
    )
    api_url, workspace_url = url_settings(profile)
    if args.api_url:
        api_url = Setting("api_url", args.api_url, "option", "--api-url")
    if args.workspace_url:
        workspace_url = Setting("workspace_url", args.workspace_url, "option", "--workspace-url")
    key = _auth.read_key()
    if not key.strip():
        raise CommandError(
            "no key was given: type it at the prompt, or pipe it on stdin; nothing was stored"
        )
    key = Credential(key, provider="auth", source="the key given", profile=profile).api_key
    if not args.no_check:
        check_against_api(key, profile, api_url, workspace_url)
    _auth.store_and_report(provider, profile, key, quiet=args.json)
    settings = {
        name: value
        for name, value in (("api_url", args.api_url), ("workspace_url", args.workspace_url))
        if value
    }
    if settings:
        where = record_settings(profile, settings)
        print(f"alphacast: recorded {', '.join(settings)} in {where}", file=sys.stderr)
    return _auth.cmd_which(args)
