"""``python -m alphacast``: the command line."""

import sys

from alphacast.cli import main

sys.exit(main())
