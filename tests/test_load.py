"""Two accounts, 16 threads, thousands of requests: no crossed keys, no errors,
one resolution per client."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from alphacast import Alphacast, Credential, CredentialProvider
from alphacast.emulator import Emulator

KEYS = {"north": "ak_load_north_111111111111", "south": "ak_load_south_222222222222"}
REQUESTS_PER_THREAD = 150


class Counting(CredentialProvider):
    name = "counting"

    def __init__(self, key: str) -> None:
        self.key = key
        self.calls = 0
        self._lock = threading.Lock()

    def resolve(self, profile: str) -> Credential | None:
        with self._lock:
            self.calls += 1
        return Credential(self.key, provider=self.name, source="memory")


def test_two_clients_hammered_from_16_threads_never_cross_keys():
    with Emulator(accounts=KEYS) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        providers = {name: Counting(key) for name, key in KEYS.items()}
        clients = {name: Alphacast(provider=providers[name], **urls) for name in KEYS}
        repos = {name: clients[name].repository.create(f"{name} repo") for name in KEYS}
        emu.clear_request_log()

        def hammer(index: int) -> int:
            name = "north" if index % 2 else "south"
            client = clients[name]
            for i in range(REQUESTS_PER_THREAD):
                if i % 3 == 0:
                    client.search.datasets(name)
                else:
                    assert client.repository.read_by_id(repos[name]["id"])["name"] == f"{name} repo"
            return REQUESTS_PER_THREAD

        with ThreadPoolExecutor(max_workers=16) as pool:
            total = sum(pool.map(hammer, range(16)))
        for client in clients.values():
            client.close()
        log = list(emu.request_log)

    assert total == 16 * REQUESTS_PER_THREAD
    assert len(log) == total
    assert all(entry["status"] == 200 for entry in log)
    by_key = {key: name for name, key in KEYS.items()}
    crossed = [e for e in log if by_key.get(e["key"]) != e["account"]]
    assert crossed == []
    counts = {name: sum(1 for e in log if e["account"] == name) for name in KEYS}
    assert counts == {"north": total // 2, "south": total // 2}
    assert {name: p.calls for name, p in providers.items()} == {"north": 1, "south": 1}
