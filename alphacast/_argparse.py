"""An argument parser whose error messages cannot repeat a key.

argparse echoes what it could not use: ``alphacast auth set prod ak_...`` (the key
pasted where it does not belong) would print ``unrecognized arguments: ak_...`` to
stderr, into a terminal's scrollback or a CI log; ``alphacast <key>`` would print
``invalid choice: '<key>'``. Here stray words that are not options are counted, not
shown; any other word of the command line long enough to be a key (and not a path),
or shaped like one (:func:`alphacast.redact.looks_like_key`), is masked in the
message, unless it is one of the parser's own option names or choices; and every
message goes through the redaction applied to all other output. Words under 12
characters are shown: they are mistyped commands, not keys.

It lives below both command lines (the SDK's and the emulator's), which share it.
argparse has no hook for this (its messages are built from the values in many
places), so the masking is hand-written over the final message.
"""

from __future__ import annotations

import argparse
import difflib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NoReturn

from alphacast.redact import REDACTED, looks_like_key, redact_text

_UNRECOGNIZED = "unrecognized arguments: "
_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<word>[^']*)'")

#: Words at least this long may be keys; shorter ones (a mistyped command) are shown.
_MASKED_FROM = 12

#: Where a value may be cut out of a word: ``--opt=value``, ``dir/value``, ``a,value``.
_SEPARATORS = re.compile(r"[=/,:;@]")

_argv: ContextVar[tuple[str, ...]] = ContextVar("alphacast_cli_argv", default=())


@contextmanager
def user_words(argv: Sequence[str]) -> Iterator[None]:
    """Within the block, :func:`mask_user_words` and a :class:`KeySafeArgumentParser`'s
    error messages know the words of the command line."""
    token = _argv.set(tuple(argv))
    try:
        yield
    finally:
        _argv.reset(token)


def parse_args_safely(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, telling a :class:`KeySafeArgumentParser`'s error
    messages which words are the user's."""
    with user_words(argv):
        return parser.parse_args(argv)


def mask_user_words(text: str) -> str:
    """``text`` with every key-shaped piece of the command line's words masked, and
    the redaction of all other output applied: for any message that may quote what
    the user typed (a path, a profile, a value the API echoes back)."""
    masked = {
        part
        for word in _argv.get()
        for part in _parts_of(word) | _segments_of(word)
        if looks_like_key(part)
    }
    return redact_text(_replace(text, masked))


class KeySafeArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with key-safe error messages (subparsers inherit it).

    Parse with :func:`parse_args_safely`, so an error message can tell the user's
    words from the parser's own.
    """

    def error(self, message: str) -> NoReturn:
        message = self._suggest(message)
        if message.startswith(_UNRECOGNIZED):
            message = _describe_unrecognized(
                message.removeprefix(_UNRECOGNIZED).split(),
                # The emulator's own keys do go on its command line (--account).
                advise=not self.prog.startswith("alphacast emulator"),
            )
        super().error(mask_user_words(self._mask_long_words(message)))

    def _suggest(self, message: str) -> str:
        """``invalid choice: 'atuh'`` gains ``(did you mean 'auth'?)``."""
        found = _INVALID_CHOICE.search(message)
        if found is None:
            return message
        choices = {str(c) for a in self._actions if a.choices is not None for c in a.choices}
        near = difflib.get_close_matches(found["word"], sorted(choices), n=1)
        return f"{message} (did you mean {near[0]!r}?)" if near else message

    def _mask_long_words(self, message: str) -> str:
        own = {word for action in self._actions for word in _names_of(action)}
        masked = {
            part
            for word in _argv.get()
            for part in _parts_of(word)
            if _could_be_a_key(part) and part not in own
        }
        return _replace(message, masked)


def _replace(message: str, words: set[str]) -> str:
    # Longest first: a masked suffix would hide the whole value from the match.
    for word in sorted(words, key=len, reverse=True):
        # argparse shows some values with repr(): mask that spelling too.
        for spelling in (word, repr(word)[1:-1]):
            if spelling:
                message = message.replace(spelling, REDACTED)
    return message


def _could_be_a_key(word: str) -> bool:
    """Long enough to be a key and not a path (paths are worth seeing in an error
    about a file), or shaped like a key whatever its length."""
    return (len(word) >= _MASKED_FROM and "/" not in word) or looks_like_key(word)


def _parts_of(word: str) -> set[str]:
    """The spellings of a value argparse may show from ``word``: the word, the value
    of ``--option=value``, ``--value`` as an option, ``-xvalue`` (a short option
    with its value attached, or a run of short flags)."""
    parts = {word, word.partition("=")[2], word.lstrip("-")}
    if word.startswith("-") and not word.startswith("--"):
        parts.update(word[i:] for i in range(2, len(word)))
    return parts - {""}


def _segments_of(word: str) -> set[str]:
    """The pieces of ``word`` between separators: a key may be one segment of a path
    (``-o dir/<key>.csv``) or of a ``COLUMN=VALUE`` pair."""
    segments = set()
    for piece in _SEPARATORS.split(word.lstrip("-")):
        segments.add(piece)
        segments.add(piece.rsplit(".", 1)[0])
    return segments - {""}


def _names_of(action: argparse.Action) -> set[str]:
    names = {option.lstrip("-") for option in action.option_strings}
    names.update(action.option_strings)
    if action.choices is not None:
        names.update(str(choice) for choice in action.choices)
    return names


def _describe_unrecognized(words: list[str], *, advise: bool) -> str:
    """Name the stray options (a typo such as ``--jsno`` is worth seeing); count the rest."""
    options = [word for word in words if word.startswith("-") and "=" not in word]
    hidden = len(words) - len(options)
    parts = [f"unrecognized arguments: {' '.join(options)}"] if options else []
    if hidden:
        noun = "argument" if hidden == 1 else "arguments"
        parts.append(f"{hidden} unexpected {noun} not shown (it could be a key)")
        if advise:
            parts[-1] += (
                ". A key never goes on the command line, where other users can see it: "
                "`alphacast auth set PROFILE` asks for it, or reads it from stdin"
            )
    return "; ".join(parts)
