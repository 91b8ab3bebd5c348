"""The ``alphacast`` command: dispatch, errors and exit statuses (the parser is
:mod:`alphacast.cli._parser`).

Every command that prints something takes ``--json`` for scripts. No command
ever prints a key, and none takes one on the command line (argv is visible to
every user of the machine through ``ps``).
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from alphacast._argparse import (
    mask_user_words,
    parse_args_safely,
    user_words,
)
from alphacast.cli._output import CommandError, describe_os_error, masked
from alphacast.cli._parser import Handler, build_parser, run_emulator
from alphacast.cli._profiles import check_named_profile, explain_failure
from alphacast.errors import AlphacastError, ConnectionFailedError, CredentialError


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
        return run_emulator(argparse.Namespace(args=argv[1:]))
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
        try:
            _warn_about_unknown_plugin_names()
            if args.profile and not getattr(args, "creates_profile", False):
                check_named_profile(args.profile)
            return handler(args)
        except CredentialError as exc:
            return _fail(str(explain_failure(exc)))
        except ConnectionFailedError as exc:
            return _fail(f"{exc}\n{_where_url_came_from(args)}")
        except (AlphacastError, CommandError) as exc:
            # Messages are written key-free; masking again costs nothing here, and
            # catches a value of the command line that the API echoed back. Every
            # AlphacastError ends here as a message, never as a traceback.
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
    print(f"alphacast: error: {masked(mask_user_words(message))}", file=sys.stderr)
    return 1
