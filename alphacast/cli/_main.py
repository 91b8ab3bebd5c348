"""The ``alphacast`` command: parser and dispatch.

Every command that prints something takes ``--json`` for scripts. No command
ever prints a key, and none takes one on the command line (argv is visible to
every user of the machine through ``ps``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Collection
from typing import Any

from alphacast._argparse import (
    KeySafeArgumentParser,
    mask_user_words,
    parse_args_safely,
    user_words,
)
from alphacast._version import __version__
from alphacast.cli._options import (
    OnlyNamed,
    add_debug,
    add_json,
    add_profile,
    leaves,
    profile_name,
)
from alphacast.cli._output import CommandError, describe_os_error, print_json
from alphacast.cli._profiles import check_named_profile, explain_failure
from alphacast.errors import AlphacastError, ConnectionFailedError, CredentialError

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
    p.set_defaults(handler=_emulator)

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


def _emulator(args: argparse.Namespace) -> int:
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


def _log_to_stderr() -> None:
    """``--debug``: every log record at DEBUG on stderr, masked by the handler itself
    too, so a record from any library is as clean as the SDK's own."""
    import logging

    from alphacast.redact import RedactingFilter, install_log_filters

    install_log_filters()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)


#: Exit status when the reader of stdout goes away: 128 + SIGPIPE (13), what a shell
#: reports for ``cat`` or ``git`` killed by SIGPIPE in the same pipeline.
EXIT_BROKEN_PIPE = 141


def run(argv: list[str]) -> int:
    try:
        try:
            return _dispatch(argv)
        finally:
            # Flush inside the try, not at interpreter exit, where a closed pipe
            # would surface as "Exception ignored ... BrokenPipeError". Covers
            # --help and --version too, which leave by SystemExit.
            sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`alphacast auth list | head -1`): not worth a
        # traceback. The Python docs' recipe (signal module, "Note on SIGPIPE"):
        # point stdout at devnull so the flush at exit cannot fail again, and exit.
        # Python ignores SIGPIPE, and restoring SIG_DFL instead would let a closed
        # API socket kill the process. The status is 141, what a shell shows for a
        # tool killed by SIGPIPE, rather than the recipe's 1, so `set -o pipefail`
        # scripts see the value they already expect from `cat` or `grep`.
        # (The transport reports a broken API socket as ConnectionFailedError, so a
        # BrokenPipeError that reaches this point comes from our own output.)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return EXIT_BROKEN_PIPE


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """A warning as one line, ``alphacast: warning: ...``, without a Python file path."""
    text = " ".join(str(message).split())
    print(f"alphacast: warning: {mask_user_words(text)}", file=sys.stderr)


def _warn_about_unknown_plugin_names() -> None:
    from importlib import metadata

    from alphacast import plugins
    from alphacast.config import split_names

    named = split_names(os.environ.get("ALPHACAST_DISABLE_PLUGINS", ""))
    if not named:
        return
    found = plugins.registry()
    known = {ep.name for ep in metadata.entry_points(group=plugins.ENTRY_POINT_GROUP)}
    known |= {info.name for info in found.plugins} | set(found.providers)
    for name in named:
        if name not in known:
            import difflib

            near = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            print(
                f"alphacast: warning: ALPHACAST_DISABLE_PLUGINS names {name!r}, which is "
                f"no installed plugin nor provider{hint}",
                file=sys.stderr,
            )


def _dispatch(argv: list[str]) -> int:
    if argv[:1] == ["emulator"]:
        # The emulator parses its own options, --help included.
        return _emulator(argparse.Namespace(args=argv[1:]))
    import warnings

    warnings.showwarning = _show_warning
    if "_ARGCOMPLETE" in os.environ:  # the shell asks for completions (see `completion`)
        from alphacast.cli._completion import complete

        complete(build_parser())
    with user_words(argv):
        args = parse_args_safely(build_parser(only=set(argv)), argv)
        if args.debug:
            _log_to_stderr()
        handler: Handler = args.handler
        _warn_about_unknown_plugin_names()
        try:
            if args.profile and not getattr(args, "creates_profile", False):
                check_named_profile(args.profile)
            return handler(args)
        except CredentialError as exc:
            return _fail(str(explain_failure(exc)))
        except ConnectionFailedError as exc:
            return _fail(f"{exc}\n{_where_url_came_from(args)}")
        except (AlphacastError, CommandError) as exc:
            # Messages are written key-free; masking again costs nothing here, and
            # catches a value of the command line that the API echoed back.
            return _fail(str(exc))
        except BrokenPipeError:
            raise
        except OSError as exc:
            # A local file the command reads or writes (or a setting naming one):
            # one line, not a traceback.
            return _fail(describe_os_error(exc))
        except KeyboardInterrupt:
            return 130


def _where_url_came_from(args: argparse.Namespace) -> str:
    from alphacast.cli._settings import url_settings
    from alphacast.config import select_profile

    api_url, _ = url_settings(select_profile(args.profile)[0])
    return (
        f"api_url {api_url.value} is from {api_url.origin()}: is the service (or the "
        "emulator) running there? (`alphacast config list` shows every setting's source)"
    )


def _fail(message: str) -> int:
    print(f"alphacast: error: {mask_user_words(message)}", file=sys.stderr)
    return 1
