"""``python -m alphacast.emulator``: run the emulator until SIGINT or SIGTERM."""

from __future__ import annotations

import sys

from alphacast.emulator.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
