"""Options many commands share: ``--profile``, ``--json``, ``--debug``.

They are global: the top-level parser has them (with their defaults) and each
command's parser has them again with ``argparse.SUPPRESS`` as the default, so a
value given before or after the subcommand is kept and an absent one does not
overwrite it.
"""

from __future__ import annotations

import argparse
from typing import Any

from alphacast.redact import looks_like_key


def profile_name(text: str) -> str:
    """A profile name, refused (unshown) when it looks like a key: it would be echoed
    in the command's output and messages."""
    if looks_like_key(text):
        raise argparse.ArgumentTypeError(
            "the profile name looks like an API key (not shown); a profile is a name such "
            "as 'prod', and a key never goes on the command line"
        )
    return text


def add_profile(parser: argparse.ArgumentParser, *, default: Any = argparse.SUPPRESS) -> None:
    # A subcommand's copy leaves the value alone when not given (SUPPRESS), so
    # `alphacast --profile prod auth which` and `alphacast auth which --profile prod`
    # mean the same.
    parser.add_argument(
        "--profile",
        type=profile_name,
        default=default,
        help="profile to use (default: ALPHACAST_PROFILE, else 'default')",
    )


def add_json(parser: argparse.ArgumentParser, *, default: Any = argparse.SUPPRESS) -> None:
    parser.add_argument(
        "--json", action="store_true", default=default, help="print JSON for scripts"
    )


def add_debug(parser: argparse.ArgumentParser, *, default: Any = argparse.SUPPRESS) -> None:
    parser.add_argument(
        "--debug",
        action="store_true",
        default=default,
        help="log what happens (providers asked, requests, retries) to stderr; keys masked",
    )


def leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of the commands that run something (not of command groups)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return [leaf for child in action.choices.values() for leaf in leaves(child)]
    return [parser]
