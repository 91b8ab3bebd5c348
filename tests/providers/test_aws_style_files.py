"""The shared credentials file and the config file read as botocore reads AWS's.

Driven by the files in ``fixtures/aws_style`` (ours, modelled on the cases of
botocore's ``tests/unit/cfg``). Each valid file is also read with CRLF and CR-only
line endings and with a UTF-8 byte-order mark: the result must not change. The
expected values were checked against botocore's ``configloader.raw_config_parse``
and ``build_profile_map``; where we differ on purpose, the test says so.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from alphacast import Alphacast, CredentialError
from alphacast.config import config_path, profile_settings
from alphacast.providers.shared_file import SharedFileProvider, shared_file_path
from tests.conftest import ALICE_KEY

FIXTURES = Path(__file__).parent / "fixtures" / "aws_style"

ENCODINGS: dict[str, Callable[[bytes], bytes]] = {
    "lf": lambda data: data,
    "crlf": lambda data: data.replace(b"\n", b"\r\n"),
    "cr": lambda data: data.replace(b"\n", b"\r"),
    "bom": lambda data: b"\xef\xbb\xbf" + data,
    "bom-cr": lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r"),
}


@pytest.fixture(params=sorted(ENCODINGS))
def encoding(request: pytest.FixtureRequest) -> Callable[[bytes], bytes]:
    return ENCODINGS[request.param]


def install(fixture: str, target: Path, encode: Callable[[bytes], bytes] = ENCODINGS["lf"]) -> Path:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    target.write_bytes(encode((FIXTURES / fixture).read_bytes()))
    target.chmod(0o600)
    return target


def config_file(isolated_env: Path) -> Path:
    return isolated_env / ".alphacast" / "config"


def credentials_file(isolated_env: Path) -> Path:
    return isolated_env / ".alphacast" / "credentials"


def key_of(profile: str) -> str:
    credential = SharedFileProvider().resolve(profile)
    assert credential is not None
    return credential.api_key


# -- the config file ------------------------------------------------------------------


def test_every_profile_spelling_botocore_accepts(isolated_env, encoding):
    """Item 6: [profile "prod"], [profile  prod], [profile<TAB>prod] name ``prod``."""
    install("config_profile_names", config_file(isolated_env), encoding)
    assert profile_settings("quoted") == {
        "api_url": "https://quoted.example",
        "credential_chain": "vault, keyring",
    }
    assert profile_settings("spaced") == {"api_url": "https://spaced.example"}
    assert profile_settings("tabbed") == {"api_url": "https://tabbed.example"}
    assert profile_settings("two words") == {"api_url": "https://two-words.example"}
    assert profile_settings("plain") == {"api_url": "https://plain.example"}
    assert profile_settings("default") == {"api_url": "https://default.example"}
    assert profile_settings("preview") == {}  # [preview] is not a profile


@pytest.mark.parametrize("header", ['[profile "prod"]', "[profile  prod]", "[profile\tprod]"])
def test_quoted_or_spaced_profile_settings_reach_the_client(isolated_env, emulator, header):
    """Item 6, end to end: the profile's api_url is used, so the key goes to the
    emulator it names, not to the public host."""
    config_file(isolated_env).parent.mkdir(mode=0o700)
    config_file(isolated_env).write_text(
        f"{header}\napi_url = {emulator.api_url}\nworkspace_url = {emulator.workspace_url}\n"
    )
    config_file(isolated_env).chmod(0o600)
    credentials_file(isolated_env).write_text(f"[prod]\napi_key = {ALICE_KEY}\n")
    credentials_file(isolated_env).chmod(0o600)
    with Alphacast(profile="prod", timeout=5) as client:
        assert isinstance(client.repository.read_all(), list)


def test_profile_default_alone_is_the_default_profile(isolated_env):
    """Item 7: [profile default] configures the default profile."""
    config = config_file(isolated_env)
    config.parent.mkdir(mode=0o700)
    config.write_text("[profile default]\napi_url = https://pd.example\n")
    config.chmod(0o600)
    assert profile_settings("default") == {"api_url": "https://pd.example"}


@pytest.mark.parametrize(
    "fixture", ["config_default_then_profile_default", "config_profile_default_then_default"]
)
def test_default_and_profile_default_the_last_wins_whole(isolated_env, encoding, fixture):
    """Item 7: with both, botocore keeps the later section, not merged with the other."""
    install(fixture, config_file(isolated_env), encoding)
    assert profile_settings("default") == {"api_url": "https://second.example"}


def test_config_sections_never_inherit(isolated_env, encoding):
    """Item 10: [DEFAULT], [__none__] and [[no defaults]] are ordinary sections.

    (botocore copies [DEFAULT] into every section: a deliberate difference.)"""
    install("config_no_inheritance", config_file(isolated_env), encoding)
    assert profile_settings("default") == {"vault_path": "teams/default"}
    assert profile_settings("prod") == {"vault_path": "teams/prod"}
    assert profile_settings("DEFAULT") == {}
    assert profile_settings("__none__") == {}


def test_config_comments_and_whitespace(isolated_env, encoding):
    install("config_comments_and_whitespace", config_file(isolated_env), encoding)
    assert profile_settings("prod") == {
        "api_url": "https://prod.example",
        "workspace_url": "https://workspace.example",
        # As in botocore: no inline comments, the text after the value is kept.
        "vault_path": "teams/data # kept: botocore has no inline comments",
        "vault_role": "",
    }


def test_config_nested_settings_are_accepted(isolated_env, encoding):
    install("config_nested", config_file(isolated_env), encoding)
    settings = profile_settings("prod")
    assert settings["api_url"] == "https://prod.example"
    assert settings["credential_chain"] == "shared-file"
    # No alphacast setting takes sub-settings: the block is kept as its text.
    assert settings["s3"] == "\nsignature_version = s3v4\naddressing_style = path"


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("config_nested_bad", "indented line without '='"),
        ("config_bad_profile_quotes", 'section [profile "prod" "extra"] does not name exactly one'),
        ("config_bad_profile_unclosed", 'section [profile "prod] does not name exactly one'),
    ],
)
def test_malformed_config_is_an_error_naming_the_section(isolated_env, fixture, words):
    """botocore rejects the bad nested block too; it ignores the bad profile headers
    without a word, and we say what is wrong instead (a deliberate difference)."""
    install(fixture, config_file(isolated_env))
    with pytest.raises(CredentialError) as info:
        profile_settings("default")
    assert words in str(info.value) and "~/.alphacast/config" in str(info.value)


@pytest.mark.parametrize("variable", ["ALPHACAST_CONFIG_FILE", "ALPHACAST_SHARED_CREDENTIALS_FILE"])
@pytest.mark.parametrize(
    "form", ["$HOME/moved/file.ini", "${HOME}/moved/file.ini", "$ALPHA_DIR/file.ini"]
)
def test_variables_in_the_file_variables_are_expanded(isolated_env, monkeypatch, variable, form):
    """Item 8: $VAR and ${VAR} are expanded (then ~), as botocore does."""
    monkeypatch.setenv("ALPHA_DIR", str(isolated_env / "moved"))
    monkeypatch.setenv(variable, form)
    target = isolated_env / "moved" / "file.ini"
    assert (config_path() if variable == "ALPHACAST_CONFIG_FILE" else shared_file_path()) == target
    if variable == "ALPHACAST_CONFIG_FILE":
        install("config_profile_names", target)
        assert profile_settings("quoted")["api_url"] == "https://quoted.example"
    else:
        install("credentials_sections", target)
        assert key_of("prod") == "ak_prod_fedcba9876543210"


# -- the credentials file -------------------------------------------------------------


def test_credentials_sections_are_profiles_as_written(isolated_env, encoding):
    """Items 9 and 15: the same keys whatever the line endings, with or without a BOM.
    As in botocore, [profile prod] in the credentials file is profile 'profile prod'."""
    install("credentials_sections", credentials_file(isolated_env), encoding)
    assert key_of("default") == "ak_default_0123456789abcdef"
    assert key_of("prod") == "ak_prod_fedcba9876543210"
    assert key_of("profile prod") == "ak_profileprod_0123456789"


def test_credentials_sections_never_inherit(isolated_env, encoding):
    """Item 10 for the credentials file: no section lends its api_key to another."""
    install("credentials_no_inheritance", credentials_file(isolated_env), encoding)
    with pytest.raises(CredentialError, match=r"section \[default\] .* has no api_key"):
        SharedFileProvider().resolve("default")
    assert key_of("prod") == "ak_prod_fedcba9876543210"
    assert key_of("DEFAULT") == "ak_upperDEFAULT_012345678"
    assert key_of("__none__") == "ak_none_0123456789abcdef"
    assert key_of("[no defaults]") == "ak_nodefaults_0123456789"


def test_credentials_comments_and_whitespace(isolated_env, encoding):
    install("credentials_comments_and_whitespace", credentials_file(isolated_env), encoding)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # surrounding spaces of a value are not the key's
        assert key_of("default") == "ak_default_0123456789abcdef"
        assert key_of("prod") == "ak_prod_fedcba9876543210"


@pytest.mark.parametrize(
    "fixture, words",
    [
        ("credentials_inline_comment", "inline comments are not supported"),
        ("credentials_empty_key", "is empty"),
        ("credentials_nested_bad", "indented line without '='"),
    ],
)
def test_credentials_errors_name_the_fix_not_the_key(isolated_env, fixture, words):
    install(fixture, credentials_file(isolated_env))
    with pytest.raises(CredentialError) as info:
        SharedFileProvider().resolve("default")
    assert words in str(info.value)
    assert "0123456789" not in str(info.value)


@pytest.mark.parametrize("name", ["cr", "crlf", "bom", "bom-cr"])
def test_store_keeps_the_file_readable_and_its_comments(isolated_env, name):
    path = install("credentials_sections", credentials_file(isolated_env), ENCODINGS[name])
    provider = SharedFileProvider()
    provider.store("prod", "ak_newprod_0123456789abcd")
    provider.store("staging", "ak_staging_0123456789abc")
    assert key_of("prod") == "ak_newprod_0123456789abcd"
    assert key_of("staging") == "ak_staging_0123456789abc"
    assert key_of("default") == "ak_default_0123456789abcdef"
    data = path.read_bytes()
    assert b"# Keys by profile" in data  # edited in place, not rewritten by configparser
    if name.endswith("-cr") or name == "cr":  # new lines take the file's line endings
        assert b"\n" not in data
    elif name == "crlf":
        assert data.count(b"\r\n") == data.count(b"\n")


def test_the_differences_from_botocore_are_documented():
    """Item 11: each deliberate difference is a row of the table on the provider's page."""
    page = (Path(__file__).parents[2] / "docs" / "providers" / "shared-file.rst").read_text()
    table = page.split("Where we differ from botocore, on purpose:", 1)[1].split(
        "\nSecurity properties", 1
    )[0]
    assert ".. list-table::" in table
    rows = table.split("   * - ")[2:]  # the first row is the header
    cases = [row.splitlines()[0] for row in rows]
    for case in ["``api_key =`` (empty)", "A ``[DEFAULT]`` section", "A UTF-8 byte-order mark"]:
        assert any(line.startswith(case) for line in cases), case
    assert any("without ``api_key``" in line for line in cases)
    assert all(row.count("\n     - ") == 2 for row in rows)  # botocore's way, then ours
