"""``alphacast exec -- COMMAND``: the key reaches the command through its environment
only, from a real store, and the command's exit status is alphacast's."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .cli_helpers import emulator_env, run_cli
from .conftest import ALICE_KEY, BOB_KEY

#: An unmodified 0.1.9-style script: the key from the environment, as 0.1.9 users wrote it.
SCRIPT_0_1_9 = """\
import json, os, sys
from alphacast import Alphacast

API_KEY = os.environ["API_KEY"]
alphacast = Alphacast(API_KEY)
repos = alphacast.repository.read_all()
json.dump({"repositories": len(repos), "argv": sys.argv}, open(sys.argv[1], "w"))
"""

#: Records what a command receives: its environment and its arguments.
RECORDER = """\
import json, os, sys
names = ["ALPHACAST_API_KEY", "API_KEY", "ALPHACAST_PROFILE", "ALPHACAST_API_URL",
         "ALPHACAST_WORKSPACE_URL", "ALPHACAST_API_KEY_FILE", "ALPHACAST_PASSPHRASE",
         "ALPHACAST_PASSPHRASE_FILE", "VAULT_TOKEN"]
json.dump({"env": {n: os.environ.get(n) for n in names}, "argv": sys.argv},
          open(sys.argv[1], "w"))
sys.exit(int(sys.argv[2]))
"""


def _store(profile: str, key: str, store: str, env: dict[str, str] | None = None) -> None:
    run_cli("auth", "set", profile, "--store", store, stdin=key, env=env, secrets=(key,))


def _recorded(tmp_path: Path, *exec_args: str, status: int = 0, env: dict[str, str] | None = None):
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    out = tmp_path / "seen.json"
    result = run_cli(
        "exec", *exec_args, "--", sys.executable, str(script), str(out), str(status),
        env=env, secrets=(ALICE_KEY, BOB_KEY), check=False,
    )
    return result, json.loads(out.read_text()) if out.exists() else None


def test_the_key_goes_to_the_command_environment_and_nothing_is_printed(tmp_path: Path, emulator):
    _store("prod", ALICE_KEY, "shared-file")
    result, seen = _recorded(tmp_path, "--profile", "prod", env=emulator_env(emulator))
    assert result.returncode == 0
    assert result.stdout == "" and result.stderr == ""
    assert seen["env"] == {
        "ALPHACAST_API_KEY": ALICE_KEY,
        "API_KEY": None,
        "ALPHACAST_PROFILE": "prod",
        "ALPHACAST_API_URL": emulator.api_url,
        "ALPHACAST_WORKSPACE_URL": emulator.workspace_url,
        "ALPHACAST_API_KEY_FILE": None,
        "ALPHACAST_PASSPHRASE": None,
        "ALPHACAST_PASSPHRASE_FILE": None,
        "VAULT_TOKEN": None,
    }
    assert not any(ALICE_KEY in word for word in seen["argv"])


def test_the_command_exit_status_is_passed_on(tmp_path: Path):
    _store("prod", ALICE_KEY, "shared-file")
    result, seen = _recorded(tmp_path, "--profile", "prod", status=7)
    assert seen is not None
    assert result.returncode == 7 and result.stdout == "" and result.stderr == ""


def test_env_name_and_global_profile_before_the_subcommand(tmp_path: Path):
    """`--profile` before `exec`; --env-name API_KEY replaces ALPHACAST_API_KEY, and an
    inherited ALPHACAST_API_KEY(_FILE) does not offer the command a second key."""
    _store("prod", ALICE_KEY, "shared-file")
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    out = tmp_path / "seen.json"
    result = run_cli(
        "--profile", "prod", "exec", "--env-name", "API_KEY", "--",
        sys.executable, str(script), str(out), "0",
        env={"ALPHACAST_API_KEY": BOB_KEY}, secrets=(ALICE_KEY, BOB_KEY),
    )
    assert result.stdout == ""
    seen = json.loads(out.read_text())["env"]
    assert seen["API_KEY"] == ALICE_KEY
    assert seen["ALPHACAST_API_KEY"] is None and seen["ALPHACAST_API_KEY_FILE"] is None


@pytest.mark.parametrize("variable", ["ALPHACAST_PASSPHRASE", "ALPHACAST_PASSPHRASE_FILE"])
def test_the_command_gets_no_passphrase_that_would_unlock_other_profiles(tmp_path: Path, variable):
    """The encrypted store's passphrase opens every profile in it: the command gets the
    one key it was given, not the passphrase; other tools' variables are passed on."""
    _store("prod", ALICE_KEY, "encrypted-file", env={"ALPHACAST_PASSPHRASE": "s3cret pass", "ALPHACAST_ENCRYPTED_KDF_N": "16"})
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text("s3cret pass")
    passphrase_file.chmod(0o600)
    value = "s3cret pass" if variable == "ALPHACAST_PASSPHRASE" else str(passphrase_file)
    script = tmp_path / "recorder.py"
    script.write_text(RECORDER)
    out = tmp_path / "seen.json"
    run_cli(
        "exec", "--profile", "prod", "--", sys.executable, str(script), str(out), "0",
        env={"ALPHACAST_ENCRYPTED_KDF_N": "16", variable: value, "VAULT_TOKEN": "t"},
        secrets=(ALICE_KEY,),
    )
    seen = json.loads(out.read_text())["env"]
    assert seen["ALPHACAST_API_KEY"] == ALICE_KEY
    assert seen["ALPHACAST_PASSPHRASE"] is None and seen["ALPHACAST_PASSPHRASE_FILE"] is None
    assert seen["VAULT_TOKEN"] == "t"

@pytest.mark.parametrize(
    ("store", "extra"),
    [
        ("shared-file", {}),
        ("encrypted-file", {"ALPHACAST_PASSPHRASE": "s3cret passphrase", "ALPHACAST_ENCRYPTED_KDF_N": "16"}),
    ],
)
def test_an_unmodified_0_1_9_script_gets_its_key_from_a_store(tmp_path: Path, emulator, store, extra):
    _store("prod", ALICE_KEY, store, env=extra)
    script = tmp_path / "legacy.py"
    script.write_text(SCRIPT_0_1_9)
    out = tmp_path / "out.json"
    result = run_cli(
        "exec", "--profile", "prod", "--env-name", "API_KEY", "--",
        sys.executable, str(script), str(out),
        env={**emulator_env(emulator), **extra}, secrets=(ALICE_KEY,),
    )
    assert result.stdout == "" and result.stderr == ""
    assert json.loads(out.read_text())["repositories"] >= 0


@pytest.mark.keyring
def test_an_unmodified_0_1_9_script_gets_its_key_from_the_keyring(tmp_path: Path, emulator, real_keyring):
    _store("prod", ALICE_KEY, "keyring")
    script = tmp_path / "legacy.py"
    script.write_text(SCRIPT_0_1_9)
    out = tmp_path / "out.json"
    run_cli(
        "exec", "--profile", "prod", "--env-name", "API_KEY", "--",
        sys.executable, str(script), str(out),
        env=emulator_env(emulator), secrets=(ALICE_KEY,),
    )
    assert json.loads(out.read_text())["repositories"] >= 0


def test_a_command_that_cannot_run_is_one_line_with_a_shell_status(tmp_path: Path):
    _store("prod", ALICE_KEY, "shared-file")
    missing = run_cli("exec", "--profile", "prod", "--", "no-such-command-xyz", check=False)
    assert missing.returncode == 127
    assert missing.stderr == "alphacast: error: cannot run no-such-command-xyz: command not found\n"
    plain = tmp_path / "not-executable"
    plain.write_text("echo hi\n")
    refused = run_cli("exec", "--profile", "prod", "--", str(plain), check=False)
    assert refused.returncode == 126
    assert refused.stderr == f"alphacast: error: cannot run {plain}: permission denied\n"
    assert missing.stdout == refused.stdout == ""


def test_no_key_means_the_command_never_runs(tmp_path: Path):
    result, seen = _recorded(tmp_path, "--profile", "nowhere")
    assert result.returncode == 1 and seen is None
    assert "profile 'nowhere' is not set up anywhere" in result.stderr


def test_no_command_is_a_usage_mistake():
    result = run_cli("exec", "--", check=False)
    assert result.returncode == 1
    assert "no command to run" in result.stderr
