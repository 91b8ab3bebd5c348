"""Run one corpus script unchanged, pointed at an emulator the 0.1.9 way.

``python run_script.py SCRIPT API_URL WORKSPACE_URL EXPECTED_PACKAGE_DIR``: set
``alphacast.alphacast.BASE_URL`` / ``WORKSPACE_URL`` (as scripts do to reach a
staging host), check which ``alphacast`` was imported, then run the script as
``__main__``.
"""

import runpy
import sys
from pathlib import Path

script, api_url, workspace_url, expected = sys.argv[1:5]

import alphacast.alphacast as module  # noqa: E402

origin = Path(module.__file__).resolve()
assert origin.is_relative_to(Path(expected).resolve()), f"imported {origin}, not from {expected}"
module.BASE_URL = api_url
module.WORKSPACE_URL = workspace_url
sys.argv = [script]
runpy.run_path(script, run_name="__main__")
