"""A corpus of 0.1.9-style scripts, each run unchanged against a fresh emulator once
with this SDK and once with the published 0.1.9: what each leaves stored, and what
each prints, must be identical."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import alphacast
from alphacast.emulator import Emulator

HERE = Path(__file__).parent
SCRIPTS = sorted((HERE / "scripts").glob("*.py"))
KEY = "ak_corpus_0123456789abcdef"
#: Columns that hold the time of a run, not what the script stored.
CLOCK_COLUMNS = {"created_at", "updated_at", "processed_at"}


def dump(db: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the emulator's store, rows sorted, clock columns left out."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )]
        content = {}
        for table in sorted(tables):
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [d[0] for d in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in CLOCK_COLUMNS]
            rows = [tuple(row[i] for i in keep) for row in cursor.fetchall()]
            content[table] = [tuple(names[i] for i in keep), *sorted(rows, key=repr)]
        return content
    finally:
        conn.close()


def settled(db: Path) -> None:
    """Wait until no upload is waiting or being processed."""
    for _ in range(500):
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            busy = conn.execute(
                "SELECT COUNT(*) FROM processes WHERE status IN ('Requested', 'Processing')"
            ).fetchone()[0]
        finally:
            conn.close()
        if not busy:
            return
        time.sleep(0.02)
    raise AssertionError("uploads never settled")


def run(script: Path, workdir: Path, package_dir: Path, pythonpath: str | None):
    workdir.mkdir()
    (workdir / ".env").write_text(f"API_KEY={KEY}\n")
    db = workdir / "store.sqlite"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    with Emulator(accounts={"corpus": KEY}, db=db) as emu:
        result = subprocess.run(
            [sys.executable, str(HERE / "run_script.py"), str(script), emu.api_url,
             emu.workspace_url, str(package_dir)],
            capture_output=True, text=True, timeout=120, env=env, cwd=workdir,
        )
        assert result.returncode == 0, f"{script.name} failed:\n{result.stderr[-3000:]}"
        settled(db)
        stored = dump(db)
    return stored, result.stdout


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_script_stores_and_prints_the_same_as_0_1_9(script, site_0_1_9, tmp_path):
    ours = run(script, tmp_path / "ours", Path(alphacast.__file__).parent, None)
    published = run(script, tmp_path / "published", site_0_1_9 / "alphacast", str(site_0_1_9))
    assert ours[0] == published[0]
    assert ours[1] == published[1]
    # The script did store something (an empty store on both sides would prove nothing).
    assert any(len(rows) > 1 for table, rows in ours[0].items() if table not in ("repositories",))


def test_the_corpus_is_not_empty():
    assert len(SCRIPTS) >= 5
