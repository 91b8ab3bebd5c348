"""Fault injection: failed answers, resets and latency, reproducible from a seed."""

from __future__ import annotations

import time

import pytest
import requests

from alphacast.emulator import Emulator

KEY = "ak_faults_000000000001"


def statuses(seed: int, n: int = 40, **faults) -> list[int]:
    with Emulator(accounts={"f": KEY}, seed=seed, **faults) as emu, requests.Session() as session:
        session.auth = (KEY, "")
        return [session.get(emu.api_url + "/repositories").status_code for _ in range(n)]


def test_fail_rate_is_deterministic_for_a_seed():
    first = statuses(3, fail_rate=0.5)
    assert set(first) == {200, 503}
    assert statuses(3, fail_rate=0.5) == first
    assert statuses(4, fail_rate=0.5) != first
    assert 5 < first.count(503) < 35


def test_429_carries_retry_after_and_a_json_message():
    with Emulator(accounts={"f": KEY}, fail_rate=1.0, fail_status=429, seed=1) as emu:
        r = requests.get(emu.api_url + "/repositories", auth=(KEY, ""))
        assert r.status_code == 429 and r.headers["Retry-After"] == "1" and r.json()["message"]
        r = requests.get(emu.workspace_url + "/api/search", params={"apiKey": KEY, "q": "x"})
        assert r.status_code == 429
        assert [e["status"] for e in emu.request_log] == [429, 429]
        assert emu.request_log[0]["account"] == "f"


def test_a_failed_upload_leaves_the_connection_usable():
    with Emulator(accounts={"f": KEY}) as emu, requests.Session() as session:
        session.auth = (KEY, "")
        emu.set_faults(fail_rate=1.0, fail_status=503)
        r = session.put(emu.api_url + "/datasets/1/data", files={"data": ("d", b"x" * 200000)})
        assert r.status_code == 503
        emu.set_faults()
        assert session.get(emu.api_url + "/repositories").status_code == 200


def test_reset_rate_drops_the_connection_without_an_answer():
    with Emulator(accounts={"f": KEY}, reset_rate=1.0, seed=0) as emu:
        with pytest.raises(requests.ConnectionError):
            requests.get(emu.api_url + "/repositories", auth=(KEY, ""))
        assert emu.request_log[0]["status"] is None and emu.request_log[0]["key"] == KEY
    mixed = statuses(11, reset_rate=0.0, fail_rate=0.0)
    assert mixed == [200] * 40


def test_latency_is_added_to_each_request():
    with Emulator(accounts={"f": KEY}, latency=0.2) as emu:
        started = time.monotonic()
        assert requests.get(emu.api_url + "/repositories", auth=(KEY, "")).status_code == 200
        assert time.monotonic() - started >= 0.2


@pytest.mark.parametrize("options", [{"fail_rate": 1.5}, {"reset_rate": -0.1}, {"latency": -1}, {"fail_status": 200}])
def test_bad_fault_options_are_refused(options):
    with pytest.raises(ValueError):
        Emulator(accounts={"f": KEY}, **options)
