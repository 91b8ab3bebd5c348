"""Printing for the command line: JSON for scripts, one-line file errors."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Collection
from typing import Any

from alphacast.redact import REDACTED, looks_like_key, redact_text

#: A word as :func:`masked` sees it: a run without spaces, quotes, brackets or
#: separators, so ``[ak_x...]`` or ``'3f2a...'`` is tested without its punctuation.
_WORD = re.compile(r"[^\s'\"`\[\](){}<>,;:=]+")


def masked(value: object) -> str:
    """``value`` as the command line prints text it did not write (a name or a
    description from the server, a profile or a section from a file): known keys,
    ``ak_`` keys and every key-shaped word masked."""
    text = redact_text(str(value))
    return _WORD.sub(lambda m: REDACTED if looks_like_key(m.group()) else m.group(), text)


def masked_json(data: Any, verbatim: Collection[str] = ()) -> Any:
    """``data`` with :func:`masked` applied to every string in it, keys included, but
    for the values of the fields named in ``verbatim``."""
    if isinstance(data, str):
        return masked(data)
    if isinstance(data, dict):
        return {
            masked_json(k): v if k in verbatim else masked_json(v, verbatim)
            for k, v in data.items()
        }
    if isinstance(data, list | tuple):
        return [masked_json(item, verbatim) for item in data]
    return data


def print_json(data: Any, *, indent: int | None = None, verbatim: Collection[str] = ()) -> None:
    """Print ``data`` as JSON on stdout, with its text as written (``"…1234"``) and
    every string :func:`masked` (the command line never prints a key), but for the
    fields named in ``verbatim``: values the command made itself that only look like
    keys (a git commit id is 40 hex digits).

    ``ensure_ascii=False`` keeps a fingerprint's ellipsis readable instead of
    ``"\\u20261234"``. On a stdout whose encoding cannot hold a character (a legacy
    Windows code page, ``PYTHONIOENCODING=ascii``) the same value is printed with
    ``\\u`` escapes: still valid JSON, where the plain text would raise
    ``UnicodeEncodeError``.
    """
    data = masked_json(data, verbatim)
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    try:
        text.encode(sys.stdout.encoding or "utf-8")
    except UnicodeEncodeError:
        text = json.dumps(data, indent=indent)
    print(text)


class CommandError(Exception):
    """A mistake the command can name in one line (a local file it cannot read or
    write): printed as ``alphacast: error: ...``, exit status 1, no traceback."""


def describe_os_error(exc: OSError, doing: str = "cannot use") -> str:
    """``cannot write out.csv: Is a directory``: what failed, on which file, and why."""
    reason = exc.strerror or str(exc)
    if isinstance(exc, FileExistsError) and os.path.isfile(exc.filename):
        # mkdir of a folder on the way, where a regular file stands.
        reason = "it is a file, where a folder is needed"
    where = f" {exc.filename}" if exc.filename is not None else ""
    return f"{doing}{where}: {reason}"
