"""Running the installed ``alphacast`` console script, as a user does."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path


def console_script() -> str:
    """The ``alphacast`` script installed beside the test interpreter."""
    found = shutil.which("alphacast", path=str(Path(sys.executable).parent))
    assert found, "the alphacast console script is not installed beside the interpreter"
    return found


def run_cli(
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    secrets: tuple[str, ...] = (),
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``alphacast ARGS`` with ``env`` added to this process's environment; no word of
    ``secrets`` may appear in what it prints."""
    result = subprocess.run(
        [console_script(), *args],
        input=stdin,
        capture_output=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
        timeout=120,
    )
    for secret in secrets:
        for stream in (result.stdout, result.stderr):
            assert secret not in stream and secret[-12:] not in stream, "a key was printed"
    if check:
        assert result.returncode == 0, result.stderr
    return result


def emulator_env(emulator: object) -> dict[str, str]:
    return {
        "ALPHACAST_API_URL": emulator.api_url,  # type: ignore[attr-defined]
        "ALPHACAST_WORKSPACE_URL": emulator.workspace_url,  # type: ignore[attr-defined]
    }
