"""Key rotation: the old key stops working at once; a client re-resolves once on 401."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from alphacast import Alphacast, AuthenticationError, Credential, CredentialProvider
from alphacast.emulator import Emulator

OLD = "ak_rotate_old_00000000001"
NEW = "ak_rotate_new_00000000002"


class Mutable(CredentialProvider):
    """Stands for any store whose content changes under a running process."""

    name = "mutable"

    def __init__(self, key: str) -> None:
        self.key = key
        self.calls = 0
        self._lock = threading.Lock()

    def resolve(self, profile: str) -> Credential | None:
        with self._lock:
            self.calls += 1
            return Credential(self.key, provider=self.name, source="memory slot")


def test_a_rotated_key_is_picked_up_after_one_401():
    provider = Mutable(OLD)
    with Emulator(accounts={"dana": OLD}) as emu:
        with Alphacast(provider=provider, api_url=emu.api_url, workspace_url=emu.workspace_url) as client:
            client.repository.read_all()
            emu.rotate_key("dana", NEW)
            provider.key = NEW
            emu.clear_request_log()
            assert client.repository.read_all() == []
            assert client.credential.fingerprint == "…0002"
            statuses = [entry["status"] for entry in emu.request_log]
            assert statuses == [401, 200]
            client.search.datasets("x")  # the workspace host gets the new key too
    assert provider.calls == 2


def test_a_revoked_key_with_nothing_new_raises_with_provenance():
    provider = Mutable(OLD)
    with Emulator(accounts={"erin": OLD}) as emu:
        with Alphacast(provider=provider, api_url=emu.api_url, workspace_url=emu.workspace_url) as client:
            emu.rotate_key("erin", NEW)
            with pytest.raises(AuthenticationError) as info:
                client.repository.read_all()
    text = str(info.value)
    assert text.startswith("API failed with status code 401")
    assert "mutable" in text and "memory slot" in text and "…0001" in text
    assert "regenerat" in text
    assert provider.calls == 2  # re-resolved exactly once


def test_concurrent_401s_share_one_re_resolution():
    provider = Mutable(OLD)
    with Emulator(accounts={"fay": OLD}) as emu:
        with Alphacast(provider=provider, api_url=emu.api_url, workspace_url=emu.workspace_url) as client:
            emu.rotate_key("fay", NEW)
            provider.key = NEW
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(lambda _: client.repository.read_all(), range(8)))
            assert results == [[]] * 8
            assert client.credential.api_key == NEW
    assert provider.calls == 2
