"""``alphacast auth ...``: list, which, set, delete, test."""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Any

from alphacast import plugins
from alphacast._credentials import Credential, WritableCredentialProvider
from alphacast.chain import CredentialChain
from alphacast.cli._output import masked, print_json
from alphacast.config import select_profile
from alphacast.errors import APIError, CredentialError, UnexpectedResponseError
from alphacast.secrets import check_profile_name


def cmd_list(args: argparse.Namespace) -> int:
    profile, explicit = select_profile(args.profile)
    attempts = CredentialChain.for_profile(profile).inspect(
        profile, explicit=explicit, until_decided=True
    )
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
    print(masked(f"profile: {profile}"))
    for row in rows:
        mark = "*" if row["selected"] else " "
        fingerprint = row["fingerprint"] or ""
        line = f"{mark} {row['provider']:<16} {row['status']:<9} {fingerprint:<7} {row['detail']}"
        print(masked(line))
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
            masked(
                f"profile {result['profile']!r}: provider {result['provider']} "
                f"({result['source']}), fingerprint {result['fingerprint']}"
            )
        )
    return 0


def writable_store(name: str) -> WritableCredentialProvider:
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


def read_key() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        import getpass

        return getpass.getpass("Alphacast API key (input hidden): ")
    data = sys.stdin.read() if sys.stdin is not None else ""
    # A single trailing newline is how `echo` and most tools end a line.
    return data.removesuffix("\n").removesuffix("\r")


def cmd_set(args: argparse.Namespace) -> int:
    check_profile_name(args.profile)
    provider = writable_store(args.store)
    key = read_key()
    if not key.strip():
        raise CredentialError(
            "no key was given: type it at the prompt, or pipe it on stdin "
            f"(`op read ... | alphacast auth set {args.profile} --store {provider.name}`); "
            "nothing was stored",
            provider="auth",
            profile=args.profile,
        )
    if args.check:
        from alphacast.cli._login import check_against_api
        from alphacast.cli._settings import url_settings

        key = Credential(key, provider="auth", source="the key given", profile=args.profile).api_key
        check_against_api(key, args.profile, *url_settings(args.profile))
    result = store_and_report(provider, args.profile, key, quiet=args.json)
    return _report(args, result)


def store_and_report(
    provider: WritableCredentialProvider, profile: str, key: str, *, quiet: bool
) -> dict[str, Any]:
    """Store ``key``; warn (on stderr) about a provider that would shadow it, and say
    which key it replaced. The result of ``auth set --json``."""
    try:
        old = provider.resolve(profile)
    except CredentialError:
        old = None
    where = provider.store(profile, key)
    new = Credential(key, provider=provider.name, source=where, profile=profile)
    result: dict[str, Any] = {
        "profile": profile,
        "store": provider.name,
        "stored": where,
        "fingerprint": new.fingerprint,
        "replaced": old.fingerprint if old is not None else None,
    }
    if old is not None and not quiet:
        print(
            f"replaced the key of profile {profile!r} in {provider.name}: "
            f"fingerprint {old.fingerprint} -> {new.fingerprint}",
            file=sys.stderr,
        )
    for warning in shadowing(provider, profile):
        print(f"alphacast: warning: {warning}", file=sys.stderr)
    return result


def shadowing(provider: WritableCredentialProvider, profile: str) -> list[str]:
    """Why the key just stored in ``provider`` would not be the one used for ``profile``."""
    from alphacast.chain import resolve_with
    from alphacast.config import select_profile

    implicit, _ = select_profile(None)
    chain = CredentialChain.for_profile(profile)
    names = [p.name for p in chain.providers]
    if provider.name not in names:
        return [
            f"{provider.name} is not in the credential chain of profile {profile!r} "
            f"({', '.join(names)}), so the key stored there is not used; add it to "
            "ALPHACAST_CREDENTIAL_CHAIN or to credential_chain in the config file"
        ]
    found = []
    for earlier in chain.providers[: names.index(provider.name)]:
        if earlier.ambient and profile != implicit:
            continue  # serves only the implicit profile, which this is not
        try:
            credential = resolve_with(earlier, profile)
        except CredentialError as exc:
            found.append(
                f"{earlier.name} comes before {provider.name} in the chain and fails for "
                f"profile {profile!r}, so the stored key is not reached: "
                f"{str(exc).splitlines()[0]}"
            )
            continue
        if credential is not None:
            found.append(
                f"{earlier.name} ({credential.source}, fingerprint {credential.fingerprint}) "
                f"comes before {provider.name} in the chain and has a key for profile "
                f"{profile!r}: that key is used, not the one just stored; "
                f"{_fix(earlier.name, profile)}"
            )
    return found


def _fix(name: str, profile: str) -> str:
    if name == "env":
        return "unset ALPHACAST_API_KEY and ALPHACAST_API_KEY_FILE"
    store = plugins.registry().providers.get(name)
    if isinstance(store, WritableCredentialProvider):
        return f"delete it with `alphacast auth delete {profile} --store {name}`"
    return (
        f"remove it from {name}, or order the chain (ALPHACAST_CREDENTIAL_CHAIN, or "
        "credential_chain in the config file)"
    )


def cmd_delete(args: argparse.Namespace) -> int:
    check_profile_name(args.profile)
    provider = writable_store(args.store)
    deleted = provider.delete(args.profile)
    _report(args, {"profile": args.profile, "store": provider.name, "deleted": deleted})
    return 0 if deleted else 1


def _report(args: argparse.Namespace, result: dict[str, Any]) -> int:
    if args.json:
        print_json(result)
    elif "stored" in result:
        print(masked(f"stored the key for profile {result['profile']!r} in {result['stored']}"))
    elif result["deleted"]:
        print(masked(f"deleted the key for profile {result['profile']!r} from {result['store']}"))
    else:
        print(masked(f"no key for profile {result['profile']!r} in {result['store']}"))
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
        except (APIError, UnexpectedResponseError) as exc:
            result.update(ok=False, status_code=exc.status_code, error=str(exc))
        else:
            result.update(ok=True, status_code=200, repositories=len(repositories))
    if args.json:
        print_json(result)
    elif result["ok"]:
        count = result["repositories"]
        print(
            masked(
                f"OK: the key from {result['provider']} ({result['source']}, "
                f"{result['fingerprint']}) works; {count} "
                f"{'repository' if count == 1 else 'repositories'} readable"
            )
        )
    else:
        print(f"FAILED: {masked(result['error'])}", file=sys.stderr)
    return 0 if result["ok"] else 1
