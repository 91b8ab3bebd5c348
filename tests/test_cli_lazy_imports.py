"""Commands that make no request load no HTTP stack: ``--help`` and the parser of every
command import neither requests nor urllib3 (the data commands load them when run);
``auth which`` discovers every provider plugin yet loads none of the libraries the
providers use only when asked (requests, hvac, keyring, cryptography); and neither
loads pandas."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

HEAVY = ("requests", "urllib3", "hvac", "keyring", "cryptography", "pandas", "pyarrow")

PROBE = """
import contextlib, io, sys
from alphacast.cli._main import run
from alphacast.cli._parser import build_parser
{build}
with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
    run(sys.argv[1:])
print(repr(out.getvalue()))
print("loaded:" + ",".join(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """An empty HOME, the key in ALPHACAST_API_KEY, no other alphacast or Vault setting."""
    home = tmp_path / "cli-home"
    home.mkdir()
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ALPHACAST_", "VAULT_", "BAO_"))
    }
    return {**clean, "HOME": str(home), "ALPHACAST_API_KEY": "ak_lazy_0123456789abcdef"}


def _run(env: dict[str, str], *argv: str, heavy: tuple[str, ...] = HEAVY, full: bool = True):
    """What the command printed, and which of ``heavy`` were loaded when it ended."""
    code = PROBE.format(heavy=heavy, build="build_parser()" if full else "")
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=env,
        cwd=env["HOME"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    printed, loaded = done.stdout.strip().splitlines()[-2:]
    return printed, loaded.removeprefix("loaded:")


def _loaded(env: dict[str, str], *argv: str) -> str:
    return _run(env, *argv)[1]


def test_help_loads_no_http_stack(env):
    assert _loaded(env, "--help") == ""


def test_the_datasets_help_loads_no_http_stack(env):
    assert _loaded(env, "datasets", "upload", "--help") == ""


def test_help_loads_no_plugin_machinery(env):
    printed, loaded = _run(env, "--help", heavy=("pluggy", "alphacast.plugins"), full=False)
    assert "auth" in printed and "datasets" in printed
    assert loaded == ""


def test_auth_which_loads_no_provider_library(env):
    printed, loaded = _run(env, "auth", "which", full=False)
    assert "provider env (ALPHACAST_API_KEY)" in printed
    assert loaded == ""


def test_importing_every_built_in_provider_loads_no_provider_library(env):
    built_in = sorted(
        ep.value
        for ep in metadata.entry_points(group="alphacast")
        if ep.dist is not None and ep.dist.name == "alphacast"
    )
    assert (
        "alphacast.providers.vault" in built_in and "alphacast.providers.keyring_store" in built_in
    )
    code = (
        "import importlib, sys\n"
        f"for name in {built_in!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == ""
