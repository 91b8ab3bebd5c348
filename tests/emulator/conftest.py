"""Fixtures for the emulator's own tests: one emulator per module, plain ``requests``
sessions for each account, and helpers that speak the wire protocol directly."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Iterator
from itertools import count

import pytest
import requests

from alphacast.emulator import Emulator

ALICE = "ak_emu_alice_000000000001"
BOB = "ak_emu_bob_0000000000002"
_names = count()


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)} {time.monotonic_ns()}"


class Api:
    """One account's view of the API host, over a kept-alive session."""

    def __init__(self, emu: Emulator, key: str) -> None:
        self.emu = emu
        self.url = emu.api_url
        self.session = requests.Session()
        self.session.auth = (key, "")
        self.key = key

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.url + path, **kwargs)

    def put(self, path: str, **kwargs) -> requests.Response:
        return self.session.put(self.url + path, **kwargs)

    def delete(self, path: str, **kwargs) -> requests.Response:
        return self.session.delete(self.url + path, **kwargs)

    def search(self, **params) -> requests.Response:
        return requests.get(self.emu.workspace_url + "/api/search", params={"apiKey": self.key, **params})

    def repository(self, privacy: str = "Private") -> int:
        r = self.post("/repositories", data={"name": unique("repo"), "privacy": privacy})
        assert r.status_code == 200, r.text
        return int(r.json()["id"])

    def dataset(self, repository_id: int | None = None, name: str | None = None, entities=("country",)) -> int:
        repository_id = repository_id or self.repository()
        r = self.post("/datasets", data={"name": name or unique("ds"), "repositoryId": repository_id})
        assert r.status_code == 200, r.text
        dataset_id = int(r.json()["id"])
        if entities is not None:
            body = {"dateColumnName": "Date", "entitiesColumnNames": list(entities), "dateFormat": "%Y-%m-%d"}
            r = self.put(f"/datasets/{dataset_id}/columns/initializer", json=body)
            assert r.status_code == 200, r.text
        return dataset_id

    def upload(self, dataset_id: int, csv: str | bytes, manifest=None, gz: bool = True, **flags) -> dict:
        query = "&".join(f"{k}={v}" for k, v in flags.items())
        data = csv.encode() if isinstance(csv, str) else csv
        files = {"data": ("data.csv.gz", gzip.compress(data) if gz else data)}
        form = {"manifest": json.dumps(manifest)} if manifest is not None else None
        r = self.put(f"/datasets/{dataset_id}/data?{query}", files=files, data=form)
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, dataset_id: int, process_id: int) -> dict:
        for _ in range(400):
            process = self.get(f"/datasets/{dataset_id}/processes/{process_id}").json()
            if process["status"] not in ("Requested", "Processing"):
                return process
            time.sleep(0.02)
        raise AssertionError("the upload was never processed")

    def load(self, dataset_id: int, csv: str, **flags) -> dict:
        manifest = flags.pop("manifest", None)
        return self.wait(dataset_id, self.upload(dataset_id, csv, manifest=manifest, **flags)["id"])

    def rows(self, dataset_id: int, query: str = "") -> list[dict]:
        r = self.get(f"/datasets/{dataset_id}/data?$format=json{query}")
        assert r.status_code == 200, r.text
        return [json.loads(line) for line in r.content.splitlines()]

    def close(self) -> None:
        self.session.close()


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(accounts={"alice": ALICE, "bob": BOB}) as emulator:
        yield emulator


@pytest.fixture
def alice(emu: Emulator) -> Iterator[Api]:
    api = Api(emu, ALICE)
    yield api
    api.close()


@pytest.fixture
def bob(emu: Emulator) -> Iterator[Api]:
    api = Api(emu, BOB)
    yield api
    api.close()
