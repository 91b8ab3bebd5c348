"""The ``shared-file`` provider: ~/.alphacast/credentials, INI like AWS's."""

from __future__ import annotations

import stat
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphacast import AlphacastError, AlphacastWarning, CredentialError
from alphacast.providers.shared_file import SharedFileProvider
from tests.providers.helpers import assert_stored_or_refused

KEY = "ak_shared_0123456789abcdef"
PROD = "ak_prod_fedcba9876543210"


@pytest.fixture
def provider():
    return SharedFileProvider()


@pytest.fixture
def credentials_file(isolated_env):
    return isolated_env / ".alphacast" / "credentials"


def write(path: Path, text: str, mode: int = 0o600) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def test_reads_sections(provider, credentials_file):
    write(credentials_file, f"[default]\napi_key = {KEY}\n\n[prod]\napi_key={PROD}\n")
    default, prod = provider.resolve("default"), provider.resolve("prod")
    assert default is not None and default.api_key == KEY
    assert prod is not None and prod.api_key == PROD
    assert prod.source == "~/.alphacast/credentials [prod]"


def test_missing_file(provider):
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == "~/.alphacast/credentials does not exist"


def test_missing_section(provider, credentials_file):
    write(credentials_file, f"[default]\napi_key = {KEY}\n")
    assert provider.resolve("prod") is None
    assert provider.describe_miss("prod") == "no [prod] section in ~/.alphacast/credentials"


def test_moved_by_variable(provider, monkeypatch, tmp_path):
    path = tmp_path / "elsewhere.ini"
    write(path, f"[default]\napi_key = {KEY}\n")
    monkeypatch.setenv("ALPHACAST_SHARED_CREDENTIALS_FILE", str(path))
    credential = provider.resolve("default")
    assert credential is not None and credential.source == f"{path} [default]"


def test_no_interpolation(provider, credentials_file):
    write(credentials_file, "[default]\napi_key = ak_%(x)s_0123456789abcd\n")
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == "ak_%(x)s_0123456789abcd"


def test_section_without_api_key(provider, credentials_file):
    write(credentials_file, "[prod]\nregion = eu\n")
    with pytest.raises(CredentialError) as caught:
        provider.resolve("prod")
    message = str(caught.value)
    assert "[prod]" in message and "~/.alphacast/credentials" in message
    assert "api_key = <your key>" in message


@pytest.mark.parametrize(
    "text, where",
    [
        (f"api_key = {KEY}\n", "line 1 is outside any [section]"),
        (f"[a]\napi_key = {KEY}\n[a]\napi_key = {PROD}\n", "line 3 repeats a section"),
        (f"[a]\napi_key = {KEY}\napi_key = {PROD}\n", "line 3 repeats a setting"),
        (f"[a]\n{KEY}\n", "line 2 cannot be parsed"),
    ],
)
def test_malformed_ini_names_file_line_and_fix(provider, credentials_file, text, where):
    write(credentials_file, text)
    with pytest.raises(CredentialError) as caught:
        provider.resolve("a")
    message = str(caught.value)
    assert where in message and "~/.alphacast/credentials" in message and "fix" in message
    assert KEY[3:10] not in message and PROD[3:10] not in message


def test_group_readable_file_is_refused(provider, credentials_file):
    write(credentials_file, f"[default]\napi_key = {KEY}\n", mode=0o640)
    with pytest.raises(CredentialError, match="chmod 600 ~/.alphacast/credentials"):
        provider.resolve("default")


def test_store_creates_private_file(provider, credentials_file):
    assert provider.store("prod", PROD) == "~/.alphacast/credentials [prod]"
    assert stat.S_IMODE(credentials_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials_file.parent.stat().st_mode) == 0o700
    assert credentials_file.read_text() == f"[prod]\napi_key = {PROD}\n"


def test_store_keeps_other_sections_and_comments(provider, credentials_file):
    original = (
        "# my keys\n[default]\napi_key = ak_old_0123456789abcdef\nregion = eu\n\n"
        f"; production\n[prod]\napi_key = {PROD}\n"
    )
    write(credentials_file, original)
    provider.store("default", KEY)
    assert credentials_file.read_text() == original.replace("ak_old_0123456789abcdef", KEY)
    provider.store("staging", "ak_staging_0123456789ab")
    text = credentials_file.read_text()
    assert text.startswith(original.replace("ak_old_0123456789abcdef", KEY))
    assert text.endswith("\n[staging]\napi_key = ak_staging_0123456789ab\n")


def test_store_replaces_continuation_lines(provider, credentials_file):
    write(credentials_file, "[prod]\napi_key = ak_part_one\n  part_two\nother = 1\n")
    provider.store("prod", PROD)
    assert credentials_file.read_text() == f"[prod]\napi_key = {PROD}\nother = 1\n"


def test_store_into_section_without_key(provider, credentials_file):
    write(credentials_file, "[prod]\nregion = eu\n")
    provider.store("prod", PROD)
    credential = provider.resolve("prod")
    assert credential is not None and credential.api_key == PROD
    assert "region = eu" in credentials_file.read_text()


def test_store_refuses_to_overwrite_malformed_file(provider, credentials_file):
    write(credentials_file, "garbage without section\n")
    with pytest.raises(CredentialError, match="line 1"):
        provider.store("prod", PROD)
    assert credentials_file.read_text() == "garbage without section\n"


@pytest.mark.parametrize("profile", ["", " prod", "a]b", "a[b", "x\ny"])
def test_store_refuses_profile_names_that_break_ini(provider, profile):
    with pytest.raises(CredentialError, match="cannot be stored"):
        provider.store(profile, PROD)


def test_delete_keeps_other_sections(provider, credentials_file):
    write(credentials_file, f"[default]\napi_key = {KEY}\n\n[prod]\napi_key = {PROD}\n")
    assert provider.delete("default") is True
    assert credentials_file.read_text() == f"[prod]\napi_key = {PROD}\n"
    assert provider.delete("default") is False


def test_delete_keeps_section_with_other_settings(provider, credentials_file):
    write(credentials_file, f"[prod]\napi_key = {PROD}\nregion = eu\n")
    assert provider.delete("prod") is True
    assert credentials_file.read_text() == "[prod]\nregion = eu\n"


def test_delete_without_file(provider):
    assert provider.delete("prod") is False


NAMES = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12)
KEYS = st.text(
    alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=16, max_size=40
).map(lambda s: "ak_" + s)
JUNK = st.sampled_from(["[", "]", "=", ":", "  ", "\t", ";", "#", "%", "[x", "api_key", "\r", ""])


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=KEYS,
    profile=NAMES,
    junk=st.lists(st.one_of(JUNK, st.text(max_size=20)), max_size=6),
    position=st.integers(0, 6),
)
def test_random_ini_only_raises_alphacast_errors(
    provider, credentials_file, key, profile, junk, position
):
    lines = [f"[{profile}]", f"api_key = {key}"]
    lines[min(position, len(lines)) : min(position, len(lines))] = junk
    write(credentials_file, "\n".join(lines))
    try:
        with warnings.catch_warnings():
            # Surrounding whitespace is stripped with a warning: not an error.
            warnings.simplefilter("ignore", AlphacastWarning)
            credential = provider.resolve(profile)
    except AlphacastError as exc:
        assert key[3:11] not in str(exc)
    else:
        if credential is not None:
            assert key[3:] not in repr(credential)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(existing=st.dictionaries(NAMES, KEYS, max_size=4), profile=NAMES, key=KEYS)
def test_store_round_trips_and_preserves_others(provider, credentials_file, existing, profile, key):
    credentials_file.unlink(missing_ok=True)
    for name, value in existing.items():
        provider.store(name, value)
    provider.store(profile, key)
    expected = {**existing, profile: key}
    for name, value in expected.items():
        credential = provider.resolve(name)
        assert credential is not None and credential.api_key == value
    assert provider.delete(profile) is True
    for name, value in existing.items():
        if name != profile:
            credential = provider.resolve(name)
            assert credential is not None and credential.api_key == value
    assert provider.resolve(profile) is None


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.text(max_size=40))
def test_random_keys_to_store_only_raise_alphacast_errors(provider, credentials_file, key):
    assert_stored_or_refused(provider, key)
