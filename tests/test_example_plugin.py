"""The example third-party plugin, examples/alphacast-secrets-dir, installed as a real
distribution: discovered through its entry point, used by the chain with no
configuration, and ordered after the built-in providers.

CI installs it (``pip install ./examples/alphacast-secrets-dir``, see the README's
test command) and runs its own tests, the SDK's contract suite among them; elsewhere
the tests skip with the command to run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from xml.etree import ElementTree

import pytest

from alphacast import plugins
from alphacast.chain import CredentialChain, resolve_profile

DISTRIBUTION = "alphacast-secrets-dir"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / DISTRIBUTION


@pytest.fixture(autouse=True)
def installed() -> metadata.Distribution:
    try:
        return metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        message = f"{DISTRIBUTION} is not installed: pip install ./examples/{DISTRIBUTION}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "secrets"
    directory.mkdir()
    monkeypatch.setenv("ALPHACAST_SECRETS_DIR", str(directory))
    return directory


def test_discovered_with_its_distribution_name_and_version(installed):
    plugins.reset()
    found = plugins.registry()
    info = [p for p in found.plugins if p.name == "secrets-dir"]
    assert len(info) == 1
    assert info[0].error is None
    assert info[0].distribution == DISTRIBUTION
    assert info[0].version == installed.version
    assert info[0].providers == ("secrets-dir",)
    assert type(found.providers["secrets-dir"]).__module__ == "alphacast_secrets_dir.provider"


def test_installed_version_is_the_example_in_this_repository(installed):
    pyproject = (EXAMPLE / "pyproject.toml").read_text()
    assert f'version = "{installed.version}"' in pyproject


def test_the_default_chain_resolves_a_key_from_it_with_no_configuration(secrets):
    (secrets / "alphacast-default").write_text("ak_from_the_example_plugin_01\n")
    plugins.reset()
    resolved = resolve_profile()
    credential = resolved.current
    assert credential.provider == "secrets-dir"
    assert credential.api_key == "ak_from_the_example_plugin_01"
    assert credential.source == f"secrets-dir {secrets / 'alphacast-default'}"


def test_a_named_profile_resolves_from_its_own_file(secrets):
    (secrets / "alphacast-default").write_text("ak_default_profile_key_01\n")
    (secrets / "alphacast-prod").write_text("ak_prod_profile_key_0001\n")
    plugins.reset()
    assert resolve_profile("prod").current.api_key == "ak_prod_profile_key_0001"


def test_third_party_providers_sort_after_the_built_ins():
    plugins.reset()
    found = plugins.registry()
    order = [p.name for p in CredentialChain.for_profile("default").providers]
    built_in = [
        name for p in found.plugins if p.distribution == "alphacast" for name in p.providers
    ]
    assert built_in, "no built-in provider was discovered"
    assert "secrets-dir" in order
    position = order.index("secrets-dir")
    assert all(order.index(name) < position for name in built_in)
    assert found.providers["secrets-dir"].priority == 1000
    assert max(found.providers[name].priority for name in built_in) < 1000


def test_its_own_tests_pass_including_the_whole_contract_suite(tmp_path: Path):
    """What CI promises a plugin author: the example's tests, run from its own
    directory with its own pytest settings, pass without a skip, and they include
    every test of :class:`alphacast.testing.ProviderContract`."""
    from alphacast.testing import ProviderContract

    report = tmp_path / "report.xml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALPHACAST_")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    suite = ElementTree.parse(report).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("failures") == suite.get("errors") == suite.get("skipped") == "0"
    ran = {
        case.get("name")
        for case in suite.iter("testcase")
        if "Contract" in case.get("classname", "")
    }
    contract = {name for name in dir(ProviderContract) if name.startswith("test_")}
    assert contract and ran == contract
