"""``alphacast keys scan`` and ``keys migrate``: find keys held in scripts, notebooks and
``.env`` files, and move them into a store. Keys are shown by fingerprint only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphacast.cli._options import add_json, add_profile
from alphacast.cli._output import CommandError, print_json
from alphacast.redact import redact_text, remember_key
from alphacast.secrets import display_path, interactive

if TYPE_CHECKING:  # the scanner is imported when a command runs, not for --help
    from alphacast._keyscan import Finding, Scanner

ROTATE = (
    "a key in a commit stays in every clone of the repository: rotate it (create a new "
    "key in Alphacast, store it with `alphacast auth set`, then delete the old one)"
)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "keys", help="find keys held in scripts, notebooks and .env files, and move them"
    )
    commands = parser.add_subparsers(
        dest="keys_command", required=True, metavar="COMMAND", help="what to do"
    )
    p = commands.add_parser(
        "scan",
        help="find keys in .py files, notebooks, .env and key files (exit 1 if any)",
        description=(
            "Find Alphacast keys in .py files, Jupyter notebooks (code, text and saved "
            "outputs), .env files and small text files, recursively, skipping virtualenvs, "
            ".git and binary files. Each finding shows the key's fingerprint, never the "
            "key. Exit status 1 when a key is found, 0 when none is."
        ),
    )
    p.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: .)"
    )
    p.add_argument(
        "--git",
        action="store_true",
        help="also scan the history of the git repository holding each folder",
    )
    add_json(p)
    p.set_defaults(handler=cmd_scan)

    p = commands.add_parser(
        "migrate",
        help="store each key found once, then rewrite the files to use a profile",
        description=(
            "Store each distinct key found under PATH once (--profile names the first; "
            "the others are named from the scripts), then rewrite the files: "
            'Alphacast("ak_...") becomes Alphacast(profile="NAME"), assignments that '
            "only feed it are removed, notebook outputs holding a key are cleared and "
            ".env entries removed. Without --yes, a dry run printing the diff with keys "
            "masked. Changed files are backed up under ~/.alphacast/backups/ first."
        ),
    )
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    add_profile(p)
    p.add_argument("--store", required=True, help="writable provider, e.g. shared-file")
    p.add_argument(
        "--yes", action="store_true", help="store the keys and rewrite (default: dry run)"
    )
    add_json(p)
    p.set_defaults(handler=cmd_migrate, creates_profile=True)


def _scanner() -> Scanner:
    from alphacast._keyscan import Scanner, allowed_patterns

    return Scanner(allowed_patterns())


def _line(finding: Finding) -> str:
    return redact_text(f"{finding.where()}: {finding.kind}, key {finding.fingerprint}")


def cmd_scan(args: argparse.Namespace) -> int:
    from alphacast._keyscan import ScanError

    paths = args.paths or [Path()]
    for path in paths:
        if not path.exists():
            raise CommandError(f"cannot scan {path}: no such file or folder")
    scanner = _scanner()
    findings = list(scanner.scan(paths))
    history: list[Finding] = []
    if args.git:
        for top in dict.fromkeys(p if p.is_dir() else p.parent for p in paths):
            try:
                history.extend(scanner.scan_git(top))
            except ScanError as exc:
                raise CommandError(str(exc)) from None
    if args.json:
        # A commit id is 40 hex digits, shaped like a token, and never a key.
        print_json([f.as_dict() for f in [*findings, *history]], indent=2, verbatim={"commit"})
    else:
        for finding in findings:
            print(_line(finding))
        for finding in history:
            print(_line(finding))
    if findings and not args.json:
        files = len({f.path for f in findings})
        keys = len({f.key for f in findings})
        print(
            f"{len(findings)} {_plural(len(findings), 'place')} in {files} "
            f"{_plural(files, 'file')} hold {keys} {_plural(keys, 'key')}: move them into a "
            "store with `alphacast keys migrate PATH --profile NAME --store STORE`",
            file=sys.stderr,
        )
    if history and not args.json:
        commits = len({f.commit for f in history})
        print(
            f"{len(history)} {_plural(len(history), 'key')} in {commits} "
            f"{_plural(commits, 'commit')} of the git history: {ROTATE}",
            file=sys.stderr,
        )
    return 1 if findings or history else 0


def _plural(count: int, word: str) -> str:
    return word if count == 1 else f"{word}s"


def cmd_migrate(args: argparse.Namespace) -> int:
    from alphacast import _keymigrate as migrate
    from alphacast.cli._auth import store_and_report, writable_store

    missing = migrate.missing_libraries()
    if missing:
        raise CommandError(
            f"keys migrate needs {' and '.join(missing)}, which "
            f"{'is' if len(missing) == 1 else 'are'} not installed: {migrate.INSTALL_HINT}"
        )
    profile = getattr(args, "profile", None)
    if not profile:
        raise CommandError("keys migrate needs --profile NAME, the profile of the first key")
    for path in args.paths:
        if not path.exists():
            raise CommandError(f"cannot migrate {path}: no such file or folder")
    provider = writable_store(args.store)
    scanner = _scanner()
    findings = list(scanner.scan(args.paths))
    for finding in findings:
        remember_key(finding.key)
    ask = _ask if interactive() and not args.json else None
    try:
        profiles = migrate.name_profiles(findings, profile, ask)
        rewrites = migrate.plan(args.paths, profiles, scanner)
    except migrate.CannotRewrite as exc:
        raise CommandError(str(exc)) from None
    fingerprints = {f.key: f.fingerprint for f in findings}
    stores: list[dict[str, Any]] = []
    for key, name in profiles.items():
        stored = provider.resolve(name)
        if stored is not None and stored.api_key != key:
            raise CommandError(
                f"profile {name!r} already holds another key in {provider.name} "
                f"(fingerprint {stored.fingerprint}); choose another name with --profile, "
                "or delete it first; nothing was changed"
            )
        stores.append(
            {
                "profile": name,
                "fingerprint": fingerprints[key],
                "store": provider.name,
                "places": sum(f.key == key for f in findings),
                "already_stored": stored is not None,
            }
        )
    if args.yes:
        for key, row in zip(profiles, stores, strict=True):
            if not row["already_stored"]:
                store_and_report(provider, row["profile"], key, quiet=args.json)
        folder = migrate.backup_dir()
        for rewrite in rewrites:
            if rewrite.after is not None:
                try:
                    migrate.apply(rewrite, folder)
                except (migrate.CannotRewrite, OSError) as exc:
                    rewrite.problem, rewrite.after = _reason(exc), None
    return _report(args, stores, rewrites)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot be written: {exc.strerror or exc}"
    return str(exc)


def _ask(finding: Finding, suggestion: str) -> str:
    from alphacast.cli._options import profile_name

    question = f"profile for the key {finding.fingerprint} of {finding.where()} [{suggestion}]: "
    while True:
        print(question, end="", file=sys.stderr, flush=True)
        answer = sys.stdin.readline().strip()
        if not answer:
            return suggestion
        try:
            return profile_name(answer)
        except argparse.ArgumentTypeError as exc:
            print(f"alphacast: {exc}", file=sys.stderr)


def _report(args: argparse.Namespace, stores: list[dict[str, Any]], rewrites: list[Any]) -> int:
    changed = [r for r in rewrites if r.after is not None]
    untouched = [r for r in rewrites if r.after is None]
    if args.json:
        print_json(
            {
                "dry_run": not args.yes,
                "profiles": stores,
                "changed": [
                    {
                        "path": str(r.path),
                        "backup": display_path(r.backup) if r.backup else None,
                        **({} if args.yes else {"diff": _diff(r)}),
                    }
                    for r in changed
                ],
                "untouched": [{"path": str(r.path), "reason": r.problem} for r in untouched],
            },
            indent=2,
        )
        return 1 if untouched else 0
    if not args.yes:
        for rewrite in changed:
            sys.stdout.write(_diff(rewrite))
    verb = "stored" if args.yes else "would store"
    for row in stores:
        state = "already there" if row["already_stored"] else verb
        print(
            f"key {row['fingerprint']} ({row['places']} {_plural(row['places'], 'place')}): "
            f"profile {row['profile']!r} in {row['store']} ({state})"
        )
    for rewrite in changed:
        if args.yes:
            print(f"changed {rewrite.path} (backup: {display_path(rewrite.backup)})")
        else:
            print(f"would change {rewrite.path}")
    for rewrite in untouched:
        print(redact_text(f"left untouched {rewrite.path}: {rewrite.problem}"))
    if not args.yes:
        print("dry run: nothing was stored or changed; run again with --yes to do it")
    return 1 if untouched else 0


def _diff(rewrite: Any) -> str:
    """The unified diff of a rewrite, every key masked."""
    import difflib

    lines = difflib.unified_diff(
        rewrite.before.splitlines(keepends=True),
        (rewrite.after or "").splitlines(keepends=True),
        fromfile=str(rewrite.path),
        tofile=str(rewrite.path),
    )
    return "".join(redact_text(line if line.endswith("\n") else line + "\n") for line in lines)
