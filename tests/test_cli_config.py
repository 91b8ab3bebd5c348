"""``alphacast config list``: effective settings with their type and location, and a
connection error that names where the API URL came from."""

from __future__ import annotations

import json
from pathlib import Path

from .cli_helpers import run_cli
from .conftest import ALICE_KEY


def _rows(*args: str, env: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    result = run_cli("config", "list", "--json", *args, env=env, secrets=(ALICE_KEY, "hunter2-passphrase"))
    rows = json.loads(result.stdout)
    assert all(list(row) == ["name", "value", "type", "location"] for row in rows)
    return {row["name"]: row for row in rows}


def test_defaults_and_their_sources():
    rows = _rows()
    assert rows["profile"] == {"name": "profile", "value": "default", "type": "default", "location": ""}
    assert rows["api_url"]["value"] == "https://api.alphacast.io" and rows["api_url"]["type"] == "default"
    assert rows["credential_chain"]["value"].startswith("explicit, env, dotenv, shared-file")


def test_config_file_and_environment_are_named(isolated_env: Path):
    config = isolated_env / ".alphacast" / "config"
    config.parent.mkdir(mode=0o700)
    config.write_text("[profile prod]\napi_url = http://127.0.0.1:9\ncredential_chain = shared-file\n")
    config.chmod(0o600)
    rows = _rows(
        "--profile", "prod",
        env={"ALPHACAST_WORKSPACE_URL": "http://w.example", "ALPHACAST_API_KEY": ALICE_KEY,
             "ALPHACAST_PASSPHRASE": "hunter2-passphrase"},
    )
    assert rows["profile"]["type"] == "option" and rows["profile"]["location"] == "--profile"
    assert rows["api_url"] == {
        "name": "api_url",
        "value": "http://127.0.0.1:9",
        "type": "config-file",
        "location": "[profile prod] of ~/.alphacast/config",
    }
    assert rows["workspace_url"]["type"] == "env"
    assert rows["workspace_url"]["location"] == "ALPHACAST_WORKSPACE_URL"
    assert rows["credential_chain"]["value"] == "shared-file"
    assert rows["credential_chain"]["type"] == "config-file"
    # Every ALPHACAST_* variable in effect; secrets said to be set, never shown.
    assert rows["ALPHACAST_API_KEY"]["value"] == "(set, not shown)"
    assert rows["ALPHACAST_PASSPHRASE"]["value"] == "(set, not shown)"
    text = run_cli("config", "list", "--profile", "prod", secrets=(ALICE_KEY,)).stdout
    assert text.splitlines()[0].split() == ["NAME", "VALUE", "TYPE", "LOCATION"]


def test_a_connection_error_names_the_setting_source():
    result = run_cli(
        "auth", "test",
        env={"ALPHACAST_API_KEY": ALICE_KEY, "ALPHACAST_API_URL": "http://127.0.0.1:9"},
        secrets=(ALICE_KEY,), check=False,
    )
    assert result.returncode == 1
    assert "api_url http://127.0.0.1:9 is from ALPHACAST_API_URL: is the service (or the emulator) running" in result.stderr
