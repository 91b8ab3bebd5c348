"""HTTPS on both listeners with a throwaway CA."""

from __future__ import annotations

import ssl

import pytest
import requests

from alphacast.emulator import Emulator

KEY = "ak_tls_0000000000001"


def test_both_hosts_serve_https_verified_by_the_ca_file():
    with Emulator(accounts={"t": KEY}, tls=True) as emu:
        assert emu.api_url.startswith("https://127.0.0.1:") and emu.workspace_url.startswith("https://")
        assert emu.ca_file is not None and emu.ca_file.exists()
        with requests.Session() as session:
            session.auth = (KEY, "")
            ca = str(emu.ca_file)  # per request: REQUESTS_CA_BUNDLE would override session.verify
            assert session.get(emu.api_url + "/repositories", verify=ca).json() == []
            repo = session.post(emu.api_url + "/repositories", data={"name": "tls"}, verify=ca).json()
            assert repo["name"] == "tls"
        r = requests.get(emu.workspace_url + "/api/search", params={"apiKey": KEY, "q": ""}, verify=str(emu.ca_file))
        assert r.json()["totalItems"] == 0
        localhost = emu.api_url.replace("127.0.0.1", "localhost")
        assert requests.get(localhost + "/repositories", auth=(KEY, ""), verify=str(emu.ca_file)).status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.api_url + "/repositories", auth=(KEY, ""))  # system CAs do not know it
        ca_file = emu.ca_file
    assert not ca_file.exists()  # removed on stop


def test_plain_http_to_a_tls_listener_fails_cleanly():
    with Emulator(accounts={"t": KEY}, tls=True) as emu:
        with pytest.raises(requests.ConnectionError):
            requests.get(emu.api_url.replace("https", "http") + "/repositories", timeout=5)
        ctx = ssl.create_default_context(cafile=str(emu.ca_file))
        assert ctx.cert_store_stats()["x509_ca"] == 1
        r = requests.get(emu.api_url + "/repositories", auth=(KEY, ""), verify=str(emu.ca_file))
        assert r.status_code == 200
