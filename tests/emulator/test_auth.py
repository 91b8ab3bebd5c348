"""Authentication and access: 401, 403, 404, public repositories, key rotation and the
request log."""

from __future__ import annotations

import requests

from alphacast.emulator import Emulator

from .conftest import ALICE, Api


def test_no_key_and_a_wrong_key_get_401_with_a_message(emu):
    for auth in (None, ("ak_wrong_000000000000", ""), ("", "")):
        r = requests.get(emu.api_url + "/repositories", auth=auth)
        assert r.status_code == 401
        assert r.json()["message"]
    r = requests.get(emu.workspace_url + "/api/search", params={"q": "x"})
    assert r.status_code == 401 and r.json()["message"]
    r = requests.get(emu.workspace_url + "/api/search", params={"q": "x", "apiKey": "ak_nope"})
    assert r.status_code == 401


def test_the_workspace_host_ignores_basic_auth_and_the_api_host_ignores_apikey(emu):
    assert requests.get(emu.workspace_url + "/api/search", auth=(ALICE, "")).status_code == 401
    assert requests.get(emu.api_url + "/repositories", params={"apiKey": ALICE}).status_code == 401


def test_another_accounts_private_dataset_is_403_and_public_is_readable_not_writable(alice: Api, bob: Api):
    private = alice.dataset(alice.repository("Private"))
    public_repo = alice.repository("Public")
    public = alice.dataset(public_repo)
    alice.load(public, "Date,country,v\n2020-01-01,AR,1\n")
    for path in (f"/datasets/{private}", f"/datasets/{private}/data", f"/datasets/{private}/columns",
                 f"/datasets/{private}/processes", f"/datasets/{private}/date-stats"):
        r = bob.get(path)
        assert r.status_code == 403, path
        assert r.json()["message"]
    assert bob.get(f"/datasets/{public}").json()["permissionLevel"] == "Read"
    assert bob.rows(public) == [{"Date": "2020-01-01", "country": "AR", "v": 1}]
    assert bob.get(f"/repositories/{public_repo}").status_code == 200
    # readable, never writable
    assert bob.delete(f"/datasets/{public}").status_code == 403
    assert bob.delete(f"/repositories/{public_repo}").status_code == 403
    r = bob.put(f"/datasets/{public}/data", files={"data": ("d.csv.gz", b"x" * 1000)})
    assert r.status_code == 403
    assert bob.post("/datasets", data={"name": "intruder", "repositoryId": public_repo}).status_code == 403
    body = {"dateColumnName": "Date", "entitiesColumnNames": []}
    r = bob.put(f"/datasets/{public}/columns/initializer", json=body)
    assert r.status_code == 403 and r.json()["message"]
    assert bob.post(f"/datasets/{public}/connector/runs", data={"executionParam": "x"}).status_code == 403
    # the session is still usable after a refused upload (the body was drained)
    assert bob.get(f"/datasets/{public}").status_code == 200


def test_missing_resources_are_404(alice: Api):
    for path in ("/datasets/999999", "/repositories/999999", "/series/999999",
                 "/datasets/999999/data", "/nowhere"):
        r = alice.get(path)
        assert r.status_code == 404, path
        assert r.json()["message"]
    dataset = alice.dataset()
    assert alice.get(f"/datasets/{dataset}/processes/999999").status_code == 404
    assert alice.get(f"/datasets/{dataset}/connector/runs/999999").status_code == 404
    assert alice.post("/repositories/1").status_code == 405


def test_rotate_key_takes_effect_at_once():
    with Emulator(accounts={"dana": "ak_dana_old_0001"}) as emu:
        with requests.Session() as session:
            session.auth = ("ak_dana_old_0001", "")
            assert session.get(emu.api_url + "/repositories").status_code == 200
            new = emu.rotate_key("dana")
            assert new.startswith("ak_") and new != "ak_dana_old_0001"
            assert session.get(emu.api_url + "/repositories").status_code == 401
            session.auth = (new, "")
            assert session.get(emu.api_url + "/repositories").status_code == 200
        assert emu.rotate_key("dana", "ak_dana_chosen") == "ak_dana_chosen"
        assert requests.get(emu.api_url + "/repositories", auth=(new, "")).status_code == 401
        statuses = [(e["account"], e["key"], e["status"]) for e in emu.request_log]
        assert statuses == [
            ("dana", "ak_dana_old_0001", 200),
            (None, "ak_dana_old_0001", 401),
            ("dana", new, 200),
            (None, new, 401),
        ]
        emu.add_account("eve", "ak_eve_1")
        assert requests.get(emu.api_url + "/repositories", auth=("ak_eve_1", "")).status_code == 200
        assert emu.accounts == ["dana", "eve"]


def test_request_log_has_no_query_string_and_records_each_host(emu):
    emu.clear_request_log()
    requests.get(emu.workspace_url + "/api/search", params={"q": "x", "apiKey": ALICE})
    requests.get(emu.api_url + "/datasets", params={"name": "y"}, auth=(ALICE, ""))
    log = emu.request_log
    assert log == [
        {"method": "GET", "path": "/api/search", "host": "workspace", "account": "alice", "key": ALICE, "status": 200},
        {"method": "GET", "path": "/datasets", "host": "api", "account": "alice", "key": ALICE, "status": 200},
    ]
    emu.clear_request_log()
    assert emu.request_log == []


def test_printing_the_request_log_shows_no_key(emu):
    emu.clear_request_log()
    requests.get(emu.api_url + "/repositories", auth=(ALICE, ""))
    requests.get(emu.api_url + "/repositories", auth=("ak_unknown_key_00000042", ""))
    log = emu.request_log
    assert [entry["key"] for entry in log] == [ALICE, "ak_unknown_key_00000042"]
    shown = repr(log) + str(log[0]) + f"{log}"
    assert ALICE not in shown and "ak_unknown_key_00000042" not in shown
    assert "…0042" in shown
