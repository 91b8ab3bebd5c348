"""The unmodified published alphacast 0.1.9 client, run against the emulator in a
subprocess, through the README's workflows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from alphacast.emulator import Emulator

KEY = "ak_reference_client_0001"

SCRIPT = r'''
import datetime, io, json, sys, time
import pandas as pd
import alphacast
import alphacast.alphacast as module
assert alphacast.__file__.startswith(sys.argv[1]), alphacast.__file__
module.BASE_URL, module.WORKSPACE_URL = sys.argv[2], sys.argv[3]
from alphacast import Alphacast

client = Alphacast(sys.argv[4])
repo = client.repository.create("Reference Repo", repo_description="0.1.9", privacy="Private")
again = client.repository.create("Reference Repo", returnIdIfExists=True)
try:
    client.repository.create("Reference Repo")
    duplicate = None
except ValueError as exc:
    duplicate = str(exc)
dataset = client.datasets.create("Reference GDP", repo["id"], "from 0.1.9")
ds = client.datasets.dataset(dataset["id"])
init = json.loads(ds.initialize_columns("Date", ["country"], "%Y-%m-%d"))
df = pd.DataFrame({
    "Date": ["2023-01-01", "2023-01-01", "2024-01-01", "2024-01-01"],
    "country": ["Argentina", "Uruguay", "Argentina", "Uruguay"],
    "gdp": [632.2, 77.2, 604.3, 80.1],
    "inflation": [94.8, 8.3, 211.4, 5.1],
})
process = json.loads(ds.upload_data_from_df(df, deleteMissingFromDB=True, onConflictUpdateDB=True, uploadIndex=False))
for _ in range(400):
    state = json.loads(ds.process(process["id"]))
    if state["status"] not in ("Requested", "Processing"):
        break
    time.sleep(0.02)
processes = json.loads(ds.processes())
csv = ds.download_data(format="csv").decode()
rows = ds.download_data(format="json")
filtered = ds.download_data(format="json", startDate=datetime.datetime(2024, 1, 1),
                            filterEntities={"country": ["Uruguay"]}, filterVariables=["gdp"])
ranged = ds.download_data(format="json", startDate=datetime.date(2023, 1, 1), endDate=datetime.date(2023, 12, 31))
frame = ds.download_data(format="pandas")
found = client.search.datasets("Reference GDP", repository_id=repo["id"])
try:
    Alphacast("ak_wrong_key_123").repository.read_all()
    wrong = None
except Exception as exc:
    wrong = str(exc)
print(json.dumps({
    "repo": repo, "again": again["id"], "duplicate": duplicate, "dataset": dataset, "init": init,
    "process": process, "state": state, "processes": processes, "csv": csv, "rows": rows,
    "filtered": filtered, "ranged": ranged, "frame_gdp": list(frame.sort_values(["Date", "country"])["gdp"]),
    "stats": json.loads(ds.datestats()), "found": found, "meta": ds.metadata(),
    "columns": ds.get_column_definitions(), "wrong": wrong,
    "deleted": json.loads(ds.delete()), "read_after": client.datasets.read_by_name("Reference GDP", repo["id"]),
}))
'''


@pytest.fixture(scope="session")
def reference_site(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("alphacast-0.1.9")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "download", "alphacast==0.1.9", "--no-deps", "--only-binary=:all:",
         "-d", str(target), "-q", "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=180,
    )
    wheels = list(target.glob("alphacast-0.1.9-*.whl"))
    if result.returncode or not wheels:
        message = f"pip download alphacast==0.1.9 failed: {result.stderr[-500:]}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    site = target / "site"
    with zipfile.ZipFile(wheels[0]) as wheel:
        wheel.extractall(site)
    return site


def test_the_published_0_1_9_client_runs_its_readme_workflow(reference_site: Path, tmp_path: Path):
    with Emulator(accounts={"ref": KEY}) as emu:
        env = {**os.environ, "PYTHONPATH": str(reference_site)}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(reference_site), emu.api_url, emu.workspace_url, KEY],
            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout.splitlines()[-1])
        methods = {(e["method"], e["host"]) for e in emu.request_log}
    assert out["again"] == out["repo"]["id"]
    assert out["duplicate"] == f"Repository already exists: {out['repo']['id']}"
    assert [c["sourceName"] for c in out["init"]["columnDefinitions"]] == ["Date", "country"]
    assert out["process"]["status"] == "Requested"
    assert out["state"]["status"] == "Processed"
    assert out["state"]["statusDescription"] == "8 values added to database."
    assert [p["id"] for p in out["processes"]] == [out["process"]["id"]]
    assert out["csv"].splitlines()[0] == "Date,country,gdp,inflation"
    assert len(out["csv"].splitlines()) == 5
    assert len(out["rows"]) == 4 and out["rows"][0] == {"Date": "2023-01-01", "country": "Argentina", "gdp": 632.2, "inflation": 94.8}
    assert out["filtered"] == [{"Date": "2024-01-01", "country": "Uruguay", "gdp": 80.1}]
    assert {r["country"] for r in out["ranged"]} == {"Argentina", "Uruguay"} and len(out["ranged"]) == 2
    assert out["frame_gdp"] == [632.2, 77.2, 604.3, 80.1]
    assert out["stats"]["frequency"] == "Yearly"
    assert [d["id"] for d in out["found"]["data"]] == [out["dataset"]["id"]] and out["found"]["totalItems"] == 1
    assert out["meta"]["name"] == "Reference GDP"
    assert out["wrong"].startswith("401: ")
    assert out["read_after"] is None
    assert ("GET", "workspace") in methods and ("PUT", "api") in methods
