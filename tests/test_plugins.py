"""Plugin discovery through real distributions on sys.path (dist-info + entry points)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from alphacast import NoCredentialError, plugins
from alphacast.chain import resolve_profile


def install_distribution(site: Path, name: str, modules: dict[str, str], entry_points: dict[str, str]) -> None:
    """Lay out a real (unzipped, wheel-style) distribution in ``site``."""
    dist_info = site / f"{name.replace('-', '_')}-1.2.3.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    lines = "\n".join(f"{ep} = {target}" for ep, target in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[alphacast]\n{lines}\n")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))


GOOD = """
    import alphacast

    class Static(alphacast.CredentialProvider):
        name = "static-test"

        def resolve(self, profile):
            if profile != "default":
                return None
            return alphacast.Credential("ak_from_plugin_dist_1234", provider=self.name, source="static")

    @alphacast.hookimpl
    def alphacast_credential_providers():
        return [Static()]
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    yield site
    for module in site.glob("*.py"):
        sys.modules.pop(module.stem, None)


def test_a_distribution_plugin_is_discovered_with_its_name_and_version(site: Path):
    install_distribution(site, "good-plugin", {"good_plugin": GOOD}, {"good": "good_plugin"})
    plugins.reset()
    found = plugins.registry()
    info = next(p for p in found.plugins if p.name == "good")
    assert (info.distribution, info.version, info.providers, info.error) == (
        "good-plugin",
        "1.2.3",
        ("static-test",),
        None,
    )
    resolved = resolve_profile()
    assert resolved.current.provider == "static-test"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("raise ImportError('missing dependency ak_leaky_secret_999')", "ImportError"),
        ("import alphacast\n@alphacast.hookimpl\ndef alphacast_credential_providers():\n    return [42]", "not a CredentialProvider"),
        ("import alphacast\n@alphacast.hookimpl\ndef alphacast_credential_providers():\n    raise RuntimeError('x')", "RuntimeError"),
        ("import alphacast\n@alphacast.hookimpl\ndef alphacast_credential_providers(wrong):\n    return []", "PluginValidationError"),
        # options pluggy would honour through pm.hook, which the SDK does not call: refused, not ignored
        ("import alphacast\n@alphacast.hookimpl(tryfirst=True)\ndef alphacast_credential_providers():\n    return []", "tryfirst=True is not honoured"),
        ("import alphacast\n@alphacast.hookimpl(trylast=True)\ndef alphacast_credential_providers():\n    return []", "trylast=True is not honoured"),
        ("import alphacast\n@alphacast.hookimpl(wrapper=True)\ndef alphacast_credential_providers():\n    return (yield)", "wrapper=True is not honoured"),
        ("import alphacast\n@alphacast.hookimpl(hookwrapper=True)\ndef alphacast_credential_providers():\n    yield", "hookwrapper=True is not honoured"),
        # a misspelt hook would contribute nothing without a word
        ("import alphacast\n@alphacast.hookimpl\ndef alphacast_credential_provider():\n    return []", "alphacast_credential_provider is not an alphacast hook"),
    ],
)
def test_a_broken_plugin_is_reported_and_does_not_break_the_sdk(site: Path, source: str, expected: str):
    install_distribution(site, "bad-plugin", {"bad_plugin": source}, {"bad": "bad_plugin"})
    plugins.reset()
    found = plugins.registry()
    info = next(p for p in found.plugins if p.name == "bad")
    assert info.error is not None and expected in info.error
    assert "ak_leaky_secret_999" not in info.error
    assert "env" in found.providers  # the built-ins still work
    with pytest.raises(NoCredentialError) as caught:
        resolve_profile()
    assert "bad:" in str(caught.value)


def test_a_third_party_plugin_cannot_take_a_builtin_providers_name(site: Path):
    install_distribution(site, "clash-plugin", {"clash_plugin": GOOD.replace("static-test", "env")}, {"clash": "clash_plugin"})
    plugins.reset()
    info = next(p for p in plugins.registry().plugins if p.name == "clash")
    assert info.error is not None and "already taken" in info.error
    assert plugins.registry().providers["env"].__module__ == "alphacast.providers.env"


def test_cli_plugins_lists_plugins_and_failures(site: Path, monkeypatch: pytest.MonkeyPatch):
    install_distribution(site, "bad-plugin", {"bad_plugin": "raise ImportError('nope')"}, {"bad": "bad_plugin"})
    monkeypatch.setenv("PYTHONPATH", str(site))
    out = subprocess.run(
        [sys.executable, "-m", "alphacast", "plugins", "--json"], capture_output=True, text=True, check=True
    ).stdout
    rows = {row["plugin"]: row for row in json.loads(out)}
    assert rows["env"]["distribution"] == "alphacast" and rows["env"]["providers"] == ["env"]
    assert "ImportError: nope" in rows["bad"]["error"]
    text = subprocess.run(
        [sys.executable, "-m", "alphacast", "plugins"], capture_output=True, text=True, check=True
    ).stdout
    assert "bad" in text and "FAILED: ImportError: nope" in text
