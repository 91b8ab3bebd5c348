"""Commands that make no request load no HTTP stack: ``--help`` and the parser of every
command import neither requests nor urllib3 (the data commands load them when run)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("requests", "urllib3", "pandas", "pyarrow")

PROBE = """
import contextlib, io, sys
from alphacast.cli._main import build_parser, run
build_parser()
with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
    run(sys.argv[1:])
print(",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def _loaded(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""


def test_help_loads_no_http_stack():
    assert _loaded("--help") == ""


def test_the_datasets_help_loads_no_http_stack():
    assert _loaded("datasets", "upload", "--help") == ""
