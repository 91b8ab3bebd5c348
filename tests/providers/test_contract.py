"""The public provider contract (alphacast.testing) over every built-in provider
owned here: explicit, env, dotenv, shared-file, keyring and encrypted-file."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from alphacast import CredentialError
from alphacast.providers.dotenv_file import DotenvProvider
from alphacast.providers.encrypted_file import EncryptedFileProvider
from alphacast.providers.env import EnvironmentProvider
from alphacast.providers.explicit import ExplicitKeyProvider
from alphacast.providers.keyring_store import KeyringProvider
from alphacast.providers.shared_file import SharedFileProvider, shared_file_path
from alphacast.testing import KEY_A, UNKNOWN_PROFILE, ProviderContract, WritableProviderContract

TWO_PROFILES = ("default", "contract-other")


class TestExplicitContract(ProviderContract):
    entry_point = "explicit"

    def make_provider(self, tmp_path, monkeypatch):
        self._instance = ExplicitKeyProvider()
        return self._instance

    def store_key(self, provider, profile, key):
        # The explicit provider's "store" is its constructor: rebuild it in place.
        provider.__dict__.update(ExplicitKeyProvider(key).__dict__)

    # A key passed in code serves every profile, by design: these two tests check
    # that instead of a miss, and a malformed key is refused when it is passed.
    def test_unknown_profile_misses(self, tmp_path, monkeypatch):
        provider = self._provider(tmp_path, monkeypatch)
        self.store_key(provider, "default", KEY_A)
        credential = provider.resolve(UNKNOWN_PROFILE)
        assert credential is not None and credential.profile == UNKNOWN_PROFILE

    test_profiles_do_not_cross = test_unknown_profile_misses

    def test_broken_store_raises_credential_error(self, tmp_path, monkeypatch):
        with pytest.raises(CredentialError) as caught:
            ExplicitKeyProvider(KEY_A[:8] + "\n" + KEY_A[8:])
        assert KEY_A[8:] not in str(caught.value)


class TestEnvContract(ProviderContract):
    entry_point = "env"

    def make_provider(self, tmp_path, monkeypatch):
        return EnvironmentProvider()

    def store_key(self, provider, profile, key):
        assert profile == "default"
        self.monkeypatch.setenv("ALPHACAST_API_KEY", key)

    def corrupt_store(self, provider, profile):
        self.monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(self.tmp_path / "absent"))
        return True


class TestDotenvContract(ProviderContract):
    entry_point = "dotenv"

    def make_provider(self, tmp_path, monkeypatch):
        return DotenvProvider()

    def store_key(self, provider, profile, key):
        assert profile == "default"
        path = Path(".env")
        path.write_text(f"ALPHACAST_API_KEY={key}\n")
        path.chmod(0o600)

    def corrupt_store(self, provider, profile):
        Path(".env").write_text("ALPHACAST_API_KEY='unterminated\n")
        return True


class TestSharedFileContract(WritableProviderContract):
    entry_point = "shared-file"
    profiles = TWO_PROFILES

    def make_provider(self, tmp_path, monkeypatch):
        return SharedFileProvider()

    def corrupt_store(self, provider, profile):
        path = shared_file_path()
        path.write_text(path.read_text().replace(f"[{profile}]", "", 1))
        return True


class TestEncryptedFileContract(WritableProviderContract):
    entry_point = "encrypted-file"
    profiles = TWO_PROFILES

    def make_provider(self, tmp_path, monkeypatch):
        monkeypatch.setenv("ALPHACAST_PASSPHRASE", "contract passphrase")
        return EncryptedFileProvider(kdf_n=16)

    def corrupt_store(self, provider, profile):
        path = Path.home() / ".alphacast" / "credentials.enc"
        data = bytearray(path.read_bytes())
        data[-1] ^= 1
        path.write_bytes(bytes(data))
        return True


@pytest.mark.keyring
class TestKeyringContract(WritableProviderContract):
    entry_point = "keyring"
    profiles = TWO_PROFILES

    @pytest.fixture(autouse=True)
    def _secret_service(self, real_keyring):
        return real_keyring

    def make_provider(self, tmp_path, monkeypatch):
        return KeyringProvider()

    def corrupt_store(self, provider, profile):
        keyring.set_keyring(_Exploding())
        return True


class _Exploding(KeyringBackend):
    """A backend whose calls fail as a broken D-Bus connection would."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service, username):
        raise ConnectionResetError("the bus went away")

    def set_password(self, service, username, password):
        raise ConnectionResetError("the bus went away")

    def delete_password(self, service, username):
        raise ConnectionResetError("the bus went away")
