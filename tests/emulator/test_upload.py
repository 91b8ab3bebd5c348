"""Upload semantics: deleteMissingFromDB, onConflictUpdateDB, acceptNewColumns, the
manifest, failures, chunked bodies and bodies that are not multipart."""

from __future__ import annotations

import gzip
import json
import uuid

import requests

from .conftest import Api

BASE = "Date,country,gdp\n2020-01-01,AR,1\n2020-01-01,UY,2\n2021-01-01,AR,3\n"


def values(api: Api, dataset: int) -> dict[tuple[str, str], object]:
    return {(r["Date"], r["country"]): r.get("gdp") for r in api.rows(dataset)}


def test_without_conflict_update_existing_values_are_kept(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, BASE)
    done = alice.load(dataset, "Date,country,gdp\n2020-01-01,AR,100\n2022-01-01,AR,4\n",
                      deleteMissingFromDB="False", onConflictUpdateDB="False")
    assert done["status"] == "Processed" and done["statusDescription"] == "1 values added to database."
    assert values(alice, dataset) == {("2020-01-01", "AR"): 1, ("2020-01-01", "UY"): 2,
                                      ("2021-01-01", "AR"): 3, ("2022-01-01", "AR"): 4}


def test_conflict_update_overwrites_matching_date_and_entities(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, BASE)
    done = alice.load(dataset, "Date,country,gdp\n2020-01-01,AR,100\n2022-01-01,AR,4\n",
                      onConflictUpdateDB="true")
    assert done["statusDescription"] == "1 values added to database. 1 values updated."
    assert values(alice, dataset)[("2020-01-01", "AR")] == 100
    assert len(values(alice, dataset)) == 4


def test_delete_missing_removes_what_the_upload_lacks(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, BASE)
    done = alice.load(dataset, "Date,country,gdp\n2020-01-01,UY,2\n2023-01-01,UY,9\n",
                      deleteMissingFromDB="True", onConflictUpdateDB="True")
    assert done["status"] == "Processed"
    assert "2 rows deleted" in done["statusDescription"]
    assert values(alice, dataset) == {("2020-01-01", "UY"): 2, ("2023-01-01", "UY"): 9}


def test_new_columns_need_accept_new_columns(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, BASE)
    wider = "Date,country,gdp,cpi\n2020-01-01,AR,1,7.5\n"
    refused = alice.load(dataset, wider)
    assert refused["status"] == "Failed" and "acceptNewColumns" in refused["statusDescription"]
    assert "cpi" not in alice.rows(dataset)[0]
    accepted = alice.load(dataset, wider, acceptNewColumns="True")
    assert accepted["status"] == "Processed" and accepted["acceptNewColumns"] is True
    rows = {(r["Date"], r["country"]): r for r in alice.rows(dataset)}
    assert rows[("2020-01-01", "AR")]["cpi"] == 7.5 and rows[("2020-01-01", "UY")]["cpi"] is None


def test_manifest_defines_date_format_entities_and_string_columns(alice: Api):
    dataset = alice.dataset(entities=None)
    manifest = [
        {"sourceName": "when", "isEntity": True, "dataType": "Date", "dateFormat": "%d/%m/%Y"},
        {"sourceName": "region", "isEntity": True, "dataType": "String"},
        {"sourceName": "note", "isEntity": False, "dataType": "String"},
    ]
    csv = "when,region,note,value\n31/01/2020,north,007,1.5\n29/02/2020,north,x,2\n"
    done = alice.load(dataset, csv, manifest=manifest)
    assert done["status"] == "Processed", done
    definitions = alice.get(f"/datasets/{dataset}/columns").json()["columnDefinitions"]
    assert [(c["sourceName"], c["dataType"], c["isEntity"]) for c in definitions] == [
        ("when", "Date", True), ("region", "String", True), ("note", "String", False), ("value", "Number", False),
    ]
    assert alice.rows(dataset) == [
        {"when": "2020-01-31", "region": "north", "note": "007", "value": 1.5},
        {"when": "2020-02-29", "region": "north", "note": "x", "value": 2},
    ]


def test_without_columns_or_manifest_a_date_header_is_used(alice: Api):
    dataset = alice.dataset(entities=None)
    assert alice.load(dataset, ",Date,x\n0,2020-01-01,1\n")["status"] == "Processed"
    assert alice.rows(dataset) == [{"Date": "2020-01-01", "x": 1}]  # the unnamed index is ignored
    other = alice.dataset(entities=None)
    failed = alice.load(other, "when,x\n2020-01-01,1\n")
    assert failed["status"] == "Failed" and "date column" in failed["statusDescription"]


def test_failures_are_recorded_on_the_process(alice: Api):
    dataset = alice.dataset()
    bad_date = alice.load(dataset, "Date,country,gdp\nnot a date,AR,1\n")
    assert bad_date["status"] == "Failed" and "Line 2" in bad_date["statusDescription"]
    no_key = alice.load(dataset, "Date,gdp\n2020-01-01,1\n")
    assert no_key["status"] == "Failed" and "country" in no_key["statusDescription"]
    truncated = gzip.compress(BASE.encode())[:-10]
    broken = alice.wait(dataset, alice.upload(dataset, truncated, gz=False)["id"])
    assert broken["status"] == "Failed" and "gzip" in broken["statusDescription"]
    assert alice.rows(dataset) == []


def test_upload_errors_before_processing_are_4xx(alice: Api):
    dataset = alice.dataset()
    r = alice.put(f"/datasets/{dataset}/data?deleteMissingFromDB=maybe", files={"data": ("d", b"x")})
    assert r.status_code == 400
    r = alice.put(f"/datasets/{dataset}/data", files={"other": ("d", b"x")})
    assert r.status_code == 400 and "data" in r.json()["message"]
    r = alice.put(f"/datasets/{dataset}/data", files={"data": ("d", b"x")}, data={"manifest": "{nope"})
    assert r.status_code == 400 and "manifest" in r.json()["message"]
    r = alice.put(f"/datasets/{dataset}/data", data=b"--b\r\nbroken", headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert r.status_code == 400


def test_a_chunked_multipart_upload_is_accepted(alice: Api):
    dataset = alice.dataset()
    boundary = uuid.uuid4().hex
    payload = gzip.compress(("Date,country,gdp\n" + "".join(f"20{y:02d}-01-01,AR,{y}\n" for y in range(50))).encode())
    manifest = json.dumps([{"sourceName": "country", "isEntity": True, "dataType": "String"}])

    def body():
        yield f"--{boundary}\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n".encode()
        yield manifest.encode()
        yield f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"data.csv.gz\"\r\n".encode()
        yield b"Content-Type: application/gzip\r\n\r\n"
        for i in range(0, len(payload), 7):  # many small chunks, boundaries split anywhere
            yield payload[i:i + 7]
        yield f"\r\n--{boundary}--\r\n".encode()

    r = alice.put(f"/datasets/{dataset}/data?deleteMissingFromDB=True", data=body(),
                  headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 200, r.text
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert alice.wait(dataset, r.json()["id"])["status"] == "Processed"
    assert len(alice.rows(dataset)) == 50
    assert alice.get(f"/datasets/{dataset}").status_code == 200  # the connection still works


def test_a_raw_gzip_body_and_a_plain_csv_file_are_accepted(alice: Api):
    dataset = alice.dataset()
    r = alice.put(f"/datasets/{dataset}/data", data=gzip.compress(BASE.encode()),
                  headers={"Content-Type": "application/gzip"})
    assert alice.wait(dataset, r.json()["id"])["status"] == "Processed"
    plain = alice.wait(dataset, alice.upload(dataset, "Date,country,gdp\n2030-01-01,AR,5\n", gz=False)["id"])
    assert plain["status"] == "Processed"
    assert len(alice.rows(dataset)) == 4


def test_uploads_from_two_accounts_at_once_stay_apart(alice: Api, bob: Api):
    a, b = alice.dataset(), bob.dataset()
    pa = alice.upload(a, BASE)
    pb = bob.upload(b, "Date,country,gdp\n1999-01-01,XX,9\n")
    assert alice.wait(a, pa["id"])["status"] == bob.wait(b, pb["id"])["status"] == "Processed"
    assert len(alice.rows(a)) == 3 and bob.rows(b) == [{"Date": "1999-01-01", "country": "XX", "gdp": 9}]
    assert requests.get(f"{alice.url}/datasets/{a}/processes/{pb['id']}", auth=(alice.key, "")).status_code == 404
