"""The secrets-dir provider: the SDK's contract suite, then this plugin's own rules."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from alphacast_secrets_dir import SecretsDirProvider

import alphacast
from alphacast.testing import ProviderContract


class TestSecretsDirContract(ProviderContract):
    profiles = ("default", "contract-other")
    entry_point = "secrets-dir"

    def make_provider(self, tmp_path, monkeypatch):
        (tmp_path / "secrets").mkdir()
        monkeypatch.setenv("ALPHACAST_SECRETS_DIR", str(tmp_path / "secrets"))
        return SecretsDirProvider()

    def store_key(self, provider, profile, key):
        (self.tmp_path / "secrets" / f"alphacast-{profile}").write_text(key + "\n")

    def corrupt_store(self, provider, profile):
        (self.tmp_path / "secrets" / f"alphacast-{profile}").write_bytes(b"\xff\xfe key")
        return True


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("ALPHACAST_"):
            monkeypatch.delenv(name)
    directory = tmp_path / "secrets"
    directory.mkdir()
    monkeypatch.setenv("ALPHACAST_SECRETS_DIR", str(directory))
    return directory


def test_reads_alphacast_profile_file_in_the_directory(secrets):
    (secrets / "alphacast-prod").write_text("ak_secrets_dir_prod_001\n")
    credential = SecretsDirProvider().resolve("prod")
    assert credential is not None
    assert credential.api_key == "ak_secrets_dir_prod_001"
    assert credential.source == f"secrets-dir {secrets / 'alphacast-prod'}"
    assert credential.provider == "secrets-dir" and credential.profile == "prod"


def test_default_directory_is_run_secrets(monkeypatch):
    monkeypatch.delenv("ALPHACAST_SECRETS_DIR", raising=False)
    assert SecretsDirProvider().directory() == Path("/run/secrets")


def test_missing_directory_is_a_miss_that_says_so(secrets):
    secrets.rmdir()
    provider = SecretsDirProvider()
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == (
        f"{secrets} does not exist (set ALPHACAST_SECRETS_DIR)"
    )


def test_missing_file_is_a_miss(secrets):
    provider = SecretsDirProvider()
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == f"no file {secrets / 'alphacast-default'}"


@pytest.mark.parametrize("profile", ["../escape", ".hidden", "a/b", "", "ü"])
def test_profiles_that_are_not_plain_file_names_are_never_looked_up(secrets, profile):
    (secrets.parent / "escape").write_text("ak_outside_the_dir_001")
    (secrets / "alphacast-.hidden").write_text("ak_hidden_file_000001")
    assert SecretsDirProvider().resolve(profile) is None
    assert "cannot be a file name" in SecretsDirProvider().describe_miss(profile)


def test_a_directory_in_place_of_the_file_stops_the_chain(secrets):
    (secrets / "alphacast-default").mkdir()
    with pytest.raises(alphacast.CredentialError, match="is a directory"):
        SecretsDirProvider().resolve("default")


def _feed_fifo_when_opened(path: Path, data: bytes, within: float) -> None:
    """Write ``data`` to the FIFO at ``path`` if a reader opens it within ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)  # ENXIO while no reader
        except OSError:
            time.sleep(0.05)
            continue
        with os.fdopen(fd, "wb") as pipe:
            pipe.write(data)
        return


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_in_place_of_the_file_is_refused_at_once(secrets):
    # Read through alphacast.secrets: a FIFO (which would block a plain read until
    # something writes to it) is refused without waiting for a writer.
    path = secrets / "alphacast-default"
    os.mkfifo(path, 0o600)
    feeder = threading.Thread(
        target=_feed_fifo_when_opened, args=(path, b"ak_fed_through_a_fifo_01\n", 3.0), daemon=True
    )
    feeder.start()
    started = time.monotonic()
    with pytest.raises(alphacast.CredentialError, match="named pipe"):
        SecretsDirProvider().resolve("default")
    assert time.monotonic() - started < 1.0
    feeder.join()


def test_a_world_readable_file_the_platform_mounted_is_read(secrets):
    path = secrets / "alphacast-default"
    path.write_text("ak_secrets_mount_mode_0444\n")
    path.chmod(0o444)
    credential = SecretsDirProvider().resolve("default")
    assert credential is not None and credential.api_key == "ak_secrets_mount_mode_0444"


def test_whitespace_inside_the_key_stops_the_chain_without_showing_it(secrets):
    (secrets / "alphacast-default").write_text("ak_first_half second_half_0001\n")
    with pytest.raises(alphacast.CredentialError) as info:
        SecretsDirProvider().resolve("default")
    assert "whitespace or control characters inside it" in str(info.value)
    assert "second_half_0001" not in str(info.value)


def test_a_file_that_cannot_be_opened_stops_the_chain(secrets):
    # A symlink loop: unreadable for root too, unlike a file with mode 0.
    path = secrets / "alphacast-default"
    path.symlink_to(path)
    with pytest.raises(alphacast.CredentialError, match="cannot read .*symbolic links"):
        SecretsDirProvider().resolve("default")


def test_a_name_the_filesystem_refuses_stops_the_chain(secrets):
    with pytest.raises(alphacast.CredentialError, match="cannot read .*File name too long"):
        SecretsDirProvider().resolve("p" * 300)
