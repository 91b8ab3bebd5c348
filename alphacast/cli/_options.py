"""Options many commands share: ``--profile``, ``--json``, ``--debug``.

They are global: the top-level parser has them (with their defaults) and each
command's parser has them again with ``argparse.SUPPRESS`` as the default, so a
value given before or after the subcommand is kept and an absent one does not
overwrite it.

:class:`OnlyNamed` lets a run build the parsers of the commands it names, not all.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Collection
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


class OnlyNamed:
    """A subparsers action that builds in full only the commands named in ``wanted``.

    Every other command gets its line of ``--help`` (all argparse needs to list it or
    to reject a misspelling of it); its options and subcommands are dropped unbuilt.
    A run builds the commands named anywhere in its argv: a superset of the one it
    parses, for the price of a parser or two, instead of all of them.
    """

    def __init__(self, sub: Any, wanted: Collection[str]) -> None:
        self._sub = sub
        self._wanted = wanted

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        parser = self._sub.add_parser(name, **kwargs)
        return parser if name in self._wanted else _Dropped()


class _Dropped:
    """The options of a command this run does not parse: every call is taken, nothing
    is built."""

    def __getattr__(self, name: str) -> Callable[..., _Dropped]:
        return lambda *args, **kwargs: self
