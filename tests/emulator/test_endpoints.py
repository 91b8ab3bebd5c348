"""Every endpoint of PROTOCOL.md, over real sockets."""

from __future__ import annotations

import base64
import http.client
import json
from urllib.parse import urlsplit

from .conftest import Api, unique

CSV = "Date,country,gdp,inflation\n2023-01-01,AR,632.2,94.8\n2023-01-01,UY,77.2,8.3\n2024-01-01,AR,604.3,211.4\n2024-01-01,UY,80.1,5.1\n"


def test_repositories_create_read_list_filter_duplicate_delete(alice: Api, bob: Api):
    name = unique("Repo")
    r = alice.post("/repositories", data={"name": name, "description": "d", "privacy": "Public", "slug": "s"})
    repo = r.json()
    assert r.status_code == 200 and repo["name"] == name and repo["privacy"] == "Public" and repo["slug"] == "s"
    assert alice.get(f"/repositories/{repo['id']}").json() == repo
    assert [x["id"] for x in alice.get("/repositories", params={"name": name}).json()] == [repo["id"]]
    assert repo["id"] in [x["id"] for x in alice.get("/repositories").json()]
    assert repo["id"] not in [x["id"] for x in bob.get("/repositories").json()]
    duplicate = alice.post("/repositories", data={"name": name})
    assert duplicate.status_code == 409 and "already exists" in duplicate.json()["message"]
    assert bob.post("/repositories", data={"name": name}).status_code == 200  # names are per account
    assert alice.post("/repositories", data={"name": "x", "privacy": "Secret"}).status_code == 400
    assert alice.post("/repositories", data={}).status_code == 400
    dataset = alice.dataset(repo["id"])
    assert alice.delete(f"/repositories/{repo['id']}").status_code == 200
    assert alice.get(f"/repositories/{repo['id']}").status_code == 404
    assert alice.get(f"/datasets/{dataset}").status_code == 404  # deleted with its repository
    assert alice.get("/repositories", params={"name": name}).json() == []


def test_datasets_create_read_list_filter_duplicate_delete(alice: Api, bob: Api):
    repo = alice.repository()
    r = alice.post("/datasets", data={"name": "GDP", "repositoryId": repo, "description": "gdp"})
    meta = r.json()
    assert r.status_code == 200
    assert {"id", "name", "createdAt", "updatedAt", "repositoryId"} <= set(meta)
    assert meta["repositoryId"] == repo and meta["permissionLevel"] == "Write"
    got = alice.get(f"/datasets/{meta['id']}").json()
    assert got["name"] == "GDP" and got["description"] == "gdp"
    found = alice.get("/datasets", params={"name": "GDP", "repositoryId": repo}).json()
    assert [d["id"] for d in found] == [meta["id"]]
    assert meta["id"] in [d["id"] for d in alice.get("/datasets").json()]
    assert alice.get("/datasets", params={"name": "nope", "repositoryId": repo}).json() == []
    assert bob.get("/datasets", params={"repositoryId": repo}).json() == []  # private
    assert alice.post("/datasets", data={"name": "GDP", "repositoryId": repo}).status_code == 409
    assert alice.post("/datasets", data={"name": "x", "repositoryId": 999999}).status_code == 404
    assert alice.post("/datasets", data={"name": "x"}).status_code == 400
    assert alice.delete(f"/datasets/{meta['id']}").status_code == 200
    assert alice.get(f"/datasets/{meta['id']}").status_code == 404


def test_columns_initializer_and_definitions(alice: Api):
    dataset = alice.dataset(entities=None)
    assert alice.get(f"/datasets/{dataset}/columns").json()["columnDefinitions"] == []
    body = {"dateColumnName": "Date", "entitiesColumnNames": ["country"], "dateFormat": "%Y-%m-%d",
            "content-type": "json"}
    r = alice.put(f"/datasets/{dataset}/columns/initializer", json=body)
    result = r.json()
    assert r.status_code == 200 and result["id"] == dataset and "updateAt" in result
    assert result["columnDefinitions"] == [
        {"sourceName": "Date", "dataType": "Date", "dateFormat": "%Y-%m-%d", "isEntity": True},
        {"sourceName": "country", "dataType": "String", "dateFormat": None, "isEntity": True},
    ]
    assert alice.load(dataset, CSV)["status"] == "Processed"
    definitions = alice.get(f"/datasets/{dataset}/columns").json()["columnDefinitions"]
    assert [c["sourceName"] for c in definitions] == ["Date", "country", "gdp", "inflation"]
    assert [c["dataType"] for c in definitions if c["dataType"] == "Date"] == ["Date"]
    # the key cannot change under existing rows
    r = alice.put(f"/datasets/{dataset}/columns/initializer", json={"dateColumnName": "Date", "entitiesColumnNames": []})
    assert r.status_code == 409 and r.json()["message"]
    r = alice.put(f"/datasets/{dataset}/columns/initializer", json={"entitiesColumnNames": []})
    assert r.status_code == 400


def test_processes_list_and_one(alice: Api):
    dataset = alice.dataset()
    started = alice.upload(dataset, CSV, deleteMissingFromDB="True", onConflictUpdateDB="False")
    assert set(started) == {"id", "status", "createdAt", "datasetId"}
    assert started["status"] == "Requested" and started["datasetId"] == dataset
    done = alice.wait(dataset, started["id"])
    assert done["status"] == "Processed"
    assert done["statusDescription"] == "8 values added to database."
    assert done["deleteMissingFromDB"] is True and done["onConflictUpdateDB"] is False
    assert done["processedAt"] and done["createdAt"] == started["createdAt"]
    listed = alice.get(f"/datasets/{dataset}/processes").json()
    assert [p["id"] for p in listed] == [started["id"]]


def test_downloads_in_every_format(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, CSV)
    csv = alice.get(f"/datasets/{dataset}/data?$format=csv")
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text == CSV
    tsv = alice.get(f"/datasets/{dataset}/data?$format=tsv").text
    assert tsv == CSV.replace(",", "\t")
    rows = alice.rows(dataset)
    assert rows[0] == {"Date": "2023-01-01", "country": "AR", "gdp": 632.2, "inflation": 94.8}
    assert len(rows) == 4
    assert alice.get(f"/datasets/{dataset}/data").text == CSV  # csv by default
    r = alice.get(f"/datasets/{dataset}/data?$format=parquet")
    assert r.status_code == 400 and r.json()["message"]


def test_xlsx_is_a_workbook_or_a_clear_400(alice: Api):
    from alphacast.emulator._export import xlsx_available

    dataset = alice.dataset()
    alice.load(dataset, CSV)
    r = alice.get(f"/datasets/{dataset}/data?$format=xlsx")
    if xlsx_available():
        assert r.status_code == 200 and r.content[:2] == b"PK"
    else:
        assert r.status_code == 400 and "openpyxl" in r.json()["message"]


def test_download_is_chunked_and_the_connection_is_reused(alice: Api):
    dataset = alice.dataset()
    alice.load(dataset, CSV)
    parts = urlsplit(alice.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {"Authorization": "Basic " + base64.b64encode(f"{alice.key}:".encode()).decode()}
    try:
        connection.request("GET", f"/datasets/{dataset}/data?$format=csv", headers=headers)
        first = connection.getresponse()
        assert first.getheader("Transfer-Encoding") == "chunked"
        assert first.read().decode() == CSV
        sock = connection.sock
        for path in (f"/datasets/{dataset}", "/nowhere", f"/datasets/{dataset}/data?$format=json"):
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            assert connection.sock is sock  # same connection every time
    finally:
        connection.close()


def test_date_stats(alice: Api):
    dataset = alice.dataset()
    empty = alice.get(f"/datasets/{dataset}/date-stats").json()
    assert empty["firstDate"] is None and empty["frequency"] is None
    monthly = "Date,country,v\n" + "".join(f"2020-{m:02d}-01,AR,{m}\n" for m in range(1, 13))
    alice.load(dataset, monthly)
    stats = alice.get(f"/datasets/{dataset}/date-stats").json()
    assert stats == {"datasetId": dataset, "frequency": "Monthly", "firstDate": "2020-01-01",
                     "lastDate": "2020-12-01", "numberOfDates": 12}


def test_series_metadata_and_data(alice: Api, bob: Api):
    dataset = alice.dataset()
    alice.load(dataset, CSV)
    rows = [json.loads(line) for line in alice.get(f"/datasets/{dataset}/data?$format=json").content.splitlines()]
    assert len(rows) == 4
    found = {}
    series_id = 1
    while len(found) < 4 and series_id < 10000:
        r = alice.get(f"/series/{series_id}")
        if r.status_code == 200 and r.json()["datasetId"] == dataset:
            meta = r.json()
            found[(meta["column"], meta["entities"]["country"])] = meta
        series_id += 1
    assert set(found) == {("gdp", "AR"), ("gdp", "UY"), ("inflation", "AR"), ("inflation", "UY")}
    gdp_ar = found[("gdp", "AR")]
    assert gdp_ar["firstDate"] == "2023-01-01" and gdp_ar["lastDate"] == "2024-01-01"
    assert gdp_ar["numberOfValues"] == 2 and "gdp" in gdp_ar["name"]
    data = alice.get(f"/series/{gdp_ar['id']}/data?$format=csv").text
    assert data == "Date,country,gdp\n2023-01-01,AR,632.2\n2024-01-01,AR,604.3\n"
    lines = alice.get(f"/series/{gdp_ar['id']}/data?$format=json").content.splitlines()
    assert [json.loads(x)["gdp"] for x in lines] == [632.2, 604.3]
    assert bob.get(f"/series/{gdp_ar['id']}").status_code == 403


def test_connector_runs(alice: Api):
    dataset = alice.dataset()
    r = alice.post(f"/datasets/{dataset}/connector/runs", data={"executionParam": "2024-01"})
    run = r.json()
    assert r.status_code == 200 and run["status"] == "Requested" and run["executionParam"] == "2024-01"
    again = alice.get(f"/datasets/{dataset}/connector/runs/{run['id']}").json()
    assert again["id"] == run["id"] and again["status"] == "Failed" and again["statusDescription"]


def test_search_scopes_pagination_and_deprecation(emu, alice: Api, bob: Api):
    word = unique("zebra").replace(" ", "")
    mine = alice.repository("Private")
    shared = bob.repository("Public")
    own = [alice.dataset(mine, name=f"{word} own {i}", entities=None) for i in range(3)]
    public = bob.dataset(shared, name=f"{word} public", entities=None)
    result = alice.search(q=word, asset="datasets", offset=0, length=10).json()
    assert set(result) == {"data", "totalItems", "totalPages", "currentPage", "offset"}
    assert [d["id"] for d in result["data"]] == own
    everything = alice.search(q=word, searchAllAlphacast="true").json()
    assert {d["id"] for d in everything["data"]} == {*own, public}
    page = alice.search(q=word, offset=2, length=2).json()
    assert page["totalItems"] == 3 and page["totalPages"] == 2
    assert page["currentPage"] == 2 and page["offset"] == 2 and [d["id"] for d in page["data"]] == own[2:]
    assert alice.search(q=word, repositoryId=shared, searchAllAlphacast="true").json()["data"][0]["id"] == public
    assert bob.search(q=word, searchAllAlphacast="true").json()["totalItems"] == 1  # alice's are private
    emu.deprecate_dataset(own[0])
    kept = alice.search(q=word, excludeDeprecated="true").json()
    assert [d["id"] for d in kept["data"]] == own[1:]
    assert alice.search(q=f"{word} own 1").json()["data"][0]["id"] == own[1]
    assert alice.search(q=word, length=0).status_code == 400
    assert requests_get(emu.workspace_url + "/repositories").status_code == 404


def requests_get(url):
    import requests

    return requests.get(url, params={"apiKey": "ak_emu_alice_000000000001"})


def test_an_http_1_0_client_gets_the_download_delimited_by_close(alice: Api):
    import socket

    dataset = alice.dataset()
    alice.load(dataset, CSV)
    parts = urlsplit(alice.url)
    auth = base64.b64encode(f"{alice.key}:".encode()).decode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(f"GET /datasets/{dataset}/data?$format=csv HTTP/1.0\r\nAuthorization: Basic {auth}\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"chunked" not in head.lower()
    assert body.decode() == CSV
