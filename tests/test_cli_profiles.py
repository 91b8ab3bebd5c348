"""Profiles that do not exist: named as such, with the known ones, and never hidden
behind another provider's complaint; ``auth list`` asks no passphrase once decided."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from .cli_helpers import console_script, run_cli
from .conftest import ALICE_KEY, BOB_KEY

ENCRYPTED = {"ALPHACAST_PASSPHRASE": "s3cret passphrase", "ALPHACAST_ENCRYPTED_KDF_N": "16"}
SECRETS = (ALICE_KEY, BOB_KEY)


def _store(profile: str, key: str, store: str, env: dict[str, str] | None = None) -> None:
    run_cli("auth", "set", profile, "--store", store, stdin=key, env=env, secrets=SECRETS)


@pytest.mark.parametrize("argv", [["auth", "which"], ["auth", "test"], ["exec"], ["auth", "status"]])
def test_a_mistyped_profile_is_named_with_the_one_meant(argv: list[str]):
    _store("prod", ALICE_KEY, "shared-file")
    extra = ["--", "true"] if argv == ["exec"] else []
    result = run_cli(*argv, "--profile", "prdo", *extra, secrets=SECRETS, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "alphacast: error: profile 'prdo' is not set up anywhere (did you mean 'prod'?); "
        "known profiles: default, prod. To set it up: `alphacast auth login --profile prdo`"
    )


def test_profiles_of_an_encrypted_file_count_when_its_passphrase_is_at_hand():
    _store("staging", BOB_KEY, "encrypted-file", env=ENCRYPTED)
    result = run_cli("auth", "which", "--profile", "stagin", env=ENCRYPTED, secrets=SECRETS, check=False)
    assert "profile 'stagin' is not set up anywhere (did you mean 'staging'?)" in result.stderr
    assert "known profiles: default, staging" in result.stderr


def test_a_vault_complaint_does_not_hide_that_the_profile_exists_nowhere():
    _store("prod", ALICE_KEY, "shared-file")
    result = run_cli(
        "auth", "which", "--profile", "staging",
        env={"VAULT_ADDR": "http://127.0.0.1:8200"}, secrets=SECRETS, check=False,
    )
    assert result.returncode == 1
    first, second = result.stderr.splitlines()[:2]
    assert first.startswith(
        "alphacast: error: profile 'staging' is in no store that could be searched; "
        "known profiles: default, prod."
    )
    assert "not searched: vault: its profiles cannot be listed" in first
    assert second.startswith("What the providers said: vault: no token")


def test_a_profile_only_in_a_locked_encrypted_file_is_not_called_missing():
    _store("other", BOB_KEY, "encrypted-file", env=ENCRYPTED)
    result = run_cli("auth", "which", "--profile", "other", secrets=SECRETS, check=False)
    assert "is in no store that could be searched" in result.stderr
    assert "not set up anywhere" not in result.stderr
    assert "exists but no passphrase was given to decrypt it" in result.stderr


def test_auth_list_asks_no_passphrase_once_a_provider_decided(isolated_env: Path):
    pty = pytest.importorskip("pty")
    from .test_cli_prompt import Terminal

    _store("prod", ALICE_KEY, "shared-file")
    _store("prod", BOB_KEY, "encrypted-file", env=ENCRYPTED)
    master, slave = pty.openpty()
    terminal = Terminal(master)
    process = subprocess.Popen(
        [console_script(), "auth", "list", "--profile", "prod"],
        stdin=slave, stdout=slave, stderr=slave, env=dict(os.environ), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            terminal.drain()  # a prompt would wait here for an answer that never comes
        returncode = process.wait(timeout=1)
        terminal.drain()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(slave)
        os.close(master)
    shown = terminal.shown.decode("utf-8", "replace")
    assert returncode == 0, shown
    assert "Passphrase" not in shown
    line = next(line for line in shown.splitlines() if "encrypted-file" in line)
    assert "skipped" in line and "not consulted: shared-file decides for profile 'prod'" in line

