"""``alphacast keys scan``: keys in scripts, notebooks, .env and key files, and in git
history, reported by fingerprint only; the allow-lists; the pre-commit hook."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parent.parent
KEY = "ak_scan_0123456789abcdefQRST"
OTHER = "ak_other_fedcba9876543210WXYZ"
#: A key that is not ``ak_``-shaped: found because it is passed to Alphacast(...).
ODD = "0f1e2d3c4b5a69788796a5b4"


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("keys", "scan", *args, secrets=(KEY, OTHER, ODD), check=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "etl.py").write_text(
        "from alphacast import Alphacast\n"
        "\n"
        f'API_KEY = "{KEY}"\n'
        f"# old key: {OTHER}\n"
        "client = Alphacast(API_KEY)\n"
        f'legacy = Alphacast(api_key="{ODD}")\n'
    )
    notebook = new_notebook(
        cells=[
            new_markdown_cell("# Report"),
            new_code_cell("from alphacast import Alphacast\nclient = Alphacast(API)"),
            new_code_cell(
                "client.api_key",
                execution_count=3,
                outputs=[new_output("execute_result", data={"text/plain": repr(KEY)}, execution_count=3)],
            ),
        ]
    )
    nbformat.write(notebook, root / "report.ipynb")
    (root / ".env").write_text(f"REGION=ar\nexport ALPHACAST_API_KEY='{OTHER}'\n")
    (root / "apikey.txt").write_text(KEY + "\n")
    # Skipped: a virtualenv, .git, a binary file.
    venv = root / "venv-3.11"
    (venv / "lib").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (venv / "lib" / "settings.py").write_text(f'KEY = "{KEY}"\n')
    (root / ".git").mkdir()
    (root / ".git" / "config").write_text(f"key = {KEY}\n")
    (root / "data.bin").write_bytes(b"\x00\x01" + KEY.encode() + b"\x00")
    return root


def test_scan_finds_every_kind_by_fingerprint_and_exits_1(project: Path):
    result = scan(str(project), "--json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    seen = {(Path(f["path"]).name, f["line"], f["cell"], f["kind"], f["fingerprint"]) for f in findings}
    assert seen == {
        ("etl.py", 3, None, "assignment", "…QRST"),
        ("etl.py", 4, None, "comment", "…WXYZ"),
        ("etl.py", 6, None, "call argument", "…a5b4"),
        ("report.ipynb", None, 3, "output", "…QRST"),
        (".env", 2, None, "env file", "…WXYZ"),
        ("apikey.txt", 1, None, "key file", "…QRST"),
    }
    text = scan(str(project))
    assert text.returncode == 1
    assert f"{project / 'etl.py'}:3: assignment, key …QRST" in text.stdout
    assert f"{project / 'report.ipynb'}: cell 3: output, key …QRST" in text.stdout
    assert "keys migrate" in text.stderr


def test_a_clean_tree_exits_0(tmp_path: Path):
    (tmp_path / "ok.py").write_text('from alphacast import Alphacast\nclient = Alphacast(profile="prod")\n')
    result = scan(str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""


def test_allow_comment_and_config_patterns_are_not_reported(tmp_path: Path, isolated_env: Path):
    (tmp_path / "example.py").write_text(
        f'DEMO = "{KEY}"  # alphacast: allow-key\n'
        "# alphacast: allow-key\n"
        f'OTHER_DEMO = "{OTHER}"\n'
    )
    (tmp_path / "fixture.env").write_text("ALPHACAST_API_KEY=ak_example_0000000000\n")
    assert scan(str(tmp_path)).returncode == 1  # the .env key is not allowed yet
    config = isolated_env / ".alphacast" / "config"
    config.parent.mkdir(mode=0o700)
    config.write_text("[keys]\nallow_keys = ak_example_*, ak_nothing\n")
    config.chmod(0o600)
    result = scan(str(tmp_path))
    assert result.returncode == 0, result.stdout


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def test_git_history_names_the_commits_and_says_rotate(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "load.py").write_text(f'from alphacast import Alphacast\nclient = Alphacast("{KEY}")\n')
    _git(repo, "add", "load.py")
    _git(repo, "commit", "-q", "-m", "add loader")
    added = _git(repo, "rev-parse", "HEAD")
    (repo / "load.py").write_text('from alphacast import Alphacast\nclient = Alphacast(profile="prod")\n')
    _git(repo, "commit", "-q", "-am", "use a profile")

    assert scan(str(repo)).returncode == 0  # the files are clean now
    result = scan(str(repo), "--git")
    assert result.returncode == 1
    assert f"{added[:12]} load.py:2: git history, key …QRST" in result.stdout
    assert "rotate" in result.stderr
    findings = json.loads(scan(str(repo), "--git", "--json").stdout)
    assert [(f["commit"], f["path"], f["line"]) for f in findings] == [(added, "load.py", 2)]


def test_git_outside_a_repository_is_one_line_error(tmp_path: Path):
    result = scan(str(tmp_path), "--git")
    assert result.returncode == 1
    assert result.stderr.startswith("alphacast: error: cannot read the git history")
    assert "Traceback" not in result.stderr


def test_pre_commit_hook_runs_keys_scan_on_the_staged_files(tmp_path: Path):
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "alphacast-keys-scan")
    assert hook["language"] == "python"
    assert hook.get("pass_filenames", True)
    entry = shlex.split(hook["entry"])
    assert entry[:3] == ["alphacast", "keys", "scan"]
    # As pre-commit runs it: the entry, its args, then the staged files.
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "clean.py").write_text("print('hello')\n")
    (repo / "leak.py").write_text(f'KEY = "{KEY}"\n')
    _git(repo, "add", "clean.py")
    staged = _git(repo, "diff", "--cached", "--name-only").split()
    args = [*entry[3:], *hook.get("args", []), *(str(repo / name) for name in staged)]
    assert scan(*args).returncode == 0
    _git(repo, "add", "leak.py")
    staged = _git(repo, "diff", "--cached", "--name-only").split()
    args = [*entry[3:], *hook.get("args", []), *(str(repo / name) for name in staged)]
    blocked = scan(*args)
    assert blocked.returncode == 1
    assert "leak.py:1: assignment, key …QRST" in blocked.stdout
