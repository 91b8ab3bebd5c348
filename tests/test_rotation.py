"""Key rotation: the old key stops working at once; a client re-resolves once on 401.

First with a provider held in memory, then with the key in a real store (the shared
credentials file, the Secret Service) rewritten by ``alphacast auth set`` in another
process while a client created before the rotation keeps running.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from alphacast import Alphacast, AuthenticationError, Credential, CredentialProvider
from alphacast.emulator import Emulator

OLD = "ak_rotate_old_00000000001"
NEW = "ak_rotate_new_00000000002"
OTHER = "ak_rotate_other_000000003"


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


@pytest.fixture(params=["shared-file", pytest.param("keyring", marks=pytest.mark.keyring)])
def store(request: pytest.FixtureRequest) -> str:
    """A store ``alphacast auth set --store`` writes: ``~/.alphacast/credentials`` in
    the test's HOME, or the private Secret Service of ``real_keyring``."""
    if request.param == "keyring":
        request.getfixturevalue("real_keyring")
    return str(request.param)


def auth_set(profile: str, store: str, key: str) -> None:
    """``alphacast auth set PROFILE --store STORE`` in another process, the key on stdin."""
    result = subprocess.run(
        [sys.executable, "-m", "alphacast", "auth", "set", profile, "--store", store],
        input=key + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert key not in result.stdout + result.stderr


def sent(emu: Emulator) -> list[tuple[Any, ...]]:
    """``(status, account, key)`` of every request since the log was last cleared."""
    return [(entry["status"], entry["account"], entry["key"]) for entry in emu.request_log]


def repository_names(client: Alphacast) -> list[str]:
    return [repository["name"] for repository in client.repository.read_all()]


def test_a_key_rotated_in_a_real_store_is_picked_up_after_one_401(store: str):
    auth_set("dana", store, OLD)
    with Emulator(accounts={"dana": OLD}) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        with Alphacast(profile="dana", **urls) as client:
            before = client.credential
            assert before.provider == store
            assert client.repository.read_all() == []
            emu.rotate_key("dana", NEW)

            # The store still holds the old key: one 401, one re-read that finds
            # nothing new, and the error.
            emu.clear_request_log()
            with pytest.raises(AuthenticationError):
                client.repository.read_all()
            assert sent(emu) == [(401, None, OLD)]

            auth_set("dana", store, NEW)
            emu.clear_request_log()
            assert client.repository.read_all() == []
            assert sent(emu) == [(401, None, OLD), (200, "dana", NEW)]
            after = client.credential
            assert (after.provider, after.source) == (before.provider, before.source)
            assert (before.fingerprint, after.fingerprint) == ("…0001", "…0002")

            # From now on the new key goes out first, to both hosts.
            emu.clear_request_log()
            client.repository.read_all()
            client.search.datasets("x")
            assert sent(emu) == [(200, "dana", NEW), (200, "dana", NEW)]


def test_two_accounts_in_one_process_only_the_rotated_one_changes_key(store: str):
    auth_set("dana", store, OLD)
    auth_set("erin", store, OTHER)
    with Emulator(accounts={"dana": OLD, "erin": OTHER}) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        for account, key in (("dana", OLD), ("erin", OTHER)):
            with Alphacast(key, **urls) as owner:
                owner.repository.create(f"{account} data")
        with Alphacast(profile="dana", **urls) as dana, Alphacast(profile="erin", **urls) as erin:
            assert (dana.credential.provider, erin.credential.provider) == (store, store)
            assert repository_names(dana) == ["dana data"]
            assert repository_names(erin) == ["erin data"]

            emu.rotate_key("dana", NEW)
            auth_set("dana", store, NEW)

            # erin's client neither fails nor re-reads: its key was not rotated.
            emu.clear_request_log()
            assert repository_names(erin) == ["erin data"]
            assert sent(emu) == [(200, "erin", OTHER)]

            emu.clear_request_log()
            assert repository_names(dana) == ["dana data"]
            assert sent(emu) == [(401, None, OLD), (200, "dana", NEW)]

            emu.clear_request_log()
            assert repository_names(erin) == ["erin data"]
            assert repository_names(dana) == ["dana data"]
            assert sent(emu) == [(200, "erin", OTHER), (200, "dana", NEW)]
            assert erin.credential.fingerprint == "…0003"
            assert dana.credential.fingerprint == "…0002"

        # Rewriting dana's key left erin's in the store.
        with Alphacast(profile="erin", **urls) as again:
            assert again.credential.fingerprint == "…0003"
            assert repository_names(again) == ["erin data"]
