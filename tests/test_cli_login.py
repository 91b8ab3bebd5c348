"""``alphacast auth login`` and ``auth set``'s truthfulness, through the console script:
real stores (shared file, encrypted file, a real Secret Service), the emulator, and a
pseudo-terminal for the hidden prompt."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import termios
import time
from pathlib import Path

import pytest

from .cli_helpers import console_script, emulator_env, run_cli
from .conftest import ALICE_KEY, BOB_KEY

pty = pytest.importorskip("pty")

from .test_cli_prompt import PROMPT, Terminal  # noqa: E402 - after the POSIX-only skip

WRONG_KEY = "ak_wrong_0123456789abcdef"
ENCRYPTED = {"ALPHACAST_PASSPHRASE": "s3cret passphrase", "ALPHACAST_ENCRYPTED_KDF_N": "16"}
SECRETS = (ALICE_KEY, BOB_KEY, WRONG_KEY)


def _credentials(home: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(home / ".alphacast" / "credentials")
    return parser


@pytest.mark.keyring
def test_login_on_a_terminal_prompts_hidden_checks_and_stores_in_the_keyring(
    isolated_env: Path, emulator, real_keyring
):
    master, slave = pty.openpty()
    terminal = Terminal(master)
    deadline = time.monotonic() + 60
    process = subprocess.Popen(
        [console_script(), "auth", "login", "--profile", "prod"],
        stdin=slave, stdout=slave, stderr=slave,
        env={**os.environ, **emulator_env(emulator)},
        start_new_session=True,
    )
    try:
        terminal.read_until(PROMPT, process, deadline)
        assert not termios.tcgetattr(slave)[3] & termios.ECHO
        terminal.type(ALICE_KEY.encode() + b"\r")
        terminal.read_until(b"fingerprint", process, deadline)
        returncode = process.wait(timeout=60)
        terminal.drain()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(slave)
        os.close(master)
    shown = terminal.shown.decode("utf-8", "replace")
    assert returncode == 0, shown
    assert "storing the key of profile 'prod' in keyring (the system keyring works here)" in shown
    # It ends with what `auth which` prints.
    which = run_cli("auth", "which", "--profile", "prod", secrets=SECRETS).stdout.strip()
    assert shown.rstrip().endswith(which)
    assert which.startswith("profile 'prod': provider keyring (keyring SecretService")
    assert ALICE_KEY not in shown and ALICE_KEY[-8:] not in shown
    import keyring

    assert keyring.get_password("alphacast", "prod") == ALICE_KEY


def test_login_from_stdin_falls_back_to_the_shared_file_and_says_why(isolated_env: Path, emulator):
    result = run_cli(
        "auth", "login", "--profile", "ci", "--json",
        stdin=ALICE_KEY + "\n", env=emulator_env(emulator), secrets=SECRETS,
    )
    assert "in shared-file (no usable keyring backend (fail.Keyring); no passphrase" in result.stderr
    which = run_cli("auth", "which", "--profile", "ci", "--json", secrets=SECRETS).stdout
    assert json.loads(result.stdout) == json.loads(which)
    assert _credentials(isolated_env)["ci"]["api_key"] == ALICE_KEY


def test_login_picks_the_encrypted_file_when_a_passphrase_is_at_hand(emulator):
    env = {**emulator_env(emulator), **ENCRYPTED}
    result = run_cli("auth", "login", stdin=ALICE_KEY, env=env, secrets=SECRETS)
    assert "in encrypted-file (no usable keyring backend" in result.stderr
    assert result.stdout.startswith("profile 'default': provider encrypted-file")


def test_a_rejected_key_is_explained_and_not_stored(isolated_env: Path, emulator):
    result = run_cli(
        "auth", "login", "--profile", "prod", "--store", "shared-file",
        stdin=WRONG_KEY, env=emulator_env(emulator), secrets=SECRETS, check=False,
    )
    assert result.returncode == 1
    assert "the API refused the key (401)" in result.stderr
    assert "nothing was stored (--no-check stores it without this check)" in result.stderr
    assert not (isolated_env / ".alphacast" / "credentials").exists()


def test_no_check_stores_and_records_the_urls_keeping_the_config_file(isolated_env: Path):
    config = isolated_env / ".alphacast" / "config"
    config.parent.mkdir(mode=0o700)
    config.write_text("# mine\n[profile prod]\napi_url = http://old.example\nvault_path = x/y\n\n[profile other]\napi_url = http://other\n")
    config.chmod(0o600)
    result = run_cli(
        "auth", "login", "--profile", "prod", "--store", "shared-file", "--no-check",
        "--api-url", "http://127.0.0.1:9", "--workspace-url", "http://127.0.0.1:10",
        stdin=WRONG_KEY, secrets=SECRETS,
    )
    assert "recorded api_url, workspace_url in [profile prod] of ~/.alphacast/config" in result.stderr
    assert config.read_text() == (
        "# mine\n[profile prod]\napi_url = http://127.0.0.1:9\nvault_path = x/y\n"
        "workspace_url = http://127.0.0.1:10\n\n[profile other]\napi_url = http://other\n"
    )
    assert _credentials(isolated_env)["prod"]["api_key"] == WRONG_KEY


def test_an_unreachable_api_names_the_setting_source():
    result = run_cli(
        "auth", "login", "--profile", "prod", "--store", "shared-file",
        stdin=ALICE_KEY, env={"ALPHACAST_API_URL": "http://127.0.0.1:9"}, secrets=SECRETS, check=False,
    )
    assert result.returncode == 1
    assert "cannot reach http://127.0.0.1:9 to check the key (api_url from ALPHACAST_API_URL)" in result.stderr


# -- auth set tells the truth (item 4) --------------------------------------------------


def test_replacing_a_key_shows_both_fingerprints():
    run_cli("auth", "set", "prod", "--store", "shared-file", stdin=ALICE_KEY, secrets=SECRETS)
    result = run_cli("auth", "set", "prod", "--store", "shared-file", stdin=BOB_KEY, secrets=SECRETS)
    assert (
        f"replaced the key of profile 'prod' in shared-file: fingerprint …{ALICE_KEY[-4:]} -> …{BOB_KEY[-4:]}"
        in result.stderr
    )
    as_json = run_cli("auth", "set", "prod", "--store", "shared-file", "--json", stdin=ALICE_KEY, secrets=SECRETS)
    assert json.loads(as_json.stdout)["replaced"] == "…" + BOB_KEY[-4:]


def test_a_key_in_the_environment_shadowing_the_stored_one_is_named_with_the_fix():
    result = run_cli(
        "auth", "set", "default", "--store", "shared-file",
        stdin=ALICE_KEY, env={"ALPHACAST_API_KEY": BOB_KEY}, secrets=SECRETS,
    )
    assert (
        f"alphacast: warning: env (ALPHACAST_API_KEY, fingerprint …{BOB_KEY[-4:]}) comes before "
        "shared-file in the chain and has a key for profile 'default': that key is used, not the "
        "one just stored; unset ALPHACAST_API_KEY and ALPHACAST_API_KEY_FILE\n"
    ) in result.stderr
    # A named profile is not served by the environment: no warning.
    quiet = run_cli(
        "auth", "set", "prod", "--store", "shared-file",
        stdin=ALICE_KEY, env={"ALPHACAST_API_KEY": BOB_KEY}, secrets=SECRETS,
    )
    assert "warning" not in quiet.stderr


def test_an_earlier_store_shadowing_the_encrypted_file_is_named():
    run_cli("auth", "set", "prod", "--store", "shared-file", stdin=BOB_KEY, secrets=SECRETS)
    result = run_cli(
        "auth", "set", "prod", "--store", "encrypted-file", stdin=ALICE_KEY, env=ENCRYPTED, secrets=SECRETS
    )
    assert "warning: shared-file (~/.alphacast/credentials [prod]" in result.stderr
    assert "delete it with `alphacast auth delete prod --store shared-file`" in result.stderr


def test_set_check_refuses_a_rejected_key(isolated_env: Path, emulator):
    result = run_cli(
        "auth", "set", "prod", "--store", "shared-file", "--check",
        stdin=WRONG_KEY, env=emulator_env(emulator), secrets=SECRETS, check=False,
    )
    assert result.returncode == 1 and "the API refused the key (401)" in result.stderr
    assert not (isolated_env / ".alphacast" / "credentials").exists()
    run_cli(
        "auth", "set", "prod", "--store", "shared-file", "--check",
        stdin=ALICE_KEY, env=emulator_env(emulator), secrets=SECRETS,
    )
    assert _credentials(isolated_env)["prod"]["api_key"] == ALICE_KEY
