"""The ``alphacast`` command line."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from alphacast.cli._main import run

    return run(sys.argv[1:] if argv is None else argv)
