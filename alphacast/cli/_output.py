"""Printing for the command line: JSON for scripts."""

from __future__ import annotations

import json
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
