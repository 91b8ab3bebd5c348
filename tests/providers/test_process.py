"""The ``process`` provider: real commands run from ``credential_process``."""

from __future__ import annotations

import configparser
import contextlib
import json
import os
import shlex
import shutil
import signal
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alphacast import CredentialError, plugins
from alphacast.providers.process import ProcessProvider
from alphacast.testing import ProviderContract
from tests.providers.helpers import write_config


@pytest.fixture
def command(tmp_path: Path):
    """``command(body, name=...)``: an executable Python script; returns its path."""

    def make(body: str, name: str = "get-key") -> Path:
        path = tmp_path / "bin" / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"#!{sys.executable}\nimport json, os, sys, time\n" + textwrap.dedent(body))
        path.chmod(0o755)
        return path

    return make


def configure(home: Path, profile: str, line: str, extra: str = "") -> None:
    section = "default" if profile == "default" else f"profile {profile}"
    write_config(home, f"[{section}]\ncredential_process = {line}\n{extra}")


def error_of(profile: str = "prod") -> str:
    with pytest.raises(CredentialError) as info:
        ProcessProvider().resolve(profile)
    assert info.value.provider == "process"
    assert str(info.value).startswith("process: ")
    return str(info.value)


def test_without_credential_process_the_provider_passes(home):
    write_config(home, "[profile prod]\napi_url = http://localhost\n")
    provider = ProcessProvider()
    assert provider.resolve("prod") is None
    assert provider.describe_miss("prod") == (
        "no credential_process in [profile prod] of ~/.alphacast/config"
    )
    assert provider.describe_miss("default") == (
        "no credential_process in [default] of ~/.alphacast/config"
    )


def test_registered_through_the_entry_point():
    found = plugins.registry().providers["process"]
    assert isinstance(found, ProcessProvider)
    assert (found.priority, found.cacheable, found.ambient) == (70, True, False)


def test_reads_api_key_and_expiry_from_the_json_the_command_prints(home, command):
    expires = (datetime.now(UTC) + timedelta(hours=1)).replace(microsecond=0)
    script = command(
        f"""
        print(json.dumps({{"api_key": "ak_from_process_000001",
                           "expires_at": "{expires.strftime("%Y-%m-%dT%H:%M:%SZ")}"}}))
        """
    )
    configure(home, "prod", shlex.quote(str(script)))
    credential = ProcessProvider().resolve("prod")
    assert credential is not None
    assert credential.api_key == "ak_from_process_000001"
    assert credential.source == f"credential_process `{script}`"
    assert credential.provider == "process" and credential.profile == "prod"
    assert credential.expires_at == expires


def test_without_expires_at_the_key_does_not_expire(home, command):
    script = command('print(json.dumps({"api_key": "ak_no_expiry_00000001", "other": 1}))')
    configure(home, "default", str(script))
    credential = ProcessProvider().resolve("default")
    assert credential is not None and credential.expires_at is None


def test_arguments_are_split_like_a_shell_but_nothing_is_expanded(home, command, tmp_path):
    seen = tmp_path / "argv.json"
    script = command(
        f"""
        open({str(seen)!r}, "w").write(json.dumps(sys.argv[1:]))
        print(json.dumps({{"api_key": "ak_argv_check_0000001"}}))
        """
    )
    configure(home, "prod", f"{shlex.quote(str(script))} 'two words' '$HOME' '*' ; echo x")
    assert ProcessProvider().resolve("prod") is not None
    assert json.loads(seen.read_text()) == ["two words", "$HOME", "*", ";", "echo", "x"]


def test_tilde_in_the_program_is_expanded(home, command):
    script = command('print(json.dumps({"api_key": "ak_from_home_bin_0001"}))')
    (home / "bin").mkdir()
    script.rename(home / "bin" / "get-key")
    configure(home, "prod", "~/bin/get-key --profile prod")
    credential = ProcessProvider().resolve("prod")
    assert credential is not None and credential.api_key == "ak_from_home_bin_0001"


def test_missing_command(home):
    configure(home, "prod", "/nonexistent/get-key --token s3cr3t-arg")
    text = error_of()
    assert "command not found: `/nonexistent/get-key`" in text
    assert "[profile prod] of ~/.alphacast/config" in text
    assert "s3cr3t-arg" not in text


def test_command_that_is_not_executable(home, command):
    script = command("print('{}')")
    script.chmod(0o644)
    configure(home, "prod", str(script))
    assert f"`{script}` (credential_process in [profile prod]" in error_of()
    assert "not executable" in error_of()


def test_failing_command_shows_its_stderr_redacted_and_not_its_arguments(home, command):
    script = command(
        """
        sys.stderr.write("vault says no; token ak_leaked_in_stderr_0001 expired\\n")
        sys.exit(3)
        """
    )
    configure(home, "prod", f"{script} --passphrase hunter2-secret-arg")
    text = error_of()
    assert f"`{script}` (credential_process in [profile prod] of ~/.alphacast/config)" in text
    assert "exited with status 3" in text
    assert "vault says no; token ak_*** expired" in text
    assert "ak_leaked_in_stderr_0001" not in text
    assert "hunter2-secret-arg" not in text


def test_command_killed_by_a_signal(home, command):
    configure(home, "prod", str(command("os.kill(os.getpid(), 9)")))
    assert "was killed by signal 9" in error_of()


def test_output_that_is_not_json_is_never_shown(home, command):
    configure(home, "prod", str(command('print("ak_bare_key_printed_001")')))
    text = error_of()
    assert "printed 24 bytes that are not a JSON object" in text
    assert "ak_bare_key_printed_001" not in text


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ('["ak_in_a_list_0000001"]', "printed a JSON list, not an object"),
        ('{"key": "ak_wrong_field_000001"}', 'printed JSON without "api_key" (fields: key)'),
        ('{"api_key": ""}', "is empty"),
        ('{"api_key": 12345}', "is a int, not a string"),
        ('{"api_key": "ak_bad_expiry_000001", "expires_at": "tomorrow"}', "not an ISO 8601"),
    ],
)
def test_malformed_output(home, command, output, expected):
    configure(home, "prod", str(command(f"print({output!r})")))
    text = error_of()
    assert expected in text
    assert "ak_in_a_list_0000001" not in text and "ak_wrong_field_000001" not in text


def test_the_key_is_masked_in_stderr_even_when_it_is_not_key_shaped(home, command):
    script = command(
        """
        sys.stderr.write("debug: fetched plainsecretvalue42 for you\\n")
        print(json.dumps({"api_key": "plainsecretvalue42", "expires_at": "soon"}))
        """
    )
    configure(home, "prod", str(script))
    text = error_of()
    assert "debug: fetched *** for you" in text
    assert "plainsecretvalue42" not in text


def test_expired_key_is_an_error(home, command):
    answer = {"api_key": "ak_expired_key_000001", "expires_at": "2020-01-01T00:00:00Z"}
    script = command(f"print(json.dumps({answer!r}))")
    configure(home, "prod", str(script))
    assert "printed a key that expired at 2020-01-01T00:00:00+00:00" in error_of()


def test_long_stderr_is_truncated_to_its_end(home, command):
    script = command('sys.stderr.write("x" * 5000 + "THE END\\n"); sys.exit(1)')
    configure(home, "prod", str(script))
    text = error_of()
    assert text.endswith("THE END")
    assert "…" in text and len(text) < 1600


def test_timeout_kills_the_command_and_what_it_started(home, command, tmp_path):
    child_pid = tmp_path / "child.pid"
    script = command(
        f"""
        import subprocess
        child = subprocess.Popen(["sleep", "60"])
        open({str(child_pid)!r}, "w").write(str(child.pid))
        sys.stderr.write("waiting for the hardware token\\n")
        sys.stderr.flush()
        time.sleep(60)
        """
    )
    configure(home, "prod", str(script), "credential_process_timeout = 1\n")
    started = time.monotonic()
    text = error_of()
    assert time.monotonic() - started < 10
    assert "did not finish within 1 s and was killed" in text
    assert "credential_process_timeout" in text
    assert "waiting for the hardware token" in text
    pid = int(child_pid.read_text())
    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
    while _sleeping_child_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _sleeping_child_alive(pid)


def _sleeping_child_alive(pid: int) -> bool:
    """True while ``pid`` is still our ``sleep 60`` (not gone, a zombie or reused)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return state != "Z" and cmdline == b"sleep\x0060\x00"


@pytest.mark.parametrize("value", ["0", "-1", "never", "inf"])
def test_timeout_setting_is_validated(home, value):
    configure(home, "prod", "/bin/true", f"credential_process_timeout = {value}\n")
    text = error_of()
    assert f"credential_process_timeout = {value!r} in [profile prod]" in text
    assert "must be a positive number of seconds" in text


def test_unbalanced_quotes_are_an_error(home):
    configure(home, "prod", "/bin/get-key 'unterminated")
    assert "check its quoting" in error_of()


def test_cache_key_holds_the_command_and_the_profile(home):
    configure(home, "prod", "/bin/get-key --account one")
    provider = ProcessProvider()
    first = provider.cache_key("prod")
    assert "/bin/get-key --account one" in first and "prod" in first
    configure(home, "prod", "/bin/get-key --account two")
    assert provider.cache_key("prod") != first


# -- stderr never shows what stdout carried (issue 11, item 6) --------------------------------

HEX_TOKEN = "0123456789abcdef0123456789abcdef01234567"


def test_stderr_of_a_failing_command_masks_the_key_it_printed_on_stdout(home, command):
    script = command(
        f"""
        print(json.dumps({{"api_key": "plainsecretvalue42"}}))
        sys.stderr.write("fetched plainsecretvalue42 with session {HEX_TOKEN}\\n")
        sys.stderr.write("then ak_live_other_key_000001 failed to renew\\n")
        sys.exit(2)
        """
    )
    configure(home, "prod", str(script))
    text = error_of()
    assert "exited with status 2" in text
    assert "fetched *** with session *** " in text.replace("\n", " ")
    assert "then ak_*** failed to renew" in text
    for secret in ("plainsecretvalue42", HEX_TOKEN, "ak_live_other_key_000001"):
        assert secret not in text


def test_stderr_masks_a_bare_key_printed_on_stdout(home, command):
    script = command(
        """
        print("bare-secret-without-json-77")
        sys.stderr.write("could not wrap bare-secret-without-json-77 in JSON\\n")
        """
    )
    configure(home, "prod", str(script))
    text = error_of()
    assert "could not wrap *** in JSON" in text
    assert "bare-secret-without-json-77" not in text


def test_stderr_of_a_command_that_times_out_masks_the_key_it_printed(home, command):
    script = command(
        """
        print(json.dumps({"api_key": "plainsecret-then-hang"}), flush=True)
        sys.stderr.write("printed plainsecret-then-hang, now waiting\\n")
        sys.stderr.flush()
        time.sleep(30)
        """
    )
    configure(home, "prod", str(script), "credential_process_timeout = 1\n")
    text = error_of()
    assert "did not finish within 1 s" in text
    assert "printed ***, now waiting" in text
    assert "plainsecret-then-hang" not in text


# -- the timeout covers the whole run; output is bounded (issue 11, item 7) -----------------


def test_a_background_child_holding_the_output_cannot_stretch_the_timeout(home, tmp_path):
    pid_file = tmp_path / "child.pid"
    line = shlex.join(
        ["sh", "-c", f'sleep 60 & echo $! > {pid_file}; echo \'{{"api_key": "ak_bg_child_01"}}\'']
    )
    configure(home, "prod", line, "credential_process_timeout = 1\n")
    started = time.monotonic()
    text = error_of()
    assert time.monotonic() - started < 10
    assert "exited (status 0) but left a process running" in text
    assert "kept its stdout or stderr open past the 1 s timeout" in text
    assert "did not finish" not in text
    pid = int(pid_file.read_text())
    deadline = time.monotonic() + 5  # SIGKILL is delivered asynchronously
    while _sleeping_child_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _sleeping_child_alive(pid)


def test_a_child_that_left_the_process_group_cannot_stretch_the_timeout(home, tmp_path):
    """A child in a session of its own cannot be killed with the group: the timeout
    still holds, and the provider stops reading from it."""
    setsid = shutil.which("setsid")
    if setsid is None:
        pytest.skip("setsid(1) is not installed")
    pid_file = tmp_path / "child.pid"
    script = f'{setsid} sleep 60 & echo $! > {pid_file}; echo \'{{"api_key": "ak_escaped_01"}}\''
    configure(home, "prod", shlex.join(["sh", "-c", script]), "credential_process_timeout = 1\n")
    started = time.monotonic()
    try:
        text = error_of()
        assert time.monotonic() - started < 10
        assert "exited (status 0) but left a process running" in text
    finally:
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


@pytest.mark.parametrize(
    ("line", "stream"),
    [
        ("yes ak_endless_output_000001", "stdout"),
        ("sh -c 'yes ak_endless_stderr_0001 >&2'", "stderr"),
    ],
)
def test_endless_output_is_cut_at_the_limit_with_a_clear_error(home, line, stream):
    # A short timeout: before the limit, this read gigabytes until it struck.
    configure(home, "prod", line, "credential_process_timeout = 3\n")
    started = time.monotonic()
    text = error_of()
    assert time.monotonic() - started < 2.5  # stopped at the limit, not at the timeout
    assert f"wrote more than 1 MiB to {stream} and was stopped" in text
    assert "ak_endless" not in text
    assert len(text) < 2000


# -- the contract every provider passes ------------------------------------------------------


class TestProcessContract(ProviderContract):
    profiles = ("default", "contract-other")
    entry_point = "process"

    def make_provider(self, tmp_path, monkeypatch):
        return ProcessProvider()

    def _script(self, profile: str) -> Path:
        return self.tmp_path / "bin" / f"key-{profile}"

    def store_key(self, provider, profile, key):
        script = self._script(profile)
        script.parent.mkdir(exist_ok=True)
        output = json.dumps({"api_key": key})
        script.write_text(f"#!{sys.executable}\nprint({output!r})\n")
        script.chmod(0o755)
        config = configparser.ConfigParser(interpolation=None, default_section="__none__")
        path = Path.home() / ".alphacast" / "config"
        if path.exists():
            config.read(path)
        section = "default" if profile == "default" else f"profile {profile}"
        config[section] = {"credential_process": shlex.quote(str(script))}
        path.parent.mkdir(mode=0o700, exist_ok=True)
        with path.open("w") as out:
            config.write(out)
        path.chmod(0o600)

    def corrupt_store(self, provider, profile):
        self._script(profile).write_text(f"#!{sys.executable}\nprint('not json')\n")
        return True


# -- what the command is given, and what of its stderr is shown ----------------------------

SDK_SECRETS = {
    "ALPHACAST_API_KEY": "ak_default_account_0123456789",
    "ALPHACAST_API_KEY_FILE": "/run/secrets/default-account-key",
    "ALPHACAST_PASSPHRASE": "correct horse battery staple",
    "ALPHACAST_PASSPHRASE_FILE": "/run/secrets/alphacast-passphrase",
}
KEPT = {
    "VAULT_ADDR": "https://vault.example.com:8200",
    "VAULT_TOKEN": "hvs.CAESIGx8Yk3mQ9pLr2TzW7vN1uB5qXcJ0aHs",
    "BAO_TOKEN": "s.Qm9vYmFyYmF6cXV4MTIzNDU2",
    "ALPHACAST_API_URL": "https://api.example.com",
}


def test_the_command_does_not_get_the_sdks_own_secrets(home, command, tmp_path, monkeypatch):
    # ALPHACAST_API_KEY is the default account's key: the env provider serves it to no
    # named profile, and prod's command must not be handed it either.
    for name, value in {**SDK_SECRETS, **KEPT}.items():
        monkeypatch.setenv(name, value)
    seen = tmp_path / "environment.json"
    script = command(
        f"""
        json.dump(dict(os.environ), open({str(seen)!r}, "w"))
        print(json.dumps({{"api_key": "ak_prod_account_000000001"}}))
        """
    )
    configure(home, "prod", str(script))
    credential = ProcessProvider().resolve("prod")
    assert credential is not None and credential.api_key == "ak_prod_account_000000001"
    environment = json.loads(seen.read_text())
    assert not set(SDK_SECRETS) & set(environment)
    assert {name: environment.get(name) for name in KEPT} == KEPT  # `vault kv get` needs them
    assert environment["PATH"] == os.environ["PATH"]
    assert os.environ["ALPHACAST_API_KEY"] == SDK_SECRETS["ALPHACAST_API_KEY"]  # ours is intact


STDERR_TOKENS = {
    "vault": "hvs.CAESIGx8Yk3mQ9pLr2TzW7vN1uB5qXcJ0aHs",
    "legacy-vault": "s.Qm9vYmFyYmF6cXV4MTIzNDU2",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    "github": "ghp_R4nd0mT0k3nV4lu3Abc123XyZ987qwe",
    "base64": "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg==",
    "secret-id": "6f1c2a8e-3b1d-4c9e-9a7f-2e5d8b0c4f13",
    "other-vendor": "xk_live_Q2h3bYt9ZrPq7LmN",
}
ORDINARY = (
    "error: GET https://vault.example.com:8200/v1/secret/data/alphacast/prod failed "
    "(permission denied, status 403) at 2030-01-01T00:00:00Z; see /var/log/get-key.log "
    "and run `vault login -method=oidc` or check credential_process_timeout"
)


def test_stderr_masks_every_key_shaped_word_and_keeps_ordinary_words(home, command):
    lines = [f"{name}: {token}" for name, token in STDERR_TOKENS.items()] + [ORDINARY]
    script = command(f"sys.stderr.write({chr(10).join(lines)!r})\nsys.exit(3)\n")
    configure(home, "prod", str(script))
    text = error_of()
    for name, token in STDERR_TOKENS.items():
        assert token not in text
        assert f"  {name}: ***\n" in text, name
    assert ORDINARY in text
