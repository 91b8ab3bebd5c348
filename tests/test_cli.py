"""The command line, run as a user runs it: a real process, real files, the emulator."""

from __future__ import annotations

import argparse
import configparser
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
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
        encoding="utf-8",
        # The same bytes whatever the machine's locale (a test may override it).
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **(env or {})},
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
    assert result.returncode == 1
    assert "'env' is not a store that can hold keys; choose one of" in result.stderr


def test_auth_set_suggests_the_store_meant():
    result = alphacast("auth", "set", "prod", "--store", "keyrng", stdin=KEY, check=False)
    assert result.returncode == 1
    assert "'keyrng' is not a store that can hold keys (did you mean 'keyring'?)" in result.stderr


#: A key that is not shaped like one (no ``ak_``): only the CLI's own care hides it.
PLAIN_KEY = "Zq8Xw3Lk5Jh2Gf7DpR4sT6vY"


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY])
def test_a_key_pasted_on_the_command_line_is_not_echoed_nor_stored(isolated_env: Path, key):
    result = alphacast("auth", "set", "prod", key, "--store", "shared-file", check=False)
    assert result.returncode == 2
    assert "1 unexpected argument not shown (it could be a key)" in result.stderr
    assert "`alphacast auth set PROFILE` asks for it, or reads it from stdin" in result.stderr
    assert key not in result.stderr and key[:8] not in result.stderr
    assert not (isolated_env / ".alphacast").exists()


@pytest.mark.parametrize(
    "argv",
    [
        ["{key}"],
        ["auth", "{key}"],
        ["datasets", "download", "{key}"],
        ["auth", "which", "--{key}"],
        ["search", "--all={key}", "gdp"],
        ["auth", "which", "--profile", "prod", "{key}"],
        ["auth", "which", "-h{key}"],
        ["emulator", "--port", "{key}"],
        ["emulator", "--fail-rate", "{key}"],
    ],
    ids=[
        "command",
        "subcommand",
        "int-argument",
        "option-name",
        "flag-value",
        "stray",
        "attached-to-a-short-flag",
        "emulator-int",
        "emulator-rate",
    ],
)
def test_no_usage_error_repeats_a_key_wherever_it_is_pasted(argv):
    result = alphacast(*(word.format(key=PLAIN_KEY) for word in argv), check=False)
    if argv[-1].startswith("-h") and sys.version_info >= (3, 13):
        # Python 3.13's argparse reads "-hXYZ" as -h followed by more short flags and
        # prints the help, where 3.11 and 3.12 refuse the attached value.
        assert result.returncode == 0 and result.stdout.startswith("usage:")
    else:
        assert result.returncode == 2 and "error:" in result.stderr
    output = result.stdout + result.stderr
    assert PLAIN_KEY not in output and PLAIN_KEY[:12] not in output


def test_short_mistakes_are_still_shown_as_typed():
    result = alphacast("atuh", check=False)
    assert "invalid choice: 'atuh'" in result.stderr
    result = alphacast("search", "--exclude-deprecated=yes", "gdp", check=False)
    assert "argument --exclude-deprecated: ignored explicit argument 'yes'" in result.stderr


def test_a_key_given_as_the_profile_is_neither_stored_nor_shown(isolated_env: Path):
    result = alphacast("auth", "set", KEY, "--store", "shared-file", stdin=KEY, check=False)
    assert result.returncode == 2  # refused by the parser, before anything runs
    assert "the profile name looks like an API key (not shown)" in result.stderr
    assert not (isolated_env / ".alphacast").exists()


def test_auth_set_with_no_key_on_stdin_stores_nothing_and_says_how(isolated_env: Path):
    result = alphacast("auth", "set", "prod", "--store", "shared-file", stdin="\n", check=False)
    assert result.returncode == 1
    assert "auth: no key was given: type it at the prompt, or pipe it on stdin" in result.stderr
    assert not (isolated_env / ".alphacast" / "credentials").exists()


def test_a_mistyped_option_is_still_named():
    result = alphacast("auth", "which", "--jsno", PLAIN_KEY, check=False)
    assert result.returncode == 2
    assert "unrecognized arguments: --jsno; 1 unexpected argument not shown" in result.stderr
    assert PLAIN_KEY not in result.stderr


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY.lower()])
def test_a_key_given_as_the_store_is_not_echoed(key):
    result = alphacast("auth", "set", "prod", "--store", key, stdin=KEY, check=False)
    assert result.returncode == 1
    assert "the --store value is not a store that can hold keys; choose one of:" in result.stderr
    assert key not in result.stderr


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


# -- output: closed pipes, non-ASCII JSON, help texts ---------------------------------


@pytest.mark.parametrize(
    "argv", [["auth", "list"], ["auth", "list", "--json"], ["plugins", "--json"], ["--help"]]
)
def test_a_reader_that_is_already_gone_gets_no_traceback(argv: list[str]):
    """stdout is a pipe whose reading end is closed: every write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "alphacast", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr
    assert result.stderr == ""
    if argv != ["--help"]:  # argparse itself swallows a failed write of the help
        assert result.returncode == 141


@pytest.fixture
def big_dataset(emulator) -> Iterator[int]:
    """A dataset whose CSV is far larger than a pipe's buffer (64 KiB on Linux)."""
    from alphacast import Alphacast

    rows = "".join(f"{2000 + i // 400}-01-01,country {i % 400:03d},{i}\n" for i in range(12_000))
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as client:
        repo = client.repository.create(f"cli pipe {time.monotonic_ns()}")
        dataset = client.datasets.dataset(client.datasets.create("pipe", repo["id"])["id"])
        process = json.loads(
            dataset.upload_data_from_csv(
                "Date,country,value\n" + rows,
                dateColumnName="Date",
                dateFormat="%Y-%m-%d",
                entitiesColumnNames=["country"],
            )
        )
        for _ in range(600):
            state = json.loads(dataset.process(process["id"]))
            if state["status"] not in ("Requested", "Processing"):
                break
            time.sleep(0.05)
        assert state["status"] == "Processed", state
        yield dataset.dataset_id


def test_download_into_a_reader_that_stops_early_exits_quietly(emulator, big_dataset: int):
    """`alphacast datasets download ID | head -1`, with a reader that reads one line."""
    env = {
        **os.environ,
        "ALPHACAST_API_URL": emulator.api_url,
        "ALPHACAST_WORKSPACE_URL": emulator.workspace_url,
        "ALPHACAST_API_KEY": ALICE_KEY,
    }
    writer = subprocess.Popen(
        [sys.executable, "-m", "alphacast", "datasets", "download", str(big_dataset)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert writer.stdout is not None and writer.stderr is not None
    reader = subprocess.run(
        [sys.executable, "-c", "import sys; print(sys.stdin.readline(), end='')"],
        stdin=writer.stdout,
        capture_output=True,
        text=True,
        timeout=120,
    )
    writer.stdout.close()  # now no process holds the pipe's reading end
    stderr = writer.stderr.read().decode()
    writer.stderr.close()
    assert writer.wait(timeout=120) == 141, stderr
    assert reader.stdout == "Date,country,value\n"
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
    assert stderr == ""


def test_json_output_prints_the_fingerprint_ellipsis_as_itself():
    env = {"ALPHACAST_API_KEY": KEY}
    which = alphacast("auth", "which", "--json", env=env).stdout
    assert "…" + KEY[-4:] in which and "\\u2026" not in which
    assert json.loads(which)["fingerprint"] == "…" + KEY[-4:]
    listing = alphacast("auth", "list", "--json", env=env).stdout
    assert "…" + KEY[-4:] in listing and "\\u2026" not in listing


def test_json_output_falls_back_to_escapes_where_stdout_cannot_hold_the_ellipsis():
    env = {"ALPHACAST_API_KEY": KEY, "PYTHONIOENCODING": "ascii"}
    result = alphacast("auth", "which", "--json", env=env)
    assert "\\u2026" + KEY[-4:] in result.stdout
    assert json.loads(result.stdout)["fingerprint"] == "…" + KEY[-4:]


def _every_parser() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    from alphacast.cli._parser import build_parser
    from alphacast.emulator.cli import build_parser as emulator_parser

    # `alphacast emulator` hands its arguments to the emulator's own parser.
    pending = [("alphacast", build_parser()), ("alphacast emulator (own parser)", emulator_parser())]
    while pending:
        path, parser = pending.pop()
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                pending += [(f"{path} {name}", child) for name, child in action.choices.items()]


def test_every_argument_of_every_command_has_a_help_text():
    seen = []
    for path, parser in _every_parser():
        seen.append(path)
        for action in parser._actions:
            name = "/".join(action.option_strings) or str(action.metavar or action.dest)
            assert action.help and action.help.strip() and action.help != argparse.SUPPRESS, (
                f"`{path}`: {name} has no help="
            )
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    assert choice.help and choice.help.strip(), f"`{path} {choice.dest}` has no help="
    # The walk reaches nested commands, those this test was written for included.
    assert {"alphacast auth delete", "alphacast datasets upload", "alphacast datasets download"} <= set(seen)
    assert {"alphacast search", "alphacast emulator", "alphacast emulator (own parser)"} <= set(seen)
