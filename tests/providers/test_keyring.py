"""The ``keyring`` provider, against a real Secret Service (gnome-keyring)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from alphacast import CredentialError
from alphacast.providers.keyring_store import KeyringProvider

KEY = "ak_keyring_0123456789abcdef"
PROD = "ak_prod_fedcba9876543210"

pytestmark = pytest.mark.keyring


@pytest.fixture
def provider():
    return KeyringProvider()


def test_round_trip(real_keyring, provider):
    assert provider.resolve("prod") is None
    assert provider.describe_miss("prod") == (
        "no password for service 'alphacast' user 'prod' in SecretService"
    )
    where = provider.store("prod", PROD)
    assert where == "keyring SecretService service 'alphacast' user 'prod'"
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD
    assert credential.source == where
    assert provider.resolve("default") is None
    assert provider.delete("prod") is True
    assert provider.delete("prod") is False
    assert provider.resolve("prod") is None


def test_reads_what_the_keyring_cli_stored(real_keyring, provider):
    env = {**real_keyring.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    subprocess.run(
        [sys.executable, "-m", "keyring", "set", "alphacast", "prod"],
        input=f"{PROD}\n".encode(),
        env=env,
        check=True,
        timeout=60,
    )
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD


def test_keyring_cli_reads_what_the_provider_stored(real_keyring, provider):
    provider.store("staging", KEY)
    env = {**real_keyring.env, "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    result = subprocess.run(
        [sys.executable, "-m", "keyring", "get", "alphacast", "staging"],
        env=env,
        capture_output=True,
        check=True,
        timeout=60,
    )
    assert result.stdout.decode().strip() == KEY


def test_locked_collection_fails_fast(start_private_secret_service, monkeypatch, provider):
    """A locked collection without a terminal is an error at once, not a prompt."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection
    from keyring.backends import SecretService

    service = start_private_secret_service()
    if True:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", service.address)
        previous = keyring.get_keyring()
        keyring.set_keyring(SecretService.Keyring())
        try:
            provider.store("prod", PROD)
            connection = open_dbus_connection(service.address)
            try:
                collection = secretstorage.Collection(connection)
                collection.lock()
                assert collection.is_locked()
            finally:
                connection.close()
            started = time.monotonic()
            with pytest.raises(CredentialError) as caught:
                provider.resolve("prod")
            assert time.monotonic() - started < 5
            message = str(caught.value)
            assert "SecretService" in message and "locked" in message and "unlock" in message
            assert PROD not in message
        finally:
            keyring.set_keyring(previous)


def test_no_usable_backend_is_a_miss(provider):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert provider.resolve("prod") is None
        assert provider.describe_miss("prod") == "no usable keyring backend (fail.Keyring)"
        assert provider.delete("prod") is False
        with pytest.raises(CredentialError, match=r"no usable keyring backend \(fail.Keyring\)"):
            provider.store("prod", PROD)
    finally:
        keyring.set_keyring(previous)


class _BrokenBackend(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    def set_password(self, service, username, password):
        raise RuntimeError(f"refused {password}")

    def delete_password(self, service, username):
        raise RuntimeError("nope")


class _HangingBackend(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def get_password(self, service, username):
        self.release.wait(30)
        return None

    def set_password(self, service, username, password):
        self.release.wait(30)

    def delete_password(self, service, username):
        self.release.wait(30)


def test_backend_error_is_a_credential_error_without_the_key(provider):
    previous = keyring.get_keyring()
    keyring.set_keyring(_BrokenBackend())
    try:
        with pytest.raises(CredentialError) as caught:
            provider.resolve("prod")
        assert "test_keyring" in str(caught.value) or "_BrokenBackend" in str(caught.value)
        assert "ServiceUnknown" in str(caught.value)
        with pytest.raises(CredentialError) as caught:
            provider.store("prod", PROD)
        assert PROD not in str(caught.value)
    finally:
        keyring.set_keyring(previous)


def test_hanging_backend_times_out(monkeypatch):
    backend = _HangingBackend()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("ALPHACAST_KEYRING_TIMEOUT", "0.3")
    try:
        started = time.monotonic()
        with pytest.raises(CredentialError, match="did not answer within 0.3 s"):
            KeyringProvider().resolve("prod")
        assert time.monotonic() - started < 5
    finally:
        backend.release.set()
        keyring.set_keyring(previous)


def test_bad_timeout_setting(monkeypatch, provider):
    monkeypatch.setenv("ALPHACAST_KEYRING_TIMEOUT", "soon")
    with pytest.raises(CredentialError, match="ALPHACAST_KEYRING_TIMEOUT"):
        provider.resolve("prod")
