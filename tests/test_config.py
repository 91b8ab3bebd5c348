"""The config file and profile selection, including malformed input on purpose."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphacast import AlphacastError, CredentialError
from alphacast.config import config_path, profile_settings, select_profile


def write_private(path: Path, data: bytes | str, mode: int = 0o600) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)
    return path


def test_profile_selection_order(monkeypatch: pytest.MonkeyPatch):
    assert select_profile(None) == ("default", False)
    monkeypatch.setenv("ALPHACAST_PROFILE", "staging")
    assert select_profile(None) == ("staging", False)
    assert select_profile("prod") == ("prod", True)


@pytest.mark.parametrize("where", ["argument", "ALPHACAST_PROFILE"])
def test_a_key_given_as_the_profile_is_refused_without_showing_it(monkeypatch, where):
    key = "ak_live_0123456789abcdef"
    if where == "argument":
        call = lambda: select_profile(key)  # noqa: E731
    else:
        monkeypatch.setenv("ALPHACAST_PROFILE", key)
        call = lambda: select_profile(None)  # noqa: E731
    with pytest.raises(CredentialError) as info:
        call()
    assert "the profile name looks like an API key (not shown)" in str(info.value)
    assert key not in str(info.value) and info.value.provider == "config"
    assert select_profile("prod-eu_2.archive") == ("prod-eu_2.archive", True)


def test_sections_and_location(isolated_env: Path, monkeypatch: pytest.MonkeyPatch):
    write_private(
        isolated_env / ".alphacast" / "config",
        "[default]\napi_url = https://a.example\n[profile prod]\nworkspace_url = https://w.example\n",
    )
    assert profile_settings("default") == {"api_url": "https://a.example"}
    assert profile_settings("prod") == {"workspace_url": "https://w.example"}
    assert profile_settings("missing") == {}
    other = write_private(isolated_env / "elsewhere.ini", "[profile x]\na = b\n")
    monkeypatch.setenv("ALPHACAST_CONFIG_FILE", str(other))
    assert config_path() == other and profile_settings("x") == {"a": "b"}


def test_group_readable_config_is_refused_with_the_fix(isolated_env: Path):
    write_private(isolated_env / ".alphacast" / "config", "[default]\n", mode=0o644)
    with pytest.raises(CredentialError) as info:
        profile_settings("default")
    assert "chmod 600" in str(info.value) and "config" in str(info.value)


def test_a_malformed_config_names_the_file_and_the_fix(isolated_env: Path):
    write_private(isolated_env / ".alphacast" / "config", "no section header\n")
    with pytest.raises(CredentialError, match=r"not a valid INI file.*\[profile NAME\]"):
        profile_settings("default")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_random_config_bytes_give_settings_or_a_documented_error(isolated_env: Path, data: bytes):
    path = write_private(isolated_env / ".alphacast" / "config", data)
    try:
        result = profile_settings("default")
    except AlphacastError as exc:
        assert str(path.name) in str(exc)
    else:
        assert isinstance(result, dict)
    os.unlink(path)
