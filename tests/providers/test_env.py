"""The ``env`` provider: ALPHACAST_API_KEY and ALPHACAST_API_KEY_FILE."""

from __future__ import annotations

import pytest

from alphacast import CredentialError, NoCredentialError
from alphacast.chain import resolve_profile
from alphacast.providers.env import EnvironmentProvider

KEY = "ak_env_0123456789abcdef"


@pytest.fixture
def provider():
    return EnvironmentProvider()


def test_variable_serves_default_profile(provider, monkeypatch):
    monkeypatch.setenv("ALPHACAST_API_KEY", KEY)
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert credential.source == "ALPHACAST_API_KEY"


def test_variable_serves_alphacast_profile_only(provider, monkeypatch):
    monkeypatch.setenv("ALPHACAST_API_KEY", KEY)
    monkeypatch.setenv("ALPHACAST_PROFILE", "prod")
    assert provider.resolve("prod") is not None
    assert provider.resolve("staging") is None
    assert "only serves" in provider.describe_miss("staging")


def test_an_explicit_profile_is_not_told_to_set_the_variable_it_ignores(monkeypatch):
    monkeypatch.setenv("ALPHACAST_API_KEY", KEY)
    with pytest.raises(NoCredentialError) as named:
        resolve_profile("prod")
    text = str(named.value)
    assert "env: not consulted: profile 'prod' was named explicitly" in text
    assert "or set ALPHACAST_API_KEY" not in text
    assert text.endswith(
        "To store a key: `alphacast auth set prod --store shared-file` (reads the key from "
        "stdin). ALPHACAST_API_KEY serves a profile selected with ALPHACAST_PROFILE, not "
        "one named in code or with --profile."
    )
    # Selected through ALPHACAST_PROFILE, the variable would serve it: say so.
    monkeypatch.delenv("ALPHACAST_API_KEY")
    monkeypatch.setenv("ALPHACAST_PROFILE", "prod")
    with pytest.raises(NoCredentialError) as selected:
        resolve_profile()
    assert str(selected.value).endswith(
        "`alphacast auth set prod --store shared-file` (reads the key from stdin), "
        "or set ALPHACAST_API_KEY."
    )


def test_miss_names_both_variables(provider):
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == (
        "ALPHACAST_API_KEY is not set (nor ALPHACAST_API_KEY_FILE)"
    )


def test_key_file_with_trailing_newline(provider, monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY + "\n")
    path.chmod(0o600)
    monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(path))
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert credential.source.startswith("ALPHACAST_API_KEY_FILE=")
    assert KEY not in credential.source


def test_world_readable_key_file_is_refused(provider, monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_text(KEY)
    path.chmod(0o644)
    monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(path))
    with pytest.raises(CredentialError, match="chmod 600") as caught:
        provider.resolve("default")
    assert KEY not in str(caught.value)


def test_missing_key_file_is_an_error(provider, monkeypatch, tmp_path):
    monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(tmp_path / "absent"))
    with pytest.raises(CredentialError, match="does not exist"):
        provider.resolve("default")


def test_both_variables_is_an_error(provider, monkeypatch, tmp_path):
    monkeypatch.setenv("ALPHACAST_API_KEY", KEY)
    monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(tmp_path / "key"))
    with pytest.raises(CredentialError, match="unset one of them") as caught:
        provider.resolve("default")
    assert KEY not in str(caught.value)


def test_binary_key_file_is_an_error(provider, monkeypatch, tmp_path):
    path = tmp_path / "key"
    path.write_bytes(b"\xff\xfe\x00")
    path.chmod(0o600)
    monkeypatch.setenv("ALPHACAST_API_KEY_FILE", str(path))
    with pytest.raises(CredentialError, match="not UTF-8"):
        provider.resolve("default")
