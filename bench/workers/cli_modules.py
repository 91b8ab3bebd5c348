"""Which heavy modules one ``alphacast`` command loaded by the time it ended.

Usage: ``cli_modules.py MODULE,MODULE,... ARG...`` runs the command line with
``ARG...`` in this process (its output discarded) and prints a JSON object:
``{"loaded": [...], "status": N}``, the listed modules found in ``sys.modules``.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def main() -> None:
    watched, argv = sys.argv[1].split(","), sys.argv[2:]
    from alphacast.cli import main as cli_main

    status: object = None
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            status = cli_main(argv)
        except SystemExit as exc:  # --help leaves through argparse's exit
            status = exc.code
    loaded = [name for name in watched if name in sys.modules]
    print(json.dumps({"loaded": loaded, "status": status}))


if __name__ == "__main__":
    main()
