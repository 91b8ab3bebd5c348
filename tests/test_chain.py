"""The credential chain: order, fall-through, fail-closed, profiles, messages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest

from alphacast import (
    Credential,
    CredentialError,
    CredentialProvider,
    NoCredentialError,
    PluginError,
    plugins,
)
from alphacast.chain import CredentialChain, resolve_profile


class Fixed(CredentialProvider):
    def __init__(self, name: str, keys: dict[str, str], *, priority: int = 1000) -> None:
        self.name = name  # type: ignore[misc]
        self.priority = priority  # type: ignore[misc]
        self.keys = keys
        self.calls = 0

    def resolve(self, profile: str) -> Credential | None:
        self.calls += 1
        key = self.keys.get(profile)
        return None if key is None else Credential(key, provider=self.name, source=f"{self.name} dict")

    def describe_miss(self, profile: str) -> str:
        return f"nothing for {profile} in {self.name}"


class Broken(CredentialProvider):
    name = "broken"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def resolve(self, profile: str) -> Credential | None:
        raise self.exc


class WrongType(CredentialProvider):
    name = "wrong-type"

    def resolve(self, profile: str) -> Credential | None:
        return "ak_plain_string_key_123"  # type: ignore[return-value]


def test_first_provider_with_a_key_wins_and_later_ones_are_not_asked():
    first = Fixed("first", {})
    second = Fixed("second", {"default": "ak_second_key_00001"})
    third = Fixed("third", {"default": "ak_third_key_000001"})
    resolved = CredentialChain([first, second, third]).resolve("default")
    assert resolved.current.provider == "second"
    assert resolved.current.api_key == "ak_second_key_00001"
    assert third.calls == 0


def test_no_credential_lists_every_provider_in_order_and_how_to_store():
    chain = CredentialChain([Fixed("a", {}), Fixed("b", {})], broken_plugins=[("bad", "ImportError: x")])
    with pytest.raises(NoCredentialError) as info:
        chain.resolve("prod")
    text = str(info.value)
    assert text.index("a: nothing for prod in a") < text.index("b: nothing for prod in b")
    assert "bad: ImportError: x" in text
    assert "alphacast auth set prod" in text
    assert info.value.attempts == [("a", "nothing for prod in a"), ("b", "nothing for prod in b")]
    assert isinstance(info.value, CredentialError)


def test_credential_error_stops_the_chain():
    class Stops(CredentialProvider):
        name = "stops"

        def resolve(self, profile: str) -> Credential | None:
            raise CredentialError("wrong passphrase for the file")

    after = Fixed("after", {"default": "ak_other_account_key1"})
    with pytest.raises(CredentialError) as info:
        CredentialChain([Stops(), after]).resolve("default")
    assert info.value.provider == "stops"
    assert info.value.profile == "default"
    assert after.calls == 0


@pytest.mark.parametrize("exc", [RuntimeError("boom ak_secret_in_message_99"), KeyError("x"), OSError()])
def test_any_other_exception_fails_closed_as_plugin_error(exc: Exception):
    after = Fixed("after", {"default": "ak_other_account_key1"})
    with pytest.raises(PluginError) as info:
        CredentialChain([Broken(exc), after]).resolve("default")
    assert "broken" in str(info.value)
    assert "ALPHACAST_DISABLE_PLUGINS=broken" in str(info.value)
    assert "ak_secret_in_message_99" not in str(info.value)
    assert after.calls == 0
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_a_provider_returning_a_non_credential_is_refused():
    with pytest.raises(PluginError, match="not a Credential"):
        CredentialChain([WrongType()]).resolve("default")


def test_resolved_credential_is_labelled_with_the_requested_profile():
    resolved = CredentialChain([Fixed("f", {"prod": "ak_prod_key_0000001"})]).resolve("prod")
    assert resolved.current.profile == "prod"


class Ambient(Fixed):
    ambient = True


def test_ambient_providers_never_serve_an_explicitly_named_profile():
    ambient = Ambient("ambient", {"prod": "ak_wrong_account_key1"})
    chain = CredentialChain([ambient, Fixed("file", {"prod": "ak_right_account_key1"})])
    assert chain.resolve("prod", explicit=True).current.provider == "file"
    assert ambient.calls == 0
    assert chain.resolve("prod", explicit=False).current.provider == "ambient"


def test_inspect_reports_every_provider():
    chain = CredentialChain(
        [Fixed("a", {}), Fixed("b", {"default": "ak_bbbbbbbbbbbbbbbb"}), Broken(CredentialError("locked"))]
    )
    attempts = chain.inspect("default")
    assert [(a.provider, a.status) for a in attempts] == [
        ("a", "missing"),
        ("b", "resolved"),
        ("broken", "error"),
    ]
    assert attempts[1].credential is not None and attempts[1].credential.fingerprint == "…bbbb"


def _register(*providers: CredentialProvider) -> None:
    from alphacast.hookspecs import hookimpl

    @hookimpl
    def alphacast_credential_providers() -> Iterable[CredentialProvider]:
        return providers

    plugin = types.ModuleType("test_plugin")
    plugin.alphacast_credential_providers = alphacast_credential_providers  # type: ignore[attr-defined]
    plugins.register(plugin, name="test-plugin")


def test_default_order_is_priority_then_name_and_builtins_come_first():
    _register(Fixed("zzz-third", {}), Fixed("aaa-third", {}))
    names = [p.name for p in CredentialChain.for_profile("default").providers]
    assert names[:6] == ["explicit", "env", "dotenv", "shared-file", "keyring", "encrypted-file"]
    assert names[6:8] == ["process", "vault"]
    third_party = names[8:]
    assert third_party == sorted(third_party)
    assert {"aaa-third", "zzz-third"} <= set(third_party)


def test_env_variable_reorders_and_restricts_the_chain(monkeypatch: pytest.MonkeyPatch):
    _register(Fixed("one", {"default": "ak_one_one_one_one1"}), Fixed("two", {"default": "ak_two_two_two_two2"}))
    monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "two, one")
    assert resolve_profile().current.provider == "two"
    monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "nope")
    with pytest.raises(CredentialError, match="unknown credential provider 'nope'"):
        resolve_profile()


def test_config_file_orders_the_chain_per_profile(isolated_env, monkeypatch: pytest.MonkeyPatch):
    _register(Fixed("one", {"prod": "ak_one_one_one_one1"}), Fixed("two", {"prod": "ak_two_two_two_two2"}))
    config = isolated_env / ".alphacast" / "config"
    config.parent.mkdir(mode=0o700)
    config.write_text("[profile prod]\ncredential_chain = two\n")
    config.chmod(0o600)
    assert resolve_profile("prod").current.provider == "two"
    assert resolve_profile("prod", order=["one"]).current.provider == "one"


SECRETS_DIR_DISTRIBUTION = "alphacast-secrets-dir"


def require_distribution(name: str) -> None:
    """Skip unless ``name`` is installed (fail under CI, where nothing may skip)."""
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        message = f"{name} is not installed: pip install ./examples/{name}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_disable_plugins_keeps_an_installed_entry_point_plugin_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    require_distribution(SECRETS_DIR_DISTRIBUTION)
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "alphacast-default").write_text("ak_from_the_secrets_dir_0001\n")
    monkeypatch.setenv("ALPHACAST_SECRETS_DIR", str(secrets))

    # Control: nothing disabled, the default chain takes the key from the plugin.
    found = plugins.registry()
    assert [p.providers for p in found.plugins if p.name == "secrets-dir"] == [("secrets-dir",)]
    credential = resolve_profile().current
    assert credential.provider == "secrets-dir"
    assert credential.api_key == "ak_from_the_secrets_dir_0001"

    # A comma-separated list of names, spaces allowed; read when plugins are discovered.
    monkeypatch.setenv("ALPHACAST_DISABLE_PLUGINS", "vault, secrets-dir")
    plugins.reset()
    found = plugins.registry()
    # Not loaded at all: neither a working plugin nor a broken one is listed.
    assert "secrets-dir" not in found.providers
    assert [p for p in found.plugins if p.name == "secrets-dir"] == []
    assert [p for p in found.plugins if p.distribution == SECRETS_DIR_DISTRIBUTION] == []
    order = [p.name for p in CredentialChain.for_profile("default").providers]
    assert "secrets-dir" not in order and "vault" not in order
    assert order[:3] == ["explicit", "env", "dotenv"]  # the rest of the chain is intact
    with pytest.raises(NoCredentialError) as info:
        resolve_profile()
    assert "secrets-dir" not in [name for name, _ in info.value.attempts]
    assert "secrets-dir" not in str(info.value)
    # Naming it in the chain does not bring it back.
    monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "secrets-dir")
    with pytest.raises(CredentialError, match="unknown credential provider 'secrets-dir'"):
        resolve_profile()


def test_disable_plugins_blocks_in_process_plugins_and_single_providers(
    monkeypatch: pytest.MonkeyPatch,
):
    # A provider name drops that provider only; the plugin's other providers stay.
    monkeypatch.setenv("ALPHACAST_DISABLE_PLUGINS", "one")
    _register(Fixed("one", {"default": "ak_one_one_one_one1"}), Fixed("two", {}))
    found = plugins.registry()
    assert "one" not in found.providers and "two" in found.providers
    assert [p.providers for p in found.plugins if p.name == "test-plugin"] == [("two",)]

    # The plugin's name drops the plugin and everything it provides.
    monkeypatch.setenv("ALPHACAST_DISABLE_PLUGINS", "test-plugin")
    plugins.reset()
    _register(Fixed("one", {"default": "ak_one_one_one_one1"}), Fixed("two", {}))
    found = plugins.registry()
    assert not {"one", "two"} & set(found.providers)
    assert [p for p in found.plugins if p.name == "test-plugin"] == []


_IMPORT_PROBE = """
import json, sys
heavy = ("pluggy", "pandas", "keyring", "cryptography", "hvac")
def loaded():
    return sorted(m for m in heavy if m in sys.modules)
import alphacast
steps = {"import alphacast": loaded()}
from alphacast import Alphacast
steps["from alphacast import Alphacast"] = loaded()
Alphacast("ak_probe_key_0123456789").close()
steps["Alphacast(api_key)"] = loaded()
Alphacast().close()
steps["Alphacast() through the chain"] = loaded()
print(json.dumps(steps))
"""


def test_importing_the_client_loads_no_plugin_machinery_or_optional_dependency(monkeypatch):
    monkeypatch.setenv("ALPHACAST_API_KEY", "ak_probe_env_key_0123456")
    monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "env")
    out = subprocess.run(
        [sys.executable, "-c", _IMPORT_PROBE], capture_output=True, text=True, check=True
    ).stdout
    steps = json.loads(out)
    assert steps["import alphacast"] == []
    assert steps["from alphacast import Alphacast"] == []
    assert steps["Alphacast(api_key)"] == []
    # the plugin machinery loads on the first resolution through the chain
    assert "pluggy" in steps["Alphacast() through the chain"]
