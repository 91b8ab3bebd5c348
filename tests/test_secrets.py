"""alphacast.secrets, the kit for plugin authors: what it offers beyond the file
functions (tests/test_files.py), and that the built-in providers use it."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

import alphacast
from alphacast import CredentialError, secrets
from tests.providers.helpers import write_config

ROOT = Path(__file__).resolve().parent.parent
KEY = "ak_live_0123456789abcdef"


def test_every_name_of_the_kit_is_documented_in_the_api_reference():
    api = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    assert ".. automodule:: alphacast.secrets" in api
    missing = [name for name in secrets.__all__ if not re.search(rf"\b{name}\b", api)]
    assert not missing, f"alphacast.secrets names missing from docs/api.rst: {missing}"
    for name in secrets.__all__:
        assert getattr(secrets, name) is not None


def test_the_kit_re_exports_what_the_face_and_the_auth_object_use():
    from alphacast import _auth, _credentials

    assert secrets.validate_key is _credentials.validate_key
    assert secrets.DEFAULT_PROFILE == "default"
    assert (
        secrets.is_loopback is _auth.is_loopback and secrets.connect_origin is _auth.connect_origin
    )
    assert secrets.is_loopback("127.0.0.2") and not secrets.is_loopback("api.localhost")
    assert secrets.connect_origin("http://[::1]:8200/v1") == ("http", "::1", 8200)


# -- reading -------------------------------------------------------------------------------


def test_private_false_reads_a_file_the_platform_mounted_world_readable(tmp_path):
    path = tmp_path / "mounted"
    path.write_bytes(b"ak_mounted_key_0000001\n")
    path.chmod(0o444)
    if hasattr(os, "geteuid"):
        with pytest.raises(CredentialError, match="accessible by group or others"):
            secrets.read_secret_file(path, provider="p")
    assert (
        secrets.read_secret_file(path, provider="p", private=False) == b"ak_mounted_key_0000001\n"
    )
    assert secrets.read_secret_text(path, provider="p", private=False) == "ak_mounted_key_0000001"


def test_private_false_still_refuses_what_is_not_a_regular_file(tmp_path):
    with pytest.raises(CredentialError, match="is a directory, not a regular file"):
        secrets.read_secret_text(tmp_path, provider="p", private=False)


def test_read_secret_text_drops_one_newline_and_refuses_other_encodings(tmp_path):
    path = tmp_path / "secret"
    assert secrets.read_secret_text(path, provider="p") is None
    path.write_bytes(b"value\r\n\n")
    path.chmod(0o600)
    assert secrets.read_secret_text(path, provider="p") == "value\r\n"
    path.write_bytes(b"\xff" + KEY.encode())
    with pytest.raises(CredentialError, match="is not UTF-8 text") as info:
        secrets.read_secret_text(path, provider="p", profile="prod")
    assert KEY not in str(info.value) and info.value.provider == "p"


# -- profile names: one check ----------------------------------------------------------------


@pytest.mark.parametrize("profile", ["", " prod", "a]b", "a[b", "x\ny", "nul\x00"])
def test_a_profile_name_that_cannot_be_a_section_is_refused(profile):
    with pytest.raises(CredentialError, match="cannot be stored or looked up") as info:
        secrets.check_profile_name(profile, provider="shared-file")
    assert info.value.provider == "shared-file"


def test_a_key_given_as_a_profile_name_is_refused_without_showing_it():
    with pytest.raises(CredentialError, match="looks like an API key") as info:
        secrets.check_profile_name(KEY)
    assert KEY not in str(info.value) and info.value.provider == "config"
    assert secrets.check_profile_name("prod-eu_2.archive") == "prod-eu_2.archive"


def test_the_shared_file_refuses_to_write_a_key_as_a_section_name(isolated_env):
    from alphacast.providers.shared_file import SharedFileProvider

    with pytest.raises(CredentialError, match="looks like an API key") as info:
        SharedFileProvider().store(KEY, "ak_the_real_key_000000001")
    assert KEY not in str(info.value)
    assert not (isolated_env / ".alphacast" / "credentials").exists()


# -- durations: one parser ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30", 30.0),
        (" 2.5 ", 2.5),
        ("90s", 90.0),
        ("15m", 900.0),
        ("1h", 3600.0),
        ("1h30m", 5400.0),
        ("1.5m", 90.0),
    ],
)
def test_parse_seconds_reads_numbers_and_vault_style_durations(text, seconds):
    assert secrets.parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-1", "0s", "inf", "nan", "soon", "5x", "1h 30m", "m"])
def test_parse_seconds_refuses_what_is_not_a_positive_finite_duration(text):
    assert secrets.parse_seconds(text) is None


def test_the_process_timeout_takes_a_duration(isolated_env, tmp_path):
    from alphacast.providers.process import ProcessProvider

    script = tmp_path / "print-key"
    script.write_text(f'#!{sys.executable}\nprint(\'{{"api_key": "ak_from_process_000001"}}\')\n')
    script.chmod(0o755)
    write_config(
        isolated_env,
        f"[profile prod]\ncredential_process = {script}\ncredential_process_timeout = 1m\n",
    )
    credential = ProcessProvider().resolve("prod")
    assert credential is not None and credential.api_key == "ak_from_process_000001"


def test_a_key_pasted_as_a_timeout_is_not_shown(isolated_env, monkeypatch):
    from alphacast.providers.keyring_store import KeyringProvider

    monkeypatch.setenv("ALPHACAST_KEYRING_TIMEOUT", KEY)
    with pytest.raises(CredentialError, match="ALPHACAST_KEYRING_TIMEOUT") as info:
        KeyringProvider().resolve("default")
    assert "must be a positive number of seconds" in str(info.value)
    assert KEY not in str(info.value)


# -- interactive() ---------------------------------------------------------------------------

_PRINT_INTERACTIVE = "from alphacast.secrets import interactive; print(interactive())"


def test_interactive_is_false_without_a_terminal_and_with_stdin_closed():
    for stdin in (subprocess.DEVNULL, subprocess.PIPE):
        done = subprocess.run(
            [sys.executable, "-c", _PRINT_INTERACTIVE],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == "False"
    done = subprocess.run(
        [sys.executable, "-c", "import sys; sys.stdin.close(); " + _PRINT_INTERACTIVE],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "False"


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="no pseudo-terminals here")
def test_interactive_is_true_on_a_terminal():
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PRINT_INTERACTIVE],
            stdin=follower,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.stdout.strip() == "True"


def test_the_face_exports_what_providers_subclass():
    assert {"Credential", "CredentialProvider", "WritableCredentialProvider"} <= set(
        alphacast.__all__
    )
