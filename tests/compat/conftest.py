"""The published alphacast 0.1.9, unpacked where a subprocess can import it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

#: A directory holding the ``alphacast`` package of 0.1.9 (for offline runs);
#: otherwise the wheel is downloaded from PyPI once per session.
SITE_ENV = "ALPHACAST_019_SITE"


@pytest.fixture(scope="session")
def site_0_1_9(tmp_path_factory: pytest.TempPathFactory) -> Path:
    given = os.environ.get(SITE_ENV)
    if given:
        return Path(given)
    target = tmp_path_factory.mktemp("alphacast-0.1.9")
    # 0.1.9 is pure Python; its dependencies (requests, pandas) come from this venv.
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "alphacast==0.1.9", "--no-deps",
         "--only-binary=:all:", "-d", str(target), "-q", "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=180,
    )
    wheels = list(target.glob("alphacast-0.1.9-*.whl"))
    if result.returncode or not wheels:
        message = f"pip download alphacast==0.1.9 failed: {result.stderr[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    site = target / "site"
    with zipfile.ZipFile(wheels[0]) as wheel:
        wheel.extractall(site)
    return site
