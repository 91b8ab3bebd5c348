"""An argument parser whose error messages cannot repeat a key.

argparse echoes what it could not use: ``alphacast auth set prod ak_...`` (the key
pasted where it does not belong) would print ``unrecognized arguments: ak_...`` to
stderr, into a terminal's scrollback or a CI log. Here stray words that are not
options are counted, not shown, and every message goes through the redaction
applied to all other output.
"""

from __future__ import annotations

import argparse
from typing import NoReturn

from alphacast.redact import redact_text

_UNRECOGNIZED = "unrecognized arguments: "


class KeySafeArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with key-safe error messages (subparsers inherit it)."""

    def error(self, message: str) -> NoReturn:
        if message.startswith(_UNRECOGNIZED):
            message = _describe_unrecognized(message.removeprefix(_UNRECOGNIZED).split())
        super().error(redact_text(message))


def _describe_unrecognized(words: list[str]) -> str:
    """Name the stray options (a typo such as ``--jsno`` is worth seeing); count the rest."""
    options = [word for word in words if word.startswith("-") and "=" not in word]
    hidden = len(words) - len(options)
    parts = [f"unrecognized arguments: {' '.join(options)}"] if options else []
    if hidden:
        noun = "argument" if hidden == 1 else "arguments"
        parts.append(
            f"{hidden} unexpected {noun} not shown (it could be a key). A key never goes "
            "on the command line, where other users can see it: `alphacast auth set "
            "PROFILE` asks for it, or reads it from stdin"
        )
    return "; ".join(parts)
