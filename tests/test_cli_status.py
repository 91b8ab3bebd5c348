"""``alphacast auth status``: profiles from every store, real ones, through the console script."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .cli_helpers import emulator_env, run_cli
from .conftest import ALICE_KEY, BOB_KEY

REVOKED_KEY = "ak_revoked_0123456789abcd"
ENCRYPTED = {"ALPHACAST_PASSPHRASE": "s3cret passphrase", "ALPHACAST_ENCRYPTED_KDF_N": "16"}
FIELDS = ["profile", "provider", "source", "fingerprint", "active", "status"]


def _store(profile: str, key: str, store: str, env: dict[str, str] | None = None) -> None:
    run_cli("auth", "set", profile, "--store", store, stdin=key, env=env, secrets=(key,))


def _config(home: Path, text: str) -> None:
    path = home / ".alphacast" / "config"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(text)
    path.chmod(0o600)


def _status(*args: str, env: dict[str, str] | None = None, check: bool = True):
    result = run_cli(
        "auth", "status", "--json", *args, env=env,
        secrets=(ALICE_KEY, BOB_KEY, REVOKED_KEY), check=check,
    )
    return result, {row["profile"]: row for row in json.loads(result.stdout)}


def test_every_store_contributes_its_profiles(isolated_env: Path):
    _store("prod", ALICE_KEY, "shared-file")
    _store("vaulted", BOB_KEY, "encrypted-file", env=ENCRYPTED)
    _config(isolated_env, "[profile staging]\napi_url = http://127.0.0.1:9\n")
    result, rows = _status(env=ENCRYPTED, check=False)
    assert result.returncode == 1  # the active profile (default) has no key
    assert sorted(rows) == ["default", "prod", "staging", "vaulted"]
    assert all(list(row) == FIELDS for row in rows.values())
    assert rows["prod"] == {
        "profile": "prod",
        "provider": "shared-file",
        "source": "~/.alphacast/credentials [prod]",
        "fingerprint": "…" + ALICE_KEY[-4:],
        "active": False,
        "status": "ok",
    }
    assert rows["vaulted"]["provider"] == "encrypted-file"
    assert rows["vaulted"]["fingerprint"] == "…" + BOB_KEY[-4:]
    assert rows["staging"]["status"] == "missing" and rows["staging"]["provider"] is None
    assert rows["default"]["active"] is True and rows["default"]["status"] == "missing"


def test_the_active_profile_is_marked_and_decides_the_exit_status():
    _store("prod", ALICE_KEY, "shared-file")
    result, rows = _status("--profile", "prod")
    assert result.returncode == 0
    assert [name for name, row in rows.items() if row["active"]] == ["prod"]
    result, rows = _status(env={"ALPHACAST_PROFILE": "prod"})
    assert result.returncode == 0 and rows["prod"]["active"] is True
    # The implicit default is served by ALPHACAST_API_KEY.
    result, rows = _status(env={"ALPHACAST_API_KEY": BOB_KEY})
    assert result.returncode == 0
    assert rows["default"]["provider"] == "env" and rows["default"]["source"] == "ALPHACAST_API_KEY"
    text = run_cli("auth", "status", "--profile", "prod", secrets=(ALICE_KEY,)).stdout
    line = next(line for line in text.splitlines() if " prod " in line)
    assert line.startswith("* prod") and "shared-file" in line and "…" + ALICE_KEY[-4:] in line


@pytest.mark.keyring
def test_keyring_entries_are_listed(real_keyring):
    _store("desktop", ALICE_KEY, "keyring")
    _, rows = _status(check=False)
    assert rows["desktop"]["provider"] == "keyring" and rows["desktop"]["status"] == "ok"


def test_check_calls_the_api_once_per_profile_with_a_key(emulator):
    _store("prod", ALICE_KEY, "shared-file")
    _store("old", REVOKED_KEY, "shared-file")
    result, rows = _status("--check", "--profile", "prod", env=emulator_env(emulator))
    assert result.returncode == 0
    assert rows["prod"]["check"] == "ok"
    assert rows["old"]["check"] == "rejected"
    assert rows["default"]["check"] is None  # no key, no call
    assert list(rows["prod"]) == [*FIELDS, "check"]
    text = run_cli(
        "auth", "status", "--check", env=emulator_env(emulator), secrets=(ALICE_KEY, REVOKED_KEY),
        check=False,
    ).stdout
    assert "rejected" in text and "401" in text


def test_an_unreachable_api_names_where_the_url_came_from():
    _store("prod", ALICE_KEY, "shared-file")
    env = {"ALPHACAST_API_URL": "http://127.0.0.1:9", "ALPHACAST_WORKSPACE_URL": "http://127.0.0.1:9"}
    result = run_cli("auth", "status", "--check", "--profile", "prod", env=env, secrets=(ALICE_KEY,))
    assert "unreachable" in result.stdout
    assert "api_url from ALPHACAST_API_URL" in result.stdout


def test_an_encrypted_file_without_its_passphrase_is_said_to_be_unlisted():
    _store("vaulted", BOB_KEY, "encrypted-file", env=ENCRYPTED)
    env = {k: v for k, v in os.environ.items() if k != "ALPHACAST_PASSPHRASE"}
    result = run_cli("auth", "status", env=env, check=False, secrets=(BOB_KEY,))
    assert "credentials.enc needs its passphrase to be listed" in result.stderr


def test_a_section_named_like_a_key_is_never_printed(isolated_env: Path):
    # A key pasted as a section header of the credentials file: neither the table nor
    # --json nor auth which print it; a note says a profile named like a key was skipped.
    pasted = "ak_bob_fedcba9876543210fedcba"
    path = isolated_env / ".alphacast" / "credentials"
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(f"[prod]\napi_key = {ALICE_KEY}\n\n[{pasted}]\napi_key = {pasted}\n")
    path.chmod(0o600)
    secrets = (ALICE_KEY, pasted, pasted[-20:])
    table = run_cli("auth", "status", secrets=secrets, check=False)
    assert "prod" in table.stdout
    assert "skipped: shared-file: a profile named like a key" in table.stderr, table.stderr
    result, rows = _status(check=False)
    assert set(rows) == {"default", "prod"}, rows
    assert pasted not in result.stdout and pasted[-20:] not in result.stdout
    which = run_cli("auth", "which", "--profile", "prdo", secrets=secrets, check=False)
    assert "did you mean 'prod'" in which.stderr
