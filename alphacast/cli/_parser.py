"""The ``alphacast`` command line's parser: every command, its options and its handler.

Handlers of commands that load something heavy (requests for the data commands,
the plugin machinery for the auth commands) are imported when the command runs,
so that ``--help`` and a mistyped command pay for neither.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection
from typing import Any

from alphacast._argparse import KeySafeArgumentParser
from alphacast._version import __version__
from alphacast.cli._options import (
    OnlyNamed,
    add_debug,
    add_json,
    add_profile,
    leaves,
    profile_name,
)
from alphacast.cli._output import print_json

__all__ = ["Handler", "build_parser", "run_emulator"]

Handler = Callable[[argparse.Namespace], int]


def _filter(text: str) -> tuple[str, str]:
    column, sep, value = text.partition("=")
    if not sep or not column:
        raise argparse.ArgumentTypeError("expected COLUMN=VALUE")
    return column, value


def _later(module: str, name: str) -> Handler:
    """``alphacast.cli.<module>.<name>``, imported when the command runs: the data
    commands load requests, and the auth commands the plugin machinery, which
    ``--help`` should not pay for."""

    def handler(args: argparse.Namespace) -> int:
        from importlib import import_module

        command: Handler = getattr(import_module(f"alphacast.cli.{module}"), name)
        return command(args)

    return handler


def _add_progress(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when stderr is a terminal)",
    )


def _auth_parsers(sub: Any) -> None:
    parser = sub.add_parser("auth", help="inspect, store and test credentials")
    commands = parser.add_subparsers(
        dest="auth_command", required=True, metavar="COMMAND", help="what to do"
    )

    p = commands.add_parser("list", help="every provider in chain order with its status")
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=_later("_auth", "cmd_list"))

    from alphacast.cli import _login, _status

    _login.add_parser(commands)
    _status.add_parser(commands)

    p = commands.add_parser("which", help="the provider that supplies the key")
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=_later("_auth", "cmd_which"))

    p = commands.add_parser(
        "set", help="store a key (read from stdin, or a hidden prompt on a terminal)"
    )
    p.add_argument(
        "profile", type=profile_name, metavar="PROFILE", help="profile to store the key for"
    )
    p.add_argument("--store", required=True, help="writable provider, e.g. shared-file")
    p.add_argument(
        "--check", action="store_true", help="check the key against the API before storing it"
    )
    add_json(p)
    p.set_defaults(handler=_later("_auth", "cmd_set"), creates_profile=True)

    p = commands.add_parser("delete", help="delete a stored key")
    p.add_argument(
        "profile", type=profile_name, metavar="PROFILE", help="profile whose key to delete"
    )
    p.add_argument("--store", required=True, help="writable provider, e.g. shared-file")
    add_json(p)
    p.set_defaults(handler=_later("_auth", "cmd_delete"), creates_profile=True)

    p = commands.add_parser("test", help="call the API with the key and explain a 401 or 403")
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=_later("_auth", "cmd_test"))


def _data_parsers(sub: Any) -> None:
    parser = sub.add_parser("datasets", help="upload and download dataset data")
    commands = parser.add_subparsers(
        dest="datasets_command", required=True, metavar="COMMAND", help="what to do"
    )

    p = commands.add_parser("upload", help="upload a CSV file (gzip, streamed)")
    p.add_argument("dataset_id", type=int, metavar="DATASET_ID", help="dataset to upload to")
    p.add_argument("file", metavar="FILE", help="CSV file, or - for stdin")
    p.add_argument(
        "--delete-missing",
        action="store_true",
        help="delete stored rows whose date and entities the file lacks (deleteMissingFromDB)",
    )
    p.add_argument(
        "--update-on-conflict",
        action="store_true",
        help="overwrite stored values the file also has (onConflictUpdateDB)",
    )
    p.add_argument(
        "--accept-new-columns",
        action="store_true",
        help="add value columns the dataset does not have yet (acceptNewColumns)",
    )
    p.add_argument("--date-column", help="date column name (with --date-format)")
    p.add_argument("--date-format", help="date format, e.g. %%Y-%%m-%%d")
    p.add_argument("--entity", action="append", default=[], help="entity column (repeat)")
    p.add_argument(
        "--string-column", action="append", default=[], help="column of text, not numbers (repeat)"
    )
    p.add_argument(
        "--wait",
        action="store_true",
        help="follow the processing to its end; exit 1 with the server's reason when it fails",
    )
    add_profile(p)
    _add_progress(p)
    add_json(p)
    p.set_defaults(handler=_later("_data", "cmd_upload"))

    p = commands.add_parser("processes", help="a dataset's upload processes and their outcome")
    p.add_argument(
        "dataset_id", type=int, metavar="DATASET_ID", help="dataset whose uploads to list"
    )
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=_later("_processes", "cmd_processes"))

    p = commands.add_parser("download", help="download a dataset's data")
    p.add_argument("dataset_id", type=int, metavar="DATASET_ID", help="dataset to download")
    p.add_argument("-o", "--output", help="file to write (default: stdout)")
    p.add_argument(
        "--format",
        default="csv",
        choices=["csv", "tsv", "xlsx", "json"],
        help="format of the data (default: %(default)s)",
    )
    p.add_argument("--start", help="first date, YYYY-MM-DD")
    p.add_argument("--end", help="last date, YYYY-MM-DD")
    p.add_argument("--select", help="comma-separated columns to keep")
    p.add_argument(
        "--filter",
        action="append",
        type=_filter,
        default=[],
        metavar="COLUMN=VALUE",
        help="keep rows whose entity COLUMN is VALUE (repeat)",
    )
    add_profile(p)
    _add_progress(p)
    p.set_defaults(handler=_later("_data", "cmd_download"))

    p = sub.add_parser("search", help="search datasets")
    p.add_argument("query", metavar="QUERY", help="words to search for (quote several words)")
    p.add_argument(
        "--offset", type=int, default=0, help="first result to show, 0-based (default: %(default)s)"
    )
    p.add_argument(
        "--length", type=int, default=10, help="how many results to show (default: %(default)s)"
    )
    p.add_argument("--repository-id", type=int, help="search only this repository")
    p.add_argument("--all", action="store_true", help="include every public dataset")
    p.add_argument(
        "--exclude-deprecated", action="store_true", help="leave deprecated datasets out"
    )
    add_profile(p)
    add_json(p)
    p.set_defaults(handler=_later("_data", "cmd_search"))


def build_parser(only: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole command line; the docs' CLI page is generated from it.

    ``only``: build in full just the commands named in it (a run passes its argv);
    the others are listed by ``--help`` and have no options (see ``OnlyNamed``).
    """
    parser = KeySafeArgumentParser(
        prog="alphacast",
        description="Alphacast SDK command line: credentials, data, and a local emulator.",
    )
    parser.add_argument("--version", action="version", version=f"alphacast {__version__}")
    # Global options: accepted here and after the subcommand alike.
    add_debug(parser, default=False)
    add_profile(parser, default=None)
    add_json(parser, default=False)
    sub: Any = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do"
    )
    if only is not None:
        sub = OnlyNamed(sub, only)

    from alphacast.cli import _completion, _exec

    _exec.add_parser(sub)
    _completion.add_parser(sub)

    p = sub.add_parser("demo", help="the main workflow, offline, against the emulator")
    p.set_defaults(handler=_demo)

    p = sub.add_parser("emulator", help="run the local Alphacast API emulator", add_help=False)
    p.add_argument("args", nargs=argparse.REMAINDER, help="see `alphacast emulator --help`")
    p.set_defaults(handler=run_emulator)

    p = sub.add_parser("plugins", help="provider plugins, and those that failed to load")
    add_json(p)
    p.set_defaults(handler=_plugins)

    _auth_parsers(sub)
    _data_parsers(sub)
    from alphacast.cli import _config

    _config.add_parsers(sub)
    from alphacast.cli import _keys

    _keys.add_parser(sub)
    for leaf in leaves(parser):
        if leaf.add_help:  # `emulator` hands every word to its own parser
            add_debug(leaf)
    return parser


def _demo(args: argparse.Namespace) -> int:
    from alphacast.cli._demo import run_demo

    return run_demo()


def run_emulator(args: argparse.Namespace) -> int:
    from alphacast.emulator.cli import main as emulator_main

    status: int = emulator_main(list(args.args))
    return status


def _plugins(args: argparse.Namespace) -> int:
    from alphacast import plugins

    found = plugins.registry()
    rows: list[dict[str, Any]] = [
        {
            "plugin": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "providers": list(info.providers),
            "error": info.error,
        }
        for info in found.plugins
    ]
    if args.json:
        print_json(rows, indent=2)
        return 0
    for row in rows:
        origin = f"{row['distribution'] or 'in-process'} {row['version'] or ''}".strip()
        if row["error"]:
            print(f"{row['plugin']:<16} {origin:<28} FAILED: {row['error']}")
        else:
            print(f"{row['plugin']:<16} {origin:<28} providers: {', '.join(row['providers'])}")
    return 0
