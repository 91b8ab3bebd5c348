"""Command-line conventions: global options anywhere, one-line warnings, "did you
mean", unknown names in the environment reported, no self-contradicting message."""

from __future__ import annotations

import json

from .cli_helpers import run_cli
from .conftest import ALICE_KEY

ENV = {"ALPHACAST_API_KEY": ALICE_KEY}


def test_global_options_before_or_after_the_subcommand():
    run_cli("auth", "set", "prod", "--store", "shared-file", stdin=ALICE_KEY, secrets=(ALICE_KEY,))
    before = run_cli("--json", "--profile", "prod", "auth", "which", secrets=(ALICE_KEY,)).stdout
    after = run_cli("auth", "which", "--json", "--profile", "prod", secrets=(ALICE_KEY,)).stdout
    assert json.loads(before) == json.loads(after)
    assert json.loads(before)["profile"] == "prod"
    for argv in (["--debug", "auth", "which"], ["auth", "which", "--debug"]):
        result = run_cli(*argv, env=ENV, secrets=(ALICE_KEY,))
        assert "DEBUG" in result.stderr or "INFO alphacast" in result.stderr


def test_a_warning_is_one_line_without_a_python_file():
    result = run_cli("auth", "which", env={"ALPHACAST_API_KEY": f'"{ALICE_KEY}"'}, secrets=(ALICE_KEY,))
    assert result.stderr == (
        "alphacast: warning: env: the key from ALPHACAST_API_KEY had surrounding quotes; "
        "they were stripped (fix the stored value to silence this warning)\n"
    )


def test_did_you_mean_for_a_mistyped_command():
    result = run_cli("atuh", check=False)
    assert result.returncode == 2
    assert "invalid choice: 'atuh'" in result.stderr and "(did you mean 'auth'?)" in result.stderr
    result = run_cli("auth", "stauts", check=False)
    assert "(did you mean 'status'?)" in result.stderr


def test_unknown_names_in_the_plugin_variables_are_reported():
    result = run_cli("auth", "which", env={**ENV, "ALPHACAST_DISABLE_PLUGINS": "vualt"}, secrets=(ALICE_KEY,))
    assert (
        "alphacast: warning: ALPHACAST_DISABLE_PLUGINS names 'vualt', which is no installed "
        "plugin nor provider (did you mean 'vault'?)\n"
    ) in result.stderr
    known = run_cli("auth", "which", env={**ENV, "ALPHACAST_DISABLE_PLUGINS": "vault"}, secrets=(ALICE_KEY,))
    assert "warning" not in known.stderr
    chain = run_cli("auth", "which", env={**ENV, "ALPHACAST_CREDENTIAL_CHAIN": "env,vualt"}, check=False)
    assert chain.returncode == 1 and "unknown credential provider 'vualt'" in chain.stderr


def test_profile_default_with_a_key_in_the_environment_says_what_to_do():
    result = run_cli("auth", "which", "--profile", "default", env=ENV, check=False)
    assert result.returncode == 1
    assert "only serves the default profile" not in result.stderr
    assert "leave out --profile default to use it" in result.stderr
