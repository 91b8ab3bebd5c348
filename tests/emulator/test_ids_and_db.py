"""Ids no row can have are 404 on every route that takes one, and ``--db`` naming
something that cannot hold the data is a one-line error (issue 11, item 17)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from alphacast.emulator import Emulator
from alphacast.emulator import _routes as routes

from .conftest import ALICE, Api

#: Ids that name nothing: beyond SQLite's 64-bit integers, far beyond (more digits
#: than int() reads), negative, and digits of another script that int() accepts.
BAD_IDS = ["99999999999999999999999999", str(2**63), "9" * 5000, "-1", "١٢٣"]


def _paths(pattern: str, good: str, bad: str) -> list[str]:
    """``pattern`` with each of its ids in turn set to ``bad``, the others to ``good``."""
    template = re.sub(r"\([^)]*\)", "{}", pattern)
    count = template.count("{}")
    return [template.format(*(bad if i == j else good for i in range(count))) for j in range(count)]


def _id_routes() -> list[tuple[str, str]]:
    found = [(method, pattern.pattern) for method, pattern, _ in routes.API if "(" in pattern.pattern]
    assert len(found) >= 15  # the walk sees the routing table
    return found


@pytest.mark.parametrize("bad", BAD_IDS, ids=["2^86", "2^63", "5000-digits", "negative", "arabic-digits"])
def test_every_route_taking_an_id_answers_404_for_an_id_no_row_can_have(alice: Api, bad: str):
    dataset_id = alice.dataset()
    answers = {}
    for method, pattern in _id_routes():
        for path in _paths(pattern, str(dataset_id), bad):
            response = alice.session.request(method, alice.url + path, timeout=30)
            answers[f"{method} {path[:60]}"] = response.status_code
            assert response.headers["Content-Type"].startswith("application/json")
    assert set(answers.values()) == {404}, {k: v for k, v in answers.items() if v != 404}


@pytest.mark.parametrize("bad", ["99999999999999999999999999", str(2**63), "-99999999999999999999999"])
def test_an_id_in_a_query_or_a_form_that_no_row_can_have(alice: Api, bad: str):
    listed = alice.get("/datasets", params={"repositoryId": bad})
    assert listed.status_code == 200 and listed.json() == []
    created = alice.post("/datasets", data={"name": "x", "repositoryId": bad})
    assert created.status_code == 404, created.text
    assert created.json()["message"] == f"Repository {int(bad)} not found."


def test_the_largest_sqlite_id_is_still_an_ordinary_miss(alice: Api):
    response = alice.get(f"/repositories/{2**63 - 1}")
    assert response.status_code == 404
    assert response.json()["message"] == f"Repository {2**63 - 1} not found."


# --db ---------------------------------------------------------------------------------


def _emulator_cli(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "alphacast.emulator", "--account", f"a={ALICE}", *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.txt", "it is not an SQLite database"),
        ("folder", "it is a folder; name an SQLite file (created if missing)"),
        ("missing/emulator.db", "the folder missing does not exist"),
        ("notes.txt/emulator.db", "notes.txt is not a folder"),
    ],
    ids=["text-file", "folder", "missing-folder", "under-a-file"],
)
def test_db_that_cannot_hold_the_data_is_a_one_line_error(tmp_path: Path, name: str, reason: str):
    (tmp_path / "notes.txt").write_text("not a database\n")
    (tmp_path / "folder").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    result = _emulator_cli("--db", name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"alphacast emulator: error: cannot keep the data in {name}: {reason}"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "notes.txt").read_text() == "not a database\n"


def test_db_that_is_another_programs_database(tmp_path: Path):
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE processes (x TEXT)")
    conn.close()
    result = _emulator_cli("--db", str(other), cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert "it is not the emulator's database" in result.stderr


def test_the_python_api_raises_value_error_naming_the_file(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("not a database\n")
    with pytest.raises(ValueError, match=r"notes\.txt: it is not an SQLite database"):
        Emulator(accounts={"a": ALICE}, db=tmp_path / "notes.txt").start()
