"""0.1.9 call forms keep 0.1.9's meaning (issue 12, items 1-5), against the emulator
over real sockets."""

from __future__ import annotations

import io
import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import alphacast.alphacast as legacy
from alphacast import Alphacast, AlphacastWarning, NotFoundError, PermissionDeniedError
from alphacast.redact import redact_text
from alphacast.resources.datasets import Dataset, Datasets

from .conftest import ALICE_KEY, BOB_KEY

FIRST = pd.DataFrame(
    {
        "Date": ["2023-01-01", "2023-01-01", "2024-01-01", "2024-01-01"],
        "country": ["Argentina", "Uruguay", "Argentina", "Uruguay"],
        "gdp": [632.2, 77.2, 604.3, 80.1],
    }
)
#: Only 2024 and new values: deleting what is missing would drop 2023.
SECOND = pd.DataFrame(
    {"Date": ["2024-01-01", "2024-01-01"], "country": ["Argentina", "Uruguay"], "gdp": [1.0, 2.0]}
)


@pytest.fixture
def client(emulator):
    with Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url) as c:
        yield c


def wait(dataset, process):
    process_id = json.loads(process)["id"]
    for _ in range(400):
        state = json.loads(dataset.process(process_id))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.02)
    raise AssertionError("upload never processed")


def new_dataset(client, *, columns=True):
    """A new dataset, with Date and country declared unless ``columns`` is false."""
    repo = client.repository.create(f"Forms {time.monotonic_ns()}")
    dataset = client.datasets.dataset(client.datasets.create("D", repo["id"])["id"])
    if columns:
        dataset.initialize_columns("Date", ["country"], "%Y-%m-%d")
    return dataset


def stored(dataset):
    return sorted((r["Date"], r["country"], r["gdp"]) for r in dataset.download_data("json"))


# 1. a string is one column name ------------------------------------------------------


def test_a_string_entity_is_one_column_in_initialize_columns(client):
    dataset = new_dataset(client, columns=False)
    result = json.loads(dataset.initialize_columns("Date", "country", "%Y-%m-%d"))
    assert [c["sourceName"] for c in result["columnDefinitions"]] == ["Date", "country"]
    assert [c["sourceName"] for c in dataset.get_column_definitions()] == ["Date", "country"]


def test_a_string_is_one_column_in_the_manifest_select_and_filter(client):
    dataset = new_dataset(client, columns=False)
    frame = FIRST.assign(source="imf")
    process = dataset.upload_data_from_df(
        frame,
        uploadIndex=False,
        dateColumnName="Date",
        dateFormat="%Y-%m-%d",
        entitiesColumnNames="country",
        stringColumnNames="source",
    )
    assert wait(dataset, process)["status"] == "Processed"
    definitions = {c["sourceName"]: c for c in dataset.get_column_definitions()}
    assert set(definitions) == {"Date", "country", "gdp", "source"}
    assert definitions["country"]["isEntity"] and definitions["source"]["dataType"] == "String"
    rows = dataset.download_data("json", filterVariables="gdp", filterEntities={"country": "Uruguay"})
    assert rows == [
        {"Date": "2023-01-01", "country": "Uruguay", "gdp": 77.2},
        {"Date": "2024-01-01", "country": "Uruguay", "gdp": 80.1},
    ]


def test_a_string_with_a_comma_is_refused_before_sending(client, emulator):
    dataset = new_dataset(client, columns=False)
    before = len(emulator.request_log)
    with pytest.raises(ValueError, match="entitiesColumnNames='country,region' is ambiguous"):
        dataset.initialize_columns("Date", "country,region", "%Y-%m-%d")
    with pytest.raises(ValueError, match="stringColumnNames"):
        dataset.upload_data_from_df(FIRST, stringColumnNames="a,b")
    assert len(emulator.request_log) == before


# 2. flags keep 0.1.9's meaning -------------------------------------------------------

FALSE_FORMS = [False, "False", "false", " FALSE ", 0, "0", "no", np.False_, np.int64(0)]
TRUE_FORMS = [True, "True", "true", 1, "1", "yes", np.True_, np.int64(1)]
AMBIGUOUS = [None, "", "maybe", "None", 2, -1, 1.0, "Falsee"]


def _upload_twice(client, **flags):
    dataset = new_dataset(client)
    first = dataset.upload_data_from_df(FIRST, uploadIndex=False)
    assert wait(dataset, first)["status"] == "Processed"
    second = dataset.upload_data_from_df(SECOND, uploadIndex=False, **flags)
    return dataset, wait(dataset, second)


@pytest.mark.parametrize("value", FALSE_FORMS, ids=repr)
def test_false_forms_keep_the_rows_and_the_values(client, value):
    dataset, state = _upload_twice(
        client, deleteMissingFromDB=value, onConflictUpdateDB=value, acceptNewColumns=value
    )
    assert state["status"] == "Processed"
    assert state["deleteMissingFromDB"] is False and state["onConflictUpdateDB"] is False
    assert stored(dataset) == sorted((d, c, g) for d, c, g in FIRST.itertuples(index=False))


@pytest.mark.parametrize("value", TRUE_FORMS, ids=repr)
def test_true_forms_delete_and_overwrite(client, value):
    dataset, state = _upload_twice(client, deleteMissingFromDB=value, onConflictUpdateDB=value)
    assert state["deleteMissingFromDB"] is True and state["onConflictUpdateDB"] is True
    assert stored(dataset) == [("2024-01-01", "Argentina", 1.0), ("2024-01-01", "Uruguay", 2.0)]


@pytest.mark.parametrize("value", ["True", 1, np.True_], ids=repr)
def test_accept_new_columns_true_forms_add_a_column(client, value):
    dataset = new_dataset(client)
    assert wait(dataset, dataset.upload_data_from_df(FIRST, uploadIndex=False))["status"] == "Processed"
    extra = SECOND.assign(reserves=[3.0, 4.0])
    state = wait(dataset, dataset.upload_data_from_df(extra, uploadIndex=False, acceptNewColumns=value))
    assert state["status"] == "Processed"
    assert "reserves" in dataset.download_data("json")[-1]


def test_accept_new_columns_false_string_is_false(client):
    dataset = new_dataset(client)
    assert wait(dataset, dataset.upload_data_from_df(FIRST, uploadIndex=False))["status"] == "Processed"
    extra = SECOND.assign(reserves=[3.0, 4.0])
    state = wait(dataset, dataset.upload_data_from_df(extra, uploadIndex=False, acceptNewColumns="False"))
    assert state["status"] == "Failed"


@pytest.mark.parametrize("value", AMBIGUOUS, ids=repr)
@pytest.mark.parametrize("flag", ["deleteMissingFromDB", "onConflictUpdateDB"])
def test_ambiguous_flags_are_refused_before_anything_is_sent(client, emulator, flag, value):
    dataset = new_dataset(client)
    before = len(emulator.request_log)
    with pytest.raises(ValueError, match=f"{flag}=.* is ambiguous"):
        dataset.upload_data_from_df(FIRST, uploadIndex=False, **{flag: value})
    with pytest.raises(ValueError, match=f"{flag}=.* is ambiguous"):
        dataset.upload_data_from_csv(FIRST.to_csv(index=False), **{flag: value})
    assert len(emulator.request_log) == before


@pytest.mark.parametrize("value", ["", "maybe", 2])
def test_ambiguous_accept_new_columns_is_refused(client, emulator, value):
    dataset = new_dataset(client)
    before = len(emulator.request_log)
    with pytest.raises(ValueError, match="acceptNewColumns=.* is ambiguous"):
        dataset.upload_data_from_csv(FIRST.to_csv(index=False), acceptNewColumns=value)
    assert len(emulator.request_log) == before


def test_upload_index_keeps_0_1_9_meaning_and_refuses_false_strings(client, emulator):
    dataset = new_dataset(client)
    indexed = FIRST.set_index("Date")
    # "True" and 1 wrote the index in 0.1.9 too.
    for value in ("True", 1, np.True_):
        state = wait(dataset, dataset.upload_data_from_df(indexed, uploadIndex=value))
        assert state["status"] == "Processed", state
    assert {r["Date"] for r in dataset.download_data("json")} == {"2023-01-01", "2024-01-01"}
    before = len(emulator.request_log)
    # 0.1.9 wrote the index for "False" (any non-empty string is true): refuse the guess.
    for value in ("False", "0", 2):
        with pytest.raises(ValueError, match="uploadIndex=.* is ambiguous"):
            dataset.upload_data_from_df(indexed, uploadIndex=value)
    assert len(emulator.request_log) == before


def test_return_id_if_exists_and_search_flags(client, emulator):
    repo = client.repository.create(f"Flags {time.monotonic_ns()}")
    assert client.repository.create(repo["name"], returnIdIfExists="True")["id"] == repo["id"]
    assert client.repository.create(repo["name"], returnIdIfExists=1)["id"] == repo["id"]
    with pytest.raises(ValueError, match="Repository already exists"):
        client.repository.create(repo["name"], returnIdIfExists=0)
    dataset = client.datasets.create("Flagged", repo["id"])
    assert client.datasets.create("Flagged", repo["id"], returnIdIfExists="yes")["id"] == dataset["id"]
    assert client.search.datasets("Flagged", search_all="true", exclude_deprecated=1)["totalItems"] >= 1
    before = len(emulator.request_log)
    with pytest.raises(ValueError, match="returnIdIfExists='False' is ambiguous: alphacast 0.1.9"):
        client.repository.create(repo["name"], returnIdIfExists="False")
    with pytest.raises(ValueError, match="returnIdIfExists"):
        client.datasets.create("Flagged", repo["id"], returnIdIfExists="false")
    with pytest.raises(ValueError, match="search_all"):
        client.search.datasets("Flagged", search_all="False")
    with pytest.raises(ValueError, match="exclude_deprecated"):
        client.search.datasets("Flagged", exclude_deprecated=2)
    assert len(emulator.request_log) == before


def test_an_ambiguous_value_holding_a_key_is_not_echoed(client):
    dataset = new_dataset(client)
    with pytest.raises(ValueError) as info:
        dataset.upload_data_from_csv("Date,x\n2024-01-01,1\n", "ak_live_0123456789abcdef0123")
    assert "0123456789abcdef" not in str(info.value)


# 3. 0.1.9's entry points ------------------------------------------------------------


def test_datasets_dataset_takes_0_1_9_arguments(client, emulator):
    dataset = new_dataset(client)
    assert Datasets.Dataset is Dataset
    same = client.datasets.Dataset(dataset.dataset_id, ALICE_KEY)
    assert isinstance(same, Dataset) and same.metadata()["id"] == dataset.dataset_id
    assert same.api_key == ALICE_KEY
    with pytest.raises(PermissionDeniedError) as info:
        client.datasets.Dataset(dataset.dataset_id, BOB_KEY).metadata()
    assert info.value.fingerprint == "…3210" and BOB_KEY not in str(info.value)
    # The client itself still uses its own key.
    assert client.api_key == ALICE_KEY and client.datasets.dataset(dataset.dataset_id).metadata()


def test_setting_api_key_switches_the_client_and_is_masked(emulator):
    new_key = f"ak_carol_{time.monotonic_ns():024d}"
    emulator.add_account(f"carol{time.monotonic_ns()}", new_key)
    urls = {"api_url": emulator.api_url, "workspace_url": emulator.workspace_url}
    with Alphacast(ALICE_KEY, **urls) as client, Alphacast(ALICE_KEY, **urls) as other:
        repo = client.repository.create(f"Alice {time.monotonic_ns()}")
        opened = client.datasets.dataset(client.datasets.create("A", repo["id"])["id"])
        client.api_key = new_key
        assert client.api_key == new_key
        assert client.repository.api_key == new_key and client.datasets.api_key == new_key
        assert client.search.api_key == new_key and client.series(1).api_key == new_key
        assert client.credential.provider == "explicit"
        assert client.repository.read_all() == []  # carol's repositories
        with pytest.raises(PermissionDeniedError):
            opened.metadata()  # opened before the switch: now carol's key too
        assert new_key not in repr(client) and new_key not in repr(client.credential)
        assert new_key not in redact_text(f"sent {new_key}")
        # Another client with the old key is not touched.
        assert other.api_key == ALICE_KEY
        assert repo["id"] in [r["id"] for r in other.repository.read_all()]


def test_setting_a_resource_api_key_switches_only_that_resource(client):
    repo = client.repository.create(f"Mine {time.monotonic_ns()}")
    client.repository.api_key = BOB_KEY
    assert client.repository.api_key == BOB_KEY and client.api_key == ALICE_KEY
    assert repo["id"] not in [r["id"] for r in client.repository.read_all()]  # bob's list
    # The client's other resources keep alice's key: she may write to her repository.
    assert client.datasets.create("x", repo["id"])["repositoryId"] == repo["id"]


def test_the_0_1_9_module_path_and_its_url_globals(emulator, monkeypatch):
    from alphacast.alphacast import BASE_URL, WORKSPACE_URL
    from alphacast.alphacast import Alphacast as LegacyAlphacast

    assert LegacyAlphacast is Alphacast
    assert (BASE_URL, WORKSPACE_URL) == ("https://api.alphacast.io", "https://www.alphacast.io")
    monkeypatch.setattr(legacy, "BASE_URL", emulator.api_url)
    monkeypatch.setattr(legacy, "WORKSPACE_URL", emulator.workspace_url + "/")
    with legacy.Alphacast(ALICE_KEY) as client:
        assert client.api_url == emulator.api_url
        assert client.workspace_url == emulator.workspace_url
        assert isinstance(client.repository.read_all(), list)
        assert client.search.datasets("nothing-matches-this")["totalItems"] == 0
    with Alphacast(ALICE_KEY, api_url="http://127.0.0.1:9") as explicit:
        assert explicit.api_url == "http://127.0.0.1:9"


# 4. error text ----------------------------------------------------------------------


def test_error_text_keeps_the_prefix_and_the_servers_message_on_one_line(client):
    with pytest.raises(NotFoundError) as info:
        client.datasets.dataset(999999).metadata()
    first = str(info.value).splitlines()[0]
    assert first == "API failed with status code 404: Dataset 999999 not found."
    assert "404" in str(info.value) and info.value.server_message == "Dataset 999999 not found."


# 5. a quoted key --------------------------------------------------------------------


@pytest.mark.parametrize("quoted", [f'"{ALICE_KEY}"', f"'{ALICE_KEY}'", f' "{ALICE_KEY}"\n'])
def test_a_quoted_key_is_unquoted_with_a_warning_that_hides_it(emulator, quoted):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = Alphacast(quoted, api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    with client:
        assert client.api_key == ALICE_KEY
        assert isinstance(client.repository.read_all(), list)
    messages = [str(w.message) for w in caught if issubclass(w.category, AlphacastWarning)]
    assert len(messages) == 1 and "quotes" in messages[0]
    assert "0123456789abcdef" not in messages[0]


def test_a_quoted_key_from_the_environment_is_unquoted(emulator, monkeypatch):
    monkeypatch.setenv("ALPHACAST_API_KEY", f'"{ALICE_KEY}"')
    with pytest.warns(AlphacastWarning, match="surrounding quotes"):
        client = Alphacast(api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    with client:
        assert client.api_key == ALICE_KEY
        assert isinstance(client.repository.read_all(), list)


def test_an_unmatched_quote_is_not_stripped():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Alphacast(f'"{ALICE_KEY}', api_url="http://127.0.0.1:9").api_key == f'"{ALICE_KEY}'


def test_csv_round_trip_unchanged(client):
    # The usual list forms still work exactly as before.
    dataset = new_dataset(client, columns=False)
    json.loads(dataset.initialize_columns("Date", ["country"], "%Y-%m-%d"))
    state = wait(dataset, dataset.upload_data_from_csv(io.StringIO(FIRST.to_csv(index=False))))
    assert state["status"] == "Processed"
    assert len(dataset.download_data("json", filterVariables=["gdp"])) == 4
