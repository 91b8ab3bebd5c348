"""The emulator's command line: ``python -m alphacast.emulator`` or
``alphacast emulator``. It runs until SIGINT or SIGTERM, then stops cleanly.

Keys given with ``--account`` or ``--accounts-file`` are never printed or logged;
only account names are. ``--accounts-file`` keeps them out of argv too, where other
users of the machine can read them (``ps``).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from alphacast._argparse import KeySafeArgumentParser, parse_args_safely
from alphacast.emulator._emulator import Emulator


def _account(text: str) -> tuple[str, str]:
    name, sep, key = text.partition("=")
    if not sep or not name.strip() or not key.strip():
        raise argparse.ArgumentTypeError("expected NAME=KEY")
    return name.strip(), key.strip()


def _accounts_file(text: str) -> list[tuple[str, str]]:
    """``NAME=KEY`` lines of the file ``text``; blank lines and ``#`` comments skipped.
    Errors name the line, never its content."""
    try:
        # utf-8-sig: a byte-order mark an editor put first is not part of a name.
        lines = Path(text).read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError:
        raise argparse.ArgumentTypeError(f"cannot read {text}: not UTF-8 text") from None
    except OSError as exc:
        raise argparse.ArgumentTypeError(f"cannot read {text}: {exc.strerror}") from None
    accounts = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            accounts.append(_account(line))
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(f"{text}, line {number}: expected NAME=KEY") from None
    return accounts


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to generate the documentation)."""
    parser = KeySafeArgumentParser(
        prog="alphacast emulator",
        description="Run a local Alphacast-compatible API emulator until SIGINT or SIGTERM.",
    )
    parser.add_argument(
        "--account",
        action="append",
        type=_account,
        default=[],
        metavar="NAME=KEY",
        help="an account and its API key (repeat for more accounts)",
    )
    parser.add_argument(
        "--accounts-file",
        action="append",
        type=_accounts_file,
        default=[],
        metavar="PATH",
        help="a file of NAME=KEY lines: accounts whose keys stay out of argv (repeatable)",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="API host port (default: a free port)")
    parser.add_argument(
        "--workspace-port",
        type=int,
        default=0,
        help="workspace host (search) port (default: a free port)",
    )
    parser.add_argument(
        "--db", metavar="PATH", help="SQLite file to keep the data in (default: a temporary file)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the addresses as one JSON object on the first line",
    )
    parser.add_argument(
        "--tls", action="store_true", help="serve HTTPS with a throwaway CA (its file is printed)"
    )
    parser.add_argument(
        "--fail-rate",
        type=_rate,
        default=0.0,
        metavar="SHARE",
        help="share of requests (0..1) answered with --fail-status",
    )
    parser.add_argument(
        "--fail-status",
        type=int,
        default=503,
        metavar="STATUS",
        help="status of injected failures (default: %(default)s; 429 carries Retry-After)",
    )
    parser.add_argument(
        "--reset-rate",
        type=_rate,
        default=0.0,
        metavar="SHARE",
        help="share of requests (0..1) whose connection is reset unanswered",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="seconds added to every request",
    )
    parser.add_argument("--seed", type=int, help="seed for the injected faults")
    parser.add_argument(
        "--no-chunked-uploads",
        dest="chunked_uploads",
        action="store_false",
        help="answer a chunked request body with 411 Length Required, as a server that "
        "wants a Content-Length does",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the emulator; the exit status (0 after SIGINT or SIGTERM)."""
    parser = build_parser()
    try:
        args = parse_args_safely(parser, sys.argv[1:] if argv is None else argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    accounts = [*args.account, *(pair for file in args.accounts_file for pair in file)]
    if not accounts:
        parser.print_usage(sys.stderr)
        print(
            "alphacast emulator: error: give at least one --account NAME=KEY or an --accounts-file",
            file=sys.stderr,
        )
        return 2
    names = [name for name, _ in accounts]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        print(
            f"alphacast emulator: error: account names given twice: {', '.join(twice)}",
            file=sys.stderr,
        )
        return 2
    try:
        emulator = Emulator(
            accounts=dict(accounts),
            host=args.host,
            port=args.port,
            workspace_port=args.workspace_port,
            db=args.db,
            tls=args.tls,
            fail_rate=args.fail_rate,
            fail_status=args.fail_status,
            reset_rate=args.reset_rate,
            latency=args.latency,
            seed=args.seed,
            chunked_uploads=args.chunked_uploads,
        )
    except ValueError as exc:
        print(f"alphacast emulator: error: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            emulator.start()
        except ValueError as exc:  # --db names something that cannot hold the data
            print(f"alphacast emulator: error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"alphacast emulator: error: cannot listen: {exc}", file=sys.stderr)
            return 1
        try:
            _announce(emulator, args.json, args.db)
            stop.wait()
        finally:
            emulator.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _announce(emulator: Emulator, as_json: bool, db: str | None) -> None:
    info: dict[str, object] = {
        "api_url": emulator.api_url,
        "workspace_url": emulator.workspace_url,
        "accounts": emulator.accounts,
        "db": db,
    }
    if emulator.ca_file is not None:
        info["ca_file"] = str(emulator.ca_file)
    if as_json:
        print(json.dumps(info), flush=True)
        return
    print(f"Alphacast emulator API host:       {info['api_url']}")
    print(f"Alphacast emulator workspace host: {info['workspace_url']}")
    if "ca_file" in info:
        print(f"CA certificate: {info['ca_file']}")
    print(f"Accounts: {', '.join(emulator.accounts)}")
    print("Press Ctrl+C to stop.", flush=True)
