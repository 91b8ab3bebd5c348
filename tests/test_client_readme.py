"""The client used exactly as the alphacast 0.1.9 README and scripts in the wild use it,
step by step, against the real emulator over sockets."""

from __future__ import annotations

import datetime as dt
import io
import json
import time

import pandas as pd
import pytest

from alphacast import Alphacast, AuthenticationError, PermissionDeniedError

from .conftest import ALICE_KEY, BOB_KEY

CSV = """Date,country,gdp,inflation
2023-01-01,Argentina,632.2,94.8
2023-01-01,Uruguay,77.2,8.3
2024-01-01,Argentina,604.3,211.4
2024-01-01,Uruguay,80.1,5.1
"""


@pytest.fixture
def alphacast(emulator, monkeypatch):
    # An unmodified script, pointed at the emulator by the environment.
    monkeypatch.setenv("ALPHACAST_API_URL", emulator.api_url)
    monkeypatch.setenv("ALPHACAST_WORKSPACE_URL", emulator.workspace_url)
    client = Alphacast(ALICE_KEY)
    yield client
    client.close()


def wait_processed(dataset, process_id):
    for _ in range(300):
        process = json.loads(dataset.process(process_id))
        if process["status"] not in ("Requested", "Processing"):
            return process
        time.sleep(0.05)
    raise AssertionError("upload never processed")


def unique(name):
    return f"{name} {time.monotonic_ns()}"


def test_readme_workflow_step_by_step(alphacast):
    # Repositories
    name = unique("Readme Repo")
    repo = alphacast.repository.create(name, repo_description="From the README", privacy="Private")
    assert repo["name"] == name and isinstance(repo["id"], int)
    assert alphacast.repository.read_by_id(repo["id"])["name"] == name
    assert alphacast.repository.read_by_name(name)["id"] == repo["id"]
    assert repo["id"] in [r["id"] for r in alphacast.repository.read_all()]
    with pytest.raises(ValueError, match=f"Repository already exists: {repo['id']}"):
        alphacast.repository.create(name)
    assert alphacast.repository.create(name, returnIdIfExists=True)["id"] == repo["id"]

    # Datasets
    dataset = alphacast.datasets.create("GDP", repo["id"], "GDP and inflation")
    assert alphacast.datasets.read_by_name("GDP", repo["id"])["id"] == dataset["id"]
    assert dataset["id"] in [d["id"] for d in alphacast.datasets.read_all()]
    assert alphacast.datasets.create("GDP", repo["id"], returnIdIfExists=True)["id"] == dataset["id"]
    ds = alphacast.datasets.dataset(dataset["id"])
    assert ds.metadata()["name"] == "GDP"

    # Columns, then an upload from a DataFrame, as the typical script does
    columns = json.loads(ds.initialize_columns("Date", ["country"], "%Y-%m-%d"))
    assert {c["sourceName"] for c in columns["columnDefinitions"]} >= {"Date", "country"}
    df = pd.read_csv(io.StringIO(CSV))
    process = json.loads(ds.upload_data_from_df(df, deleteMissingFromDB=True, onConflictUpdateDB=True, uploadIndex=False))
    assert process["status"] == "Requested"
    done = wait_processed(ds, process["id"])
    assert done["status"] == "Processed", done
    assert any(p["id"] == process["id"] for p in json.loads(ds.processes()))
    definitions = ds.get_column_definitions()
    assert [c["sourceName"] for c in definitions if c.get("dataType") == "Date"] == ["Date"]

    # Downloads in every format
    csv_bytes = ds.download_data(format="csv")
    frame = pd.read_csv(io.BytesIO(csv_bytes))
    assert len(frame) == 4 and set(frame["country"]) == {"Argentina", "Uruguay"}
    rows = ds.download_data(format="json")
    assert len(rows) == 4 and {"Date", "country", "gdp"} <= set(rows[0])
    tsv = ds.download_data(format="tsv")
    assert b"\t" in tsv.splitlines()[0]
    pandas_frame = ds.download_data(format="pandas")
    assert list(pandas_frame.sort_values(["Date", "country"])["gdp"]) == [632.2, 77.2, 604.3, 80.1]

    # Filters exactly as 0.1.9 builds them
    only_2024 = ds.download_data(format="json", startDate=dt.date(2024, 1, 1))
    assert {r["country"] for r in only_2024} == {"Argentina", "Uruguay"} and len(only_2024) == 2
    before_2024 = ds.download_data(format="json", endDate=dt.datetime(2023, 6, 1))
    assert len(before_2024) == 2
    uruguay = ds.download_data(format="json", filterEntities={"country": ["Uruguay"]}, filterVariables=["gdp"])
    assert len(uruguay) == 2 and all(r["country"] == "Uruguay" for r in uruguay)
    assert all("inflation" not in r for r in uruguay)

    # Date stats and search
    assert json.loads(ds.datestats())
    found = alphacast.search.datasets("GDP", repository_id=repo["id"])
    assert [d["id"] for d in found["data"]] == [dataset["id"]]
    assert found["totalItems"] == 1

    # Clean up
    ds.delete()
    alphacast.repository.delete(repo["id"])
    assert alphacast.repository.read_by_name(name) is None  # 0.1.9 returned False


def test_upload_from_csv_with_manifest_and_new_columns(alphacast):
    repo = alphacast.repository.create(unique("Manifest"))
    ds = alphacast.datasets.dataset(alphacast.datasets.create("M", repo["id"])["id"])
    process = json.loads(
        ds.upload_data_from_csv(
            CSV, dateColumnName="Date", dateFormat="%Y-%m-%d", entitiesColumnNames=["country"]
        )
    )
    assert wait_processed(ds, process["id"])["status"] == "Processed"
    extra = CSV.replace("inflation", "inflation,reserves").replace("\n2", ",1\n2").rstrip() + ",1\n"
    process = json.loads(ds.upload_data_from_csv(extra, onConflictUpdateDB=True, acceptNewColumns=True))
    assert wait_processed(ds, process["id"])["status"] == "Processed"
    assert "reserves" in ds.download_data(format="json")[0]


def test_empty_dataframe_raises_a_real_exception(alphacast):
    with pytest.raises(ValueError, match="Dataframe is empty"):
        alphacast.datasets.dataset(1).upload_data_from_df(pd.DataFrame())


def test_wrong_key_gets_401_with_the_documented_text(emulator):
    client = Alphacast("ak_wrong_key_000000000", api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    with client, pytest.raises(AuthenticationError) as info:
        client.repository.read_all()
    assert str(info.value).startswith("API failed with status code 401")
    assert info.value.status_code == 401
    assert "explicit" in str(info.value) and "…0000" in str(info.value)
    assert "ak_wrong_key_000000000" not in str(info.value)


def test_private_is_403_for_another_account_and_public_is_readable(emulator):
    urls = {"api_url": emulator.api_url, "workspace_url": emulator.workspace_url}
    with Alphacast(ALICE_KEY, **urls) as alice, Alphacast(BOB_KEY, **urls) as bob:
        private = alice.repository.create(unique("Private"), privacy="Private")
        public = alice.repository.create(unique("Public"), privacy="Public")
        secret = alice.datasets.create("secret", private["id"])
        shared = alice.datasets.create("shared", public["id"])
        with pytest.raises(PermissionDeniedError) as info:
            bob.datasets.dataset(secret["id"]).metadata()
        assert str(info.value).startswith("API failed with status code 403")
        assert bob.datasets.dataset(shared["id"]).metadata()["name"] == "shared"
        assert secret["id"] not in [d["id"] for d in bob.search.datasets("secret", search_all=True)["data"]]
        assert shared["id"] in [d["id"] for d in bob.search.datasets("shared", search_all=True)["data"]]
