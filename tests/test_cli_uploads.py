"""``alphacast datasets upload`` (progress, ``--wait``) and ``alphacast datasets processes``,
through the console script against the emulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from alphacast import Alphacast

from .cli_helpers import console_script, emulator_env, run_cli
from .conftest import ALICE_KEY

FIRST = "Date,country,value\n2020-01-01,AR,1\n2021-01-01,AR,2\n"
#: A value column the dataset does not have: refused without --accept-new-columns.
NEW_COLUMN = "Date,country,value,other\n2022-01-01,AR,3,4\n"


@pytest.fixture
def setup(emulator, tmp_path: Path) -> tuple[dict[str, str], int, Path]:
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as client:
        repo = client.repository.create(f"uploads {os.getpid()} {tmp_path.name}")
        dataset = client.datasets.create("uploads", repo["id"])
    env = {**emulator_env(emulator), "ALPHACAST_API_KEY": ALICE_KEY}
    return env, int(dataset["id"]), tmp_path


def _file(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def _process(emulator, dataset_id: int, process_id: int) -> dict:
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as client:
        return json.loads(client.datasets.dataset(dataset_id).process(process_id))


def test_wait_follows_the_processing_to_its_end(setup):
    env, dataset_id, folder = setup
    result = run_cli("datasets", "upload", str(dataset_id), _file(folder, "a.csv", FIRST), "--wait", env=env)
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"uploaded: process \d+ is Requested", lines[0])
    assert re.fullmatch(r"process \d+ Processed: \d+ values added to database\.", lines[1]), lines


def test_a_failed_processing_exits_1_with_the_servers_reason(emulator, setup):
    env, dataset_id, folder = setup
    run_cli("datasets", "upload", str(dataset_id), _file(folder, "a.csv", FIRST), "--wait", env=env)
    source = _file(folder, "b.csv", NEW_COLUMN)
    result = run_cli("datasets", "upload", str(dataset_id), source, "--wait", env=env, check=False)
    assert result.returncode == 1
    process_id = int(re.match(r"uploaded: process (\d+)", result.stdout)[1])
    stored = _process(emulator, dataset_id, process_id)
    assert stored["status"] == "Failed" and "other" in stored["statusDescription"]
    assert result.stderr == (
        f"alphacast: error: upload process {process_id} of dataset {dataset_id} is Failed: "
        f"{stored['statusDescription']}\n"
    )
    # --json: the finished process on stdout, the same error on stderr.
    result = run_cli("datasets", "upload", str(dataset_id), source, "--wait", "--json", env=env, check=False)
    assert result.returncode == 1
    finished = json.loads(result.stdout)
    assert finished["status"] == "Failed" and finished["statusDescription"] == stored["statusDescription"]
    assert result.stderr.startswith(f"alphacast: error: upload process {finished['id']} of dataset")
    # Without --wait the upload itself succeeded: exit 0, and how to follow it is named.
    result = run_cli("datasets", "upload", str(dataset_id), source, env=env)
    assert f"alphacast datasets processes {dataset_id}" in result.stdout


def test_processes_lists_every_upload_with_its_outcome(emulator, setup):
    env, dataset_id, folder = setup
    assert run_cli("datasets", "processes", str(dataset_id), env=env).stdout == (
        f"dataset {dataset_id} has no upload processes\n"
    )
    run_cli("datasets", "upload", str(dataset_id), _file(folder, "a.csv", FIRST), "--wait", env=env)
    source = _file(folder, "b.csv", NEW_COLUMN)
    run_cli("datasets", "upload", str(dataset_id), source, "--wait", env=env, check=False)
    rows = json.loads(run_cli("datasets", "processes", str(dataset_id), "--json", env=env).stdout)
    assert [row["status"] for row in rows] == ["Processed", "Failed"]
    assert rows == [_process(emulator, dataset_id, row["id"]) for row in rows]
    table = run_cli("datasets", "processes", str(dataset_id), env=env).stdout.splitlines()
    assert table[0].split() == ["ID", "STATUS", "CREATED", "PROCESSED", "DESCRIPTION"]
    assert table[1].split()[:2] == [str(rows[0]["id"]), "Processed"]
    assert table[1].endswith(rows[0]["statusDescription"])
    assert rows[0]["statusDescription"].endswith("values added to database.")
    assert table[2].split()[:2] == [str(rows[1]["id"]), "Failed"]
    assert table[2].endswith(rows[1]["statusDescription"])
    missing = run_cli("datasets", "processes", "999999", env=env, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("alphacast: error: ")


def _big_csv(folder: Path) -> tuple[str, int]:
    """About 2 MB of CSV that gzip shrinks a lot."""
    rows = "".join(f"2020-01-01,C{i % 50},{i % 7}\n" for i in range(120_000))
    text = "Date,country,value\n" + rows
    return _file(folder, "big.csv", text), len(text)


def _drawn(stderr: str) -> list[str]:
    """Each state of the redrawn line."""
    return [part for part in re.split(r"[\r\n]", stderr) if part.strip()]


def test_the_bar_counts_source_bytes_from_the_start(setup):
    env, dataset_id, folder = setup
    path, size = _big_csv(folder)
    result = run_cli(
        "datasets", "upload", str(dataset_id), path, "--progress", env={**env, "COLUMNS": "200"}
    )
    drawn = _drawn(result.stderr)
    # Compression is counted, in the file's own bytes, from the first one.
    # (sent chunked while compressed: one phase, in source bytes; see test_upload_chunked.py)
    assert drawn[0].startswith(f"upload: compressing and sending 0 B / {size / 1024 / 1024:.1f} MB (0%)")
    final = drawn[-1].rstrip()
    match = re.fullmatch(
        r"upload: (?P<source>\S+ MB) as (?P<gzip>\S+ KB) gzip, sent \S+ MB / \S+ MB \(100%\) chunked in \d+\.\ds",
        final,
    )
    assert match, final
    assert match["source"] == f"{size / 1024 / 1024:.1f} MB"  # the source's size, not the gzip's


def test_the_bar_fits_the_terminal(setup):
    env, dataset_id, folder = setup
    path, _ = _big_csv(folder)
    result = run_cli(
        "datasets", "upload", str(dataset_id), path, "--progress", "--wait", env={**env, "COLUMNS": "40"}
    )
    drawn = _drawn(result.stderr)
    assert len(drawn) >= 3
    assert all(len(line) <= 39 for line in drawn), drawn  # the last column would wrap


def test_the_elapsed_time_includes_reading_and_compressing(setup):
    """The source arrives slowly on stdin: the time shown is the whole upload's."""
    env, dataset_id, _ = setup
    process = subprocess.Popen(
        [console_script(), "datasets", "upload", str(dataset_id), "-", "--progress"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **env, "COLUMNS": "200"},
    )
    assert process.stdin is not None and process.stderr is not None
    process.stdin.write(b"Date,country,value\n")
    process.stdin.flush()
    first = os.read(process.stderr.fileno(), 65536)  # the bar is up: reading has begun
    assert first.startswith(b"\rupload: compressing 0 B  "), first
    time.sleep(1.5)
    out, err = process.communicate(b"2020-01-01,AR,1\n", timeout=60)
    assert process.returncode == 0, err
    final = _drawn((first + err).decode())[-1]
    seconds = float(re.search(r" in (\d+\.\d)s", final)[1])
    assert seconds >= 1.5, final
    assert final.startswith("upload: 35 B as ")  # stdin's size, counted as it came
