"""The ``dotenv`` provider: ALPHACAST_API_KEY in ./.env or ALPHACAST_DOTENV_FILE."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alphacast import AlphacastError, AlphacastWarning, CredentialError, NoCredentialError
from alphacast.providers.dotenv_file import DotenvProvider

KEY = "ak_dotenv_0123456789abcdef"


def write_env(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.fixture
def provider():
    return DotenvProvider()


def test_reads_key_from_dotenv_in_cwd(provider):
    write_env(Path(".env"), f"OTHER=1\nALPHACAST_API_KEY={KEY}\n")
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert credential.source == "ALPHACAST_API_KEY in ./.env"
    assert credential.provider == "dotenv"


def test_never_touches_environ(provider):
    write_env(Path(".env"), f"ALPHACAST_API_KEY={KEY}\nSOMETHING_ELSE=x\n")
    before = dict(os.environ)
    assert provider.resolve("default") is not None
    assert dict(os.environ) == before


def test_quotes_export_and_comments(provider):
    write_env(Path(".env"), f'# comment\nexport ALPHACAST_API_KEY="{KEY}"  # trailing\n')
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == KEY


def test_no_dotenv_is_a_miss(provider):
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == f"no .env in {Path.cwd()}"


def test_parent_directories_are_not_searched(provider):
    write_env(Path.cwd().parent / ".env", f"ALPHACAST_API_KEY={KEY}\n")
    assert provider.resolve("default") is None


def test_dotenv_without_our_variable_is_a_miss(provider):
    write_env(Path(".env"), "DATABASE_URL=postgres://x\n")
    assert provider.resolve("default") is None
    assert provider.describe_miss("default") == "ALPHACAST_API_KEY not in ./.env"


def test_generic_api_key_is_ignored_but_hinted(provider):
    write_env(Path(".env"), f"API_KEY={KEY}\n")
    assert provider.resolve("default") is None
    why = provider.describe_miss("default")
    assert "ALPHACAST_DOTENV_KEY=API_KEY" in why and KEY not in why


def test_generic_api_key_is_read_on_opt_in(provider, monkeypatch):
    write_env(Path(".env"), f"API_KEY={KEY}\nALPHACAST_API_KEY=ak_not_this_one_12345678\n")
    monkeypatch.setenv("ALPHACAST_DOTENV_KEY", "API_KEY")
    credential = provider.resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert credential.source == "API_KEY in ./.env"


def test_invalid_opt_in_name_is_an_error(provider, monkeypatch):
    monkeypatch.setenv("ALPHACAST_DOTENV_KEY", "API KEY")
    with pytest.raises(CredentialError, match="ALPHACAST_DOTENV_KEY"):
        provider.resolve("default")


def test_named_file(provider, monkeypatch, tmp_path):
    path = write_env(tmp_path / "secrets.env", f"ALPHACAST_API_KEY={KEY}\n")
    monkeypatch.setenv("ALPHACAST_DOTENV_FILE", str(path))
    credential = provider.resolve("default")
    assert credential is not None and credential.source == f"ALPHACAST_API_KEY in {path}"


def test_named_file_missing_is_an_error(provider, monkeypatch, tmp_path):
    monkeypatch.setenv("ALPHACAST_DOTENV_FILE", str(tmp_path / "absent.env"))
    with pytest.raises(CredentialError, match="does not exist"):
        provider.resolve("default")


def test_serves_implicit_profile_only(provider, monkeypatch):
    write_env(Path(".env"), f"ALPHACAST_API_KEY={KEY}\n")
    assert provider.resolve("prod") is None
    assert "only serves" in provider.describe_miss("prod")
    monkeypatch.setenv("ALPHACAST_PROFILE", "prod")
    assert provider.resolve("prod") is not None


def test_group_readable_dotenv_is_refused(provider):
    write_env(Path(".env"), f"ALPHACAST_API_KEY={KEY}\n", mode=0o644)
    with pytest.raises(CredentialError, match=r"chmod 600 .*\.env") as caught:
        provider.resolve("default")
    assert KEY not in str(caught.value)


def test_malformed_dotenv_names_file_and_line(provider):
    write_env(Path(".env"), f"OK=1\nALPHACAST_API_KEY='{KEY}\n")
    with pytest.raises(CredentialError) as caught:
        provider.resolve("default")
    message = str(caught.value)
    assert "./.env" in message and "line 2" in message and "fix" in message
    assert KEY[:8] not in message


def test_variable_without_value_is_an_error(provider):
    write_env(Path(".env"), "ALPHACAST_API_KEY\n")
    with pytest.raises(CredentialError, match="has no value"):
        provider.resolve("default")


def test_empty_value_is_an_error(provider):
    write_env(Path(".env"), "ALPHACAST_API_KEY=\n")
    with pytest.raises(CredentialError, match="empty"):
        provider.resolve("default")


def test_not_utf8_is_an_error(provider):
    Path(".env").write_bytes(b"ALPHACAST_API_KEY=\xff\xfe\n")
    Path(".env").chmod(0o600)
    with pytest.raises(CredentialError, match="UTF-8"):
        provider.resolve("default")


KEYS = st.text(
    alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=16, max_size=40
).map(lambda s: "ak_" + s)
LINES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["'", '"', "=", "export", "#", "\\", "${", "\r", "\x00", "ALPHACAST_API_KEY"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=KEYS,
    before=st.lists(LINES, max_size=4),
    after=st.lists(LINES, max_size=4),
    quote=st.sampled_from(["", "'", '"', "'\"", " ", "\\"]),
)
def test_random_dotenv_only_raises_alphacast_errors(provider, key, before, after, quote):
    text = "\n".join([*before, f"ALPHACAST_API_KEY={quote}{key}", *after])
    path = Path(".env")
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    path.chmod(0o600)
    try:
        with warnings.catch_warnings():
            # Surrounding whitespace is stripped with a warning: not an error.
            warnings.simplefilter("ignore", AlphacastWarning)
            credential = provider.resolve("default")
    except AlphacastError as exc:
        assert key[3:11] not in str(exc)
        return
    if credential is not None:
        assert key[3:] not in repr(credential)
    assert isinstance(provider.describe_miss("default"), str)


def test_a_world_readable_env_without_our_variable_is_a_miss_not_an_error(isolated_env):
    from pathlib import Path

    from alphacast.chain import CredentialChain
    from alphacast.providers.dotenv_file import DotenvProvider

    env_file = Path.cwd() / ".env"
    env_file.write_text("DATABASE_URL=postgres://localhost/app\n")
    env_file.chmod(0o644)
    provider = DotenvProvider()
    assert provider.resolve("default") is None
    assert "ALPHACAST_API_KEY not in" in provider.describe_miss("default")
    with pytest.raises(NoCredentialError):
        CredentialChain([provider]).resolve("default")
    env_file.write_text("ALPHACAST_API_KEY=ak_world_readable_key_9999\n")
    with pytest.raises(CredentialError) as info:
        provider.resolve("default")
    assert "chmod 600" in str(info.value)
    assert "ak_world_readable_key_9999" not in str(info.value)
