"""The ``encrypted-file`` provider: ~/.alphacast/credentials.enc."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphacast import AlphacastError, CredentialError
from alphacast.providers import _encrypted_format, encrypted_file
from alphacast.providers.encrypted_file import (
    CIPHER_CHACHA20_POLY1305,
    EncryptedFileProvider,
    Entry,
    decrypt,
    encrypt,
)
from tests.providers.helpers import assert_stored_or_refused

KEY = "ak_encrypted_0123456789abcdef"
PROD = "ak_prod_fedcba9876543210"
PASSPHRASE = "s3cret passphrase"
FIXTURES = Path(__file__).parent / "fixtures"
#: The committed v1 fixture (see fixtures/make_v1.py): its passphrase and keys.
V1_PASSPHRASE = "correct horse battery staple"
V1_KEYS = {"default": "ak_v1_default_0123456789abcdef", "prod": "ak_v1_prod_fedcba9876543210"}


@pytest.fixture
def enc_file(isolated_env, monkeypatch):
    monkeypatch.setenv("ALPHACAST_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("ALPHACAST_ENCRYPTED_KDF_N", "16")  # fast; real files use 2**15
    return isolated_env / ".alphacast" / "credentials.enc"


@pytest.fixture
def provider():
    return EncryptedFileProvider()


def test_missing_file_without_passphrase_is_a_miss(provider):
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == "~/.alphacast/credentials.enc does not exist"


def test_round_trip_and_private_file(provider, enc_file):
    assert provider.store("prod", PROD) == "~/.alphacast/credentials.enc [prod]"
    assert stat.S_IMODE(enc_file.stat().st_mode) == 0o600
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD
    assert credential.source == "~/.alphacast/credentials.enc [prod]"
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == (
        "no profile 'default' in ~/.alphacast/credentials.enc"
    )


def test_nothing_readable_in_the_file(provider, enc_file):
    provider.store("very-secret-profile-name", PROD)
    data = enc_file.read_bytes()
    assert b"very-secret-profile-name" not in data and PROD.encode() not in data
    assert len(data) % 256 == (8 + 1 + 1 + 1 + 4 + 4 + 16 + 1 + 12 + 16) % 256


def test_existing_file_without_passphrase_is_an_error(provider, enc_file, monkeypatch):
    provider.store("prod", PROD)
    monkeypatch.delenv("ALPHACAST_PASSPHRASE")
    with pytest.raises(CredentialError) as caught:
        provider.resolve("prod")
    message = str(caught.value)
    assert "ALPHACAST_PASSPHRASE_FILE" in message and "ALPHACAST_PASSPHRASE" in message


def test_creating_a_file_without_passphrase_says_so(provider, enc_file, monkeypatch):
    monkeypatch.delenv("ALPHACAST_PASSPHRASE")
    with pytest.raises(CredentialError) as caught:
        provider.store("prod", PROD)
    message = str(caught.value)
    assert "no passphrase was given to encrypt the new file ~/.alphacast/credentials.enc" in message
    assert "exists" not in message and "ALPHACAST_PASSPHRASE_FILE" in message
    assert not enc_file.exists()


def test_passphrase_file(provider, enc_file, monkeypatch, tmp_path):
    provider.store("prod", PROD)
    monkeypatch.delenv("ALPHACAST_PASSPHRASE")
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    secret.chmod(0o600)
    monkeypatch.setenv("ALPHACAST_PASSPHRASE_FILE", str(secret))
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD
    secret.chmod(0o644)
    with pytest.raises(CredentialError, match="chmod 600"):
        provider.resolve("prod")


def test_prompt_when_interactive(provider, enc_file, monkeypatch):
    provider.store("prod", PROD)
    monkeypatch.delenv("ALPHACAST_PASSPHRASE")
    monkeypatch.setattr(encrypted_file, "interactive", lambda: True)
    asked = []
    monkeypatch.setattr(
        encrypted_file.getpass, "getpass", lambda prompt: asked.append(prompt) or PASSPHRASE
    )
    assert provider.resolve("prod") is not None
    assert provider.resolve("prod") is not None
    assert asked == ["Passphrase for ~/.alphacast/credentials.enc: "]


def test_wrong_passphrase(provider, enc_file, monkeypatch):
    provider.store("prod", PROD)
    monkeypatch.setenv("ALPHACAST_PASSPHRASE", "not it")
    with pytest.raises(CredentialError, match="wrong passphrase, or the file was tampered with"):
        provider.resolve("prod")


def test_kdf_runs_once_per_process(provider, enc_file, monkeypatch):
    provider.store("prod", PROD)
    calls = []
    real = _encrypted_format.derive_key
    _encrypted_format._key_cache.clear()

    def counting(passphrase, header, **where):
        before = len(_encrypted_format._key_cache)
        key = real(passphrase, header, **where)
        calls.append(len(_encrypted_format._key_cache) - before)
        return key

    monkeypatch.setattr(_encrypted_format, "derive_key", counting)
    for _ in range(3):
        assert provider.resolve("prod") is not None
    provider.store("other", KEY)
    assert provider.resolve("other") is not None
    assert sum(calls) == 1


def test_reads_committed_v1_fixture_and_upgrades_on_store(provider, enc_file, monkeypatch):
    enc_file.parent.mkdir(mode=0o700)
    shutil.copyfile(FIXTURES / "credentials-v1.enc", enc_file)
    enc_file.chmod(0o600)
    monkeypatch.setenv("ALPHACAST_PASSPHRASE", V1_PASSPHRASE)
    assert enc_file.read_bytes()[8] == 1
    for profile, key in V1_KEYS.items():
        credential = provider.resolve(profile)
        assert credential is not None and credential.api_key == key
    provider.store("staging", KEY)
    data = enc_file.read_bytes()
    assert data[8] == 2
    header, entries = decrypt(data, V1_PASSPHRASE, shown="x")
    assert header.version == 2
    assert {name: e.api_key for name, e in entries.items()} == {**V1_KEYS, "staging": KEY}
    assert all(e.stored_at for e in entries.values())


def test_v2_with_chacha20_is_read(provider, enc_file):
    data = encrypt({"prod": Entry(PROD)}, PASSPHRASE, log2_n=4, cipher=CIPHER_CHACHA20_POLY1305)
    enc_file.parent.mkdir(mode=0o700)
    enc_file.write_bytes(data)
    enc_file.chmod(0o600)
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD


def test_delete(provider, enc_file):
    provider.store("prod", PROD)
    provider.store("default", KEY)
    assert provider.delete("prod") is True
    assert provider.delete("prod") is False
    assert provider.resolve("prod") is None
    assert provider.resolve("default") is not None


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o600)


@pytest.mark.parametrize(
    "mangle, expected",
    [
        (lambda d: b"NOTMAGIC" + d[8:], "bad magic"),
        (lambda d: d[:8] + b"\x09" + d[9:], "format version 9"),
        (lambda d: d[:30], "truncated"),
        (lambda d: d[:-1], "tampered with"),
        (lambda d: d[:9] + b"\x07" + d[10:], "KDF or cipher"),
        (lambda d: d[:10] + b"\x30" + d[11:], "unreasonable scrypt parameters"),
        (lambda d: b"", "bad magic"),
    ],
)
def test_damaged_files_are_errors_with_a_fix(provider, enc_file, mangle, expected):
    provider.store("prod", PROD)
    _write(enc_file, mangle(enc_file.read_bytes()))
    with pytest.raises(CredentialError) as caught:
        provider.resolve("prod")
    message = str(caught.value)
    assert expected in message and "tampered with" in message
    assert "restore it from a backup" in message
    assert PROD[3:11] not in message


def test_every_single_byte_change_is_detected(provider, enc_file):
    provider.store("p", PROD)
    original = enc_file.read_bytes()
    assert len(original) < 400
    for position in range(len(original)):
        for flip in (0x01, 0x80):
            mangled = bytearray(original)
            mangled[position] ^= flip
            _write(enc_file, bytes(mangled))
            with pytest.raises(CredentialError) as caught:
                provider.resolve("p")
            assert "tampered with" in str(caught.value), (position, flip)
            assert PROD[3:11] not in str(caught.value)


def test_payload_that_is_not_ours_is_an_error(provider, enc_file):
    import os

    header = encrypted_file.Header(2, 4, 8, 1, os.urandom(16), 1, os.urandom(12))
    head = header.pack()
    aead = _encrypted_format._aead(header, encrypted_file.derive_key(PASSPHRASE, header))
    _write(enc_file, head + aead.encrypt(header.nonce, b"[1, 2]", head))
    with pytest.raises(CredentialError, match="not a credentials payload"):
        provider.resolve("prod")


def test_bad_kdf_setting(provider, enc_file, monkeypatch):
    monkeypatch.setenv("ALPHACAST_ENCRYPTED_KDF_N", "1000")
    with pytest.raises(CredentialError, match="power of two"):
        provider.store("prod", PROD)


def test_constructor_kdf_n_is_written_to_header(enc_file):
    EncryptedFileProvider(kdf_n=32).store("prod", PROD)
    assert enc_file.read_bytes()[10] == 5


def test_empty_passphrase_is_refused(provider, enc_file, monkeypatch):
    monkeypatch.setenv("ALPHACAST_PASSPHRASE", "")
    with pytest.raises(CredentialError, match="empty"):
        provider.store("prod", PROD)


KEYS = st.text(
    alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=16, max_size=40
).map(lambda s: "ak_" + s)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=200),
    prefix=st.sampled_from(
        [
            b"",
            b"ACENC\r\n\x1a",
            b"ACENC\r\n\x1a\x01",
            b"ACENC\r\n\x1a\x02\x01\x04\x00\x00\x00\x08\x00\x00\x00\x01",
        ]
    ),
)
def test_random_files_only_raise_alphacast_errors(provider, enc_file, data, prefix):
    _write(enc_file, prefix + data)
    with pytest.raises(AlphacastError):
        provider.resolve("prod")


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    profiles=st.dictionaries(
        st.text(min_size=1, max_size=20).filter(str.isprintable), KEYS, min_size=1, max_size=4
    )
)
def test_random_profiles_round_trip(provider, enc_file, profiles):
    enc_file.unlink(missing_ok=True)
    for name, key in profiles.items():
        provider.store(name, key)
    for name, key in profiles.items():
        credential = provider.resolve(name)
        assert credential is not None and credential.api_key == key
    _, entries = decrypt(enc_file.read_bytes(), PASSPHRASE, shown="x")
    assert {name: entry.api_key for name, entry in entries.items()} == profiles


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(key=st.text(max_size=40))
def test_random_keys_to_store_only_raise_alphacast_errors(provider, enc_file, key):
    assert_stored_or_refused(provider, key)


def _with_kdf(data: bytes, log2_n: int, r: int, p: int) -> bytes:
    """``data`` (a v2 file) with its header's scrypt parameters replaced."""
    import struct

    return data[:10] + struct.pack(">BII", log2_n, r, p) + data[19:]


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    ("log2_n", "r", "p"),
    [
        (21, 1, 1),  # 256 MiB by 128*r*n, but n >= 2**(16 r): OpenSSL's MemoryError
        (21, 1, 16),
        (24, 32, 16),  # 16 GiB
        (30, 32, 16),
        (15, 32, 16),  # 128 MiB, but 128 times the default work (several seconds)
        (15, 8, 16),  # 16 times the default work
        (18, 8, 2),  # 256 MiB and twice the most a writer may ask for
        (0, 8, 1),
        (8, 0, 1),
        (8, 8, 0),
    ],
)
def test_tampered_kdf_parameters_are_refused_before_the_kdf_runs(
    provider, enc_file, log2_n, r, p
):
    import time

    from alphacast import Alphacast

    provider.store("default", PROD)
    _write(enc_file, _with_kdf(enc_file.read_bytes(), log2_n, r, p))
    for resolve in (lambda: provider.resolve("default"), lambda: Alphacast()):
        started = time.monotonic()
        with pytest.raises(CredentialError) as caught:
            resolve()
        assert time.monotonic() - started < 2, "the KDF ran"
        error = caught.value
        assert error.provider == "encrypted-file"
        message = str(error)
        assert "~/.alphacast/credentials.enc" in message
        assert "unreasonable scrypt parameters" in message and "tampered with" in message
        assert f"n=2**{log2_n}, r={r}, p={p}" in message
        assert PROD not in message and "unexpectedly" not in message


@pytest.mark.parametrize(("log2_n", "r", "p"), [(21, 1, 1), (15, 32, 16)])
def test_derive_key_refuses_parameters_beyond_the_limits_itself(log2_n, r, p):
    header = encrypted_file.Header(2, log2_n, r, p, b"\0" * 16, 1, b"\0" * 12)
    with pytest.raises(CredentialError, match="unreasonable scrypt parameters"):
        encrypted_file.derive_key(PASSPHRASE, header, shown="x.enc")


def test_the_largest_kdf_a_writer_may_ask_for_is_readable(provider, enc_file, monkeypatch):
    monkeypatch.setenv("ALPHACAST_ENCRYPTED_KDF_N", str(2**18))
    provider.store("default", PROD)
    assert provider.resolve("default").api_key == PROD
    monkeypatch.setenv("ALPHACAST_ENCRYPTED_KDF_N", str(2**19))
    with pytest.raises(CredentialError, match="power of two from 2 to 2"):
        provider.store("default", PROD)
