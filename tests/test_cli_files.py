"""Local file mistakes on the command line are one-line errors (issue 11, item 14):
a non-zero exit, no traceback, and nothing left behind. The real command runs in a
subprocess against the emulator."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alphacast import Alphacast

from .conftest import ALICE_KEY


@pytest.fixture
def setup(emulator, tmp_path: Path) -> tuple[dict[str, str], int, Path]:
    """(environment for the CLI, a dataset id with data, an empty working folder)."""
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as client:
        repo = client.repository.create(f"files {os.getpid()} {tmp_path.name}")
        dataset = client.datasets.create("files", repo["id"])
    env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "ALPHACAST_API_URL": emulator.api_url,
        "ALPHACAST_WORKSPACE_URL": emulator.workspace_url,
        "ALPHACAST_API_KEY": ALICE_KEY,
    }
    work = tmp_path / "work-files"
    work.mkdir()
    (work / "file.txt").write_text("a regular file\n")
    (work / "folder").mkdir()
    (work / "empty.csv").write_bytes(b"")
    return env, int(dataset["id"]), work


def _tree(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))
    }


def _fails_in_one_line(env: dict[str, str], work: Path, *argv: str) -> str:
    before = _tree(work)
    result = subprocess.run(
        [sys.executable, "-m", "alphacast", *argv],
        capture_output=True,
        encoding="utf-8",
        env=env,
        cwd=work,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("alphacast: error: "), result.stderr
    assert _tree(work) == before, "the failed command left something behind"
    return lines[0].removeprefix("alphacast: error: ")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("missing.csv", "cannot read missing.csv: No such file or directory"),
        ("folder", "cannot read folder: Is a directory"),
        ("file.txt/in.csv", "cannot read file.txt/in.csv: Not a directory"),
        ("empty.csv", "cannot upload empty.csv: the CSV to upload is empty"),
    ],
    ids=["missing", "a-folder", "under-a-file", "empty"],
)
def test_upload_of_a_file_that_cannot_be_read(setup, name: str, reason: str):
    env, dataset_id, work = setup
    assert _fails_in_one_line(env, work, "datasets", "upload", str(dataset_id), name) == reason


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("folder", "cannot write folder: it is a folder; name a file in it"),
        ("no-such-folder/out.csv", "cannot write no-such-folder/out.csv: no-such-folder does not exist"),
        ("file.txt/out.csv", "cannot write file.txt/out.csv: file.txt is not a folder"),
        # Refused even to root: procfs has no room for new files.
        ("/proc/alphacast-out.csv", "cannot write /proc/alphacast-out.csv: "),
    ],
    ids=["a-folder", "missing-folder", "under-a-file", "read-only-place"],
)
def test_download_to_a_path_that_cannot_be_written(setup, name: str, reason: str):
    env, dataset_id, work = setup
    message = _fails_in_one_line(env, work, "datasets", "download", str(dataset_id), "-o", name)
    assert message.startswith(reason), message
    assert ".part" not in message  # the file asked for is named, not a temporary one
    assert not Path("/proc/alphacast-out.csv").exists()


def test_download_with_a_filter_the_dataset_cannot_take_is_one_line(setup):
    env, dataset_id, work = setup
    message = _fails_in_one_line(
        env, work, "datasets", "download", str(dataset_id), "-o", "out.csv", "--start", "2020-01-01"
    )
    assert message == f"dataset {dataset_id} has no Date column to filter on"


def test_auth_set_into_a_credentials_file_under_a_regular_file(setup):
    """A setting naming an impossible place for the shared file: still one line."""
    env, _, work = setup
    env = {**env, "ALPHACAST_SHARED_CREDENTIALS_FILE": str(work / "file.txt" / "credentials")}
    before = _tree(work)
    result = subprocess.run(
        [sys.executable, "-m", "alphacast", "auth", "set", "prod", "--store", "shared-file"],
        input="ak_files_0123456789abcdef\n",
        capture_output=True,
        encoding="utf-8",
        env=env,
        cwd=work,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("alphacast: error: ")
    assert "file.txt: it is a file, where a folder is needed" in result.stderr
    assert "ak_files" not in result.stderr + result.stdout
    assert _tree(work) == before
