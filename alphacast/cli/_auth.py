"""``alphacast auth ...``: list, which, set, delete, test."""

from __future__ import annotations

import argparse
import difflib
import getpass
import sys
from typing import Any

from alphacast import plugins
from alphacast._credentials import WritableCredentialProvider
from alphacast.chain import CredentialChain
from alphacast.cli._output import print_json
from alphacast.config import select_profile
from alphacast.errors import APIError, CredentialError
from alphacast.secrets import check_profile_name


def cmd_list(args: argparse.Namespace) -> int:
    profile, explicit = select_profile(args.profile)
    attempts = CredentialChain.for_profile(profile).inspect(profile, explicit=explicit)
    winner = next((a.provider for a in attempts if a.status in ("resolved", "error")), None)
    rows = [
        {
            "provider": a.provider,
            "status": a.status,
            "detail": a.detail,
            "fingerprint": a.credential.fingerprint if a.credential else None,
            "selected": a.provider == winner,
        }
        for a in attempts
    ]
    if args.json:
        print_json({"profile": profile, "providers": rows}, indent=2)
        return 0
    print(f"profile: {profile}")
    for row in rows:
        mark = "*" if row["selected"] else " "
        fingerprint = row["fingerprint"] or ""
        print(f"{mark} {row['provider']:<16} {row['status']:<9} {fingerprint:<7} {row['detail']}")
    return 0


def cmd_which(args: argparse.Namespace) -> int:
    profile, explicit = select_profile(args.profile)
    credential = CredentialChain.for_profile(profile).resolve(profile, explicit=explicit).current
    result = {
        "profile": credential.profile,
        "provider": credential.provider,
        "source": credential.source,
        "fingerprint": credential.fingerprint,
    }
    if args.json:
        print_json(result)
    else:
        print(
            f"profile {result['profile']!r}: provider {result['provider']} "
            f"({result['source']}), fingerprint {result['fingerprint']}"
        )
    return 0


def _writable(name: str) -> WritableCredentialProvider:
    found = plugins.registry().providers
    provider = found.get(name)
    if not isinstance(provider, WritableCredentialProvider):
        writable = sorted(n for n, p in found.items() if isinstance(p, WritableCredentialProvider))
        # Echo only a provider's name or a near miss of one: a key pasted after
        # --store is neither.
        near = difflib.get_close_matches(name, writable, n=1)
        shown = repr(name) if name in found or near else "the --store value"
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise CredentialError(
            f"{shown} is not a store that can hold keys{hint}; "
            f"choose one of: {', '.join(writable)}",
            provider="auth",
        )
    return provider


def _read_key() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("Alphacast API key (input hidden): ")
    data = sys.stdin.read() if sys.stdin is not None else ""
    # A single trailing newline is how `echo` and most tools end a line.
    return data.removesuffix("\n").removesuffix("\r")


def cmd_set(args: argparse.Namespace) -> int:
    check_profile_name(args.profile)
    provider = _writable(args.store)
    key = _read_key()
    if not key.strip():
        raise CredentialError(
            "no key was given: type it at the prompt, or pipe it on stdin "
            f"(`op read ... | alphacast auth set {args.profile} --store {provider.name}`); "
            "nothing was stored",
            provider="auth",
            profile=args.profile,
        )
    where = provider.store(args.profile, key)
    return _report(args, {"profile": args.profile, "store": provider.name, "stored": where})


def cmd_delete(args: argparse.Namespace) -> int:
    check_profile_name(args.profile)
    provider = _writable(args.store)
    deleted = provider.delete(args.profile)
    _report(args, {"profile": args.profile, "store": provider.name, "deleted": deleted})
    return 0 if deleted else 1


def _report(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print_json(result)
    elif "stored" in result:
        print(f"stored the key for profile {result['profile']!r} in {result['stored']}")
    elif result["deleted"]:
        print(f"deleted the key for profile {result['profile']!r} from {result['store']}")
    else:
        print(f"no key for profile {result['profile']!r} in {result['store']}")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from alphacast._client import Alphacast

    with Alphacast(profile=args.profile) as client:
        credential = client.credential
        result: dict[str, Any] = {
            "profile": credential.profile,
            "provider": credential.provider,
            "source": credential.source,
            "fingerprint": credential.fingerprint,
            "api_url": client.api_url,
        }
        try:
            repositories = client.repository.read_all()
        except APIError as exc:
            result.update(ok=False, status_code=exc.status_code, error=str(exc))
        else:
            result.update(ok=True, status_code=200, repositories=len(repositories))
    if args.json:
        print_json(result)
    elif result["ok"]:
        count = result["repositories"]
        print(
            f"OK: the key from {result['provider']} ({result['source']}, "
            f"{result['fingerprint']}) works; {count} "
            f"{'repository' if count == 1 else 'repositories'} readable"
        )
    else:
        print(f"FAILED: {result['error']}", file=sys.stderr)
    return 0 if result["ok"] else 1
