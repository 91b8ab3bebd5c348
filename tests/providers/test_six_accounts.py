"""Issue 3's acceptance run: one unmodified script, six accounts, six providers.

In a clean home directory, with the emulator serving six accounts, the same script
reads each account's data when its key comes from env, ALPHACAST_API_KEY_FILE,
dotenv, shared-file (a non-default profile), keyring (stored with the keyring CLI)
and encrypted-file (stored with ``alphacast auth set``); ``alphacast auth which
--json`` names the right provider each time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alphacast import Alphacast
from alphacast.emulator import Emulator

SCRIPT = """
from alphacast import Alphacast

client = Alphacast()
print([repo["name"] for repo in client.repository.read_all()])
"""

ACCOUNTS = {name: f"ak_six_{name}_{index:02d}_" + "x" * 12 for index, name in enumerate(
    ["envvar", "keyfile", "dotenv", "shared", "keyring", "encrypted"]
)}


def run(args: list[str], env: dict[str, str], cwd: Path, stdin: str | None = None) -> str:
    result = subprocess.run(
        args, env=env, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for key in ACCOUNTS.values():
        assert key not in result.stdout and key not in result.stderr
    return result.stdout


@pytest.mark.keyring
def test_one_script_six_accounts_six_providers(real_keyring, isolated_env: Path, tmp_path: Path):
    with Emulator(accounts=ACCOUNTS) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        for name, key in ACCOUNTS.items():
            with Alphacast(key, **urls) as owner:
                owner.repository.create(f"{name} data")
        script = tmp_path / "script.py"
        script.write_text(SCRIPT)
        base = {
            **os.environ,
            "ALPHACAST_API_URL": emu.api_url,
            "ALPHACAST_WORKSPACE_URL": emu.workspace_url,
        }
        cli = [sys.executable, "-m", "alphacast"]
        work = Path.cwd()

        key_file = tmp_path / "secret"
        key_file.write_text(ACCOUNTS["keyfile"] + "\n")
        key_file.chmod(0o600)
        run(cli + ["auth", "set", "shared", "--store", "shared-file"], base, work, ACCOUNTS["shared"])
        run([sys.executable, "-m", "keyring", "set", "alphacast", "keyring"], base, work, ACCOUNTS["keyring"] + "\n")
        encrypted = {**base, "ALPHACAST_PASSPHRASE": "six accounts passphrase", "ALPHACAST_ENCRYPTED_KDF_N": "1024"}
        run(cli + ["auth", "set", "encrypted", "--store", "encrypted-file"], encrypted, work, ACCOUNTS["encrypted"])
        dotenv_dir = tmp_path / "project"
        dotenv_dir.mkdir()
        (dotenv_dir / ".env").write_text(f"ALPHACAST_API_KEY={ACCOUNTS['dotenv']}\n")
        (dotenv_dir / ".env").chmod(0o600)

        cases = {
            "envvar": ("env", {**base, "ALPHACAST_API_KEY": ACCOUNTS["envvar"]}, work),
            "keyfile": ("env", {**base, "ALPHACAST_API_KEY_FILE": str(key_file)}, work),
            "dotenv": ("dotenv", base, dotenv_dir),
            "shared": ("shared-file", {**base, "ALPHACAST_PROFILE": "shared"}, work),
            "keyring": ("keyring", {**base, "ALPHACAST_PROFILE": "keyring"}, work),
            "encrypted": ("encrypted-file", {**encrypted, "ALPHACAST_PROFILE": "encrypted"}, work),
        }
        for name, (provider, env, cwd) in cases.items():
            names = run([sys.executable, str(script)], env, cwd)
            assert names.strip() == repr([f"{name} data"]), name
            which = json.loads(run(cli + ["auth", "which", "--json"], env, cwd))
            assert which["provider"] == provider, name
            assert which["fingerprint"] == "…" + ACCOUNTS[name][-4:]

        # An explicitly named profile is never served from ALPHACAST_API_KEY.
        wrong = {**base, "ALPHACAST_API_KEY": ACCOUNTS["envvar"]}
        which = json.loads(run(cli + ["auth", "which", "--profile", "shared", "--json"], wrong, work))
        assert which["provider"] == "shared-file"

        # With nothing stored, the error lists every provider.
        empty = {**base, "HOME": str(tmp_path / "empty-home"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
        (tmp_path / "empty-home").mkdir()
        result = subprocess.run(cli + ["auth", "which"], env=empty, cwd=work, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        for provider in ("explicit", "env", "dotenv", "shared-file", "keyring", "encrypted-file", "process", "vault"):
            assert f"  - {provider}: " in result.stderr, provider
