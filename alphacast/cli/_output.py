"""Printing for the command line: JSON for scripts, one-line file errors."""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def print_json(data: Any, *, indent: int | None = None) -> None:
    """Print ``data`` as JSON on stdout, with its text as written (``"…1234"``).

    ``ensure_ascii=False`` keeps a fingerprint's ellipsis readable instead of
    ``"\\u20261234"``. On a stdout whose encoding cannot hold a character (a legacy
    Windows code page, ``PYTHONIOENCODING=ascii``) the same value is printed with
    ``\\u`` escapes: still valid JSON, where the plain text would raise
    ``UnicodeEncodeError``.
    """
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
