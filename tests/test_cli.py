"""The command line, run as a user runs it: a real process, real files, the emulator."""

from __future__ import annotations

import configparser
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import ALICE_KEY

KEY = "ak_cli_Zq8Xw3Lk5Jh2Gf7D"


def alphacast(*args: str, stdin: str | None = None, check: bool = True, env: dict[str, str] | None = None):
    result = subprocess.run(
        [sys.executable, "-m", "alphacast", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )
    for stream in (result.stdout, result.stderr):
        assert KEY not in stream and KEY[3:] not in stream and ALICE_KEY not in stream
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_auth_set_which_list_delete_round_trip(isolated_env: Path):
    stored = alphacast("auth", "set", "prod", "--store", "shared-file", "--json", stdin=KEY + "\n")
    assert json.loads(stored.stdout)["store"] == "shared-file"
    path = isolated_env / ".alphacast" / "credentials"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o700"

    which = json.loads(alphacast("auth", "which", "--profile", "prod", "--json").stdout)
    assert which == {
        "profile": "prod",
        "provider": "shared-file",
        "source": which["source"],
        "fingerprint": "…" + KEY[-4:],
    }
    assert "credentials" in which["source"] and "prod" in which["source"]

    listing = json.loads(alphacast("auth", "list", "--profile", "prod", "--json").stdout)
    statuses = {row["provider"]: row["status"] for row in listing["providers"]}
    assert statuses["shared-file"] == "resolved"
    assert statuses["env"] == "skipped"  # prod was named explicitly
    assert [row["provider"] for row in listing["providers"] if row["selected"]] == ["shared-file"]
    assert "shared-file" in alphacast("auth", "list", "--profile", "prod").stdout

    deleted = json.loads(alphacast("auth", "delete", "prod", "--store", "shared-file", "--json").stdout)
    assert deleted["deleted"] is True
    missing = alphacast("auth", "which", "--profile", "prod", check=False)
    assert missing.returncode == 1
    assert "No Alphacast API key found for profile 'prod'" in missing.stderr
    assert "shared-file: no [prod] section" in missing.stderr


def test_auth_set_refuses_a_store_that_cannot_hold_keys():
    result = alphacast("auth", "set", "prod", "--store", "env", stdin=KEY, check=False)
    assert result.returncode == 1 and "choose one of" in result.stderr


def test_twenty_concurrent_auth_set_calls_leave_twenty_profiles(isolated_env: Path):
    def store(i: int):
        return alphacast("auth", "set", f"p{i}", "--store", "shared-file", stdin=f"ak_concurrent_{i:04d}_xxxxxxxx")

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(store, range(20)))
    parser = configparser.ConfigParser()
    parser.read(isolated_env / ".alphacast" / "credentials")
    assert sorted(parser.sections()) == sorted(f"p{i}" for i in range(20))
    assert all(parser[f"p{i}"]["api_key"] == f"ak_concurrent_{i:04d}_xxxxxxxx" for i in range(20))


def test_auth_test_explains_success_and_a_401(emulator):
    env = {"ALPHACAST_API_URL": emulator.api_url, "ALPHACAST_WORKSPACE_URL": emulator.workspace_url}
    ok = json.loads(alphacast("auth", "test", "--json", env={**env, "ALPHACAST_API_KEY": ALICE_KEY}).stdout)
    assert ok["ok"] is True and ok["provider"] == "env"
    bad = alphacast("auth", "test", env={**env, "ALPHACAST_API_KEY": KEY}, check=False)
    assert bad.returncode == 1
    assert "API failed with status code 401" in bad.stderr
    assert "ALPHACAST_API_KEY" in bad.stderr and "regenerat" in bad.stderr


def test_datasets_upload_download_and_search(emulator, tmp_path: Path):
    from alphacast import Alphacast

    env = {
        "ALPHACAST_API_URL": emulator.api_url,
        "ALPHACAST_WORKSPACE_URL": emulator.workspace_url,
        "ALPHACAST_API_KEY": ALICE_KEY,
    }
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as client:
        repo = client.repository.create(f"cli {os.getpid()} {tmp_path.name}")
        dataset = client.datasets.create("cli data", repo["id"])
    source = tmp_path / "in.csv"
    source.write_text("Date,country,value\n2020-01-01,AR,1\n2021-01-01,AR,2\n")
    uploaded = json.loads(alphacast("datasets", "upload", str(dataset["id"]), str(source), "--json", env=env).stdout)
    assert uploaded["status"] == "Requested"
    target = tmp_path / "out.csv"
    for _ in range(100):
        alphacast("datasets", "download", str(dataset["id"]), "-o", str(target), env=env)
        if target.read_text().count("\n") >= 3:
            break
    assert "2021-01-01" in target.read_text()
    found = json.loads(alphacast("search", "cli data", "--json", env=env).stdout)
    assert dataset["id"] in [d["id"] for d in found["data"]]


def test_demo_runs_offline_and_shows_both_providers():
    result = alphacast("demo")
    assert "provider='env'" in result.stdout
    assert "provider='shared-file'" in result.stdout
    assert "refused as expected" in result.stdout
    assert "Done." in result.stdout


@pytest.mark.parametrize("argv", [["--help"], ["auth", "--help"], ["datasets", "--help"], ["emulator", "--help"]])
def test_help_works_for_every_command_group(argv: list[str]):
    assert "usage" in alphacast(*argv).stdout
