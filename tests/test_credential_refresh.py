"""Refreshing an expiring key (issue 11, item 9), with real providers and a real
client talking to the emulator.

A provider asked again near expiry that answers with the same key and a new expiry
is not asked again on every request; one that fails while the key is still valid
leaves the key in use, with a warning that never shows the key, until it expires.
"""

from __future__ import annotations

import logging
import shlex
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from alphacast import Alphacast, CredentialError
from alphacast.emulator import Emulator
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, OpenBao, openbao  # noqa: F401 - a fixture

KEY = "ak_refresh_same_key_000001"
#: What the helper writes to stderr when told to fail: it carries the key.
FAILURE = "vault.internal: connection refused while renewing ak_refresh_same_key_000001"


@pytest.fixture
def helper(isolated_env: Path, tmp_path: Path) -> Callable[[float], Callable[[], int]]:
    """``helper(expires_in)``: a credential_process for profile ``prod`` printing KEY,
    expiring ``expires_in`` seconds after each run; it appends a line to a counter
    file per run, and fails (status 1) while ``tmp_path/fail`` exists. Returns a
    function giving the number of runs so far."""
    counter = tmp_path / "runs"
    script = tmp_path / "get-key"

    def configure(expires_in: float) -> Callable[[], int]:
        script.write_text(
            f"#!{sys.executable}\n"
            "import datetime, json, os, sys\n"
            f"open({str(counter)!r}, 'a').write('run\\n')\n"
            f"if os.path.exists({str(tmp_path / 'fail')!r}):\n"
            f"    sys.stderr.write({FAILURE!r})\n"
            "    sys.exit(1)\n"
            "now = datetime.datetime.now(datetime.UTC)\n"
            f"at = now + datetime.timedelta(seconds={expires_in})\n"
            f"print(json.dumps({{'api_key': {KEY!r}, 'expires_at': at.isoformat()}}))\n"
        )
        script.chmod(0o755)
        write_config(
            isolated_env, f"[profile prod]\ncredential_process = {shlex.quote(str(script))}\n"
        )
        return lambda: len(counter.read_text().splitlines()) if counter.exists() else 0

    return configure


def client_for(emu: Emulator) -> Alphacast:
    return Alphacast(profile="prod", api_url=emu.api_url, workspace_url=emu.workspace_url)


def requests(client: Alphacast, count: int = 5) -> None:
    for _ in range(count):
        assert client.repository.read_all() == []


def test_a_short_lived_key_is_not_fetched_again_on_every_request(helper):
    # Expiring in 10 s: well inside the chain's 60 s margin, as a short-lived
    # token from a broker is. Used for half its lifetime before it is asked again.
    runs = helper(expires_in=10)
    with Emulator(accounts={"dana": KEY}) as emu, client_for(emu) as client:
        requests(client)
    assert runs() == 1


def test_the_same_key_with_a_new_expiry_is_adopted(helper):
    runs = helper(expires_in=4)
    with Emulator(accounts={"dana": KEY}) as emu, client_for(emu) as client:
        requests(client, 1)
        first_expiry = client.credential.expires_at
        time.sleep(2.2)  # past half the lifetime: the next request asks again
        requests(client)
        assert runs() == 2  # asked once, not once per request
        assert client.credential.expires_at > first_expiry
        assert client.credential.api_key == KEY


def test_an_unreachable_store_leaves_the_valid_key_in_use_until_it_expires(
    helper, tmp_path, caplog
):
    runs = helper(expires_in=4)
    caplog.set_level(logging.WARNING, logger="alphacast")
    with Emulator(accounts={"dana": KEY}) as emu, client_for(emu) as client:
        requests(client, 1)
        (tmp_path / "fail").touch()
        time.sleep(2.2)  # past half the lifetime: the store is asked, and fails
        requests(client)
        assert runs() == 2  # one failed attempt, then a pause: not one per request
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert "provider 'process' could not refresh its key (fingerprint …0001)" in warnings[0]
        assert "exited with status 1" in warnings[0]
        assert KEY not in caplog.text
        time.sleep(2.0)  # now the key has expired: the failure is raised
        with pytest.raises(CredentialError) as info:
            client.repository.read_all()
    assert "exited with status 1" in str(info.value)
    assert KEY not in str(info.value)


def test_a_store_that_recovers_is_used_again(helper, tmp_path):
    runs = helper(expires_in=4)
    with Emulator(accounts={"dana": KEY}) as emu, client_for(emu) as client:
        requests(client, 1)
        (tmp_path / "fail").touch()
        time.sleep(2.2)
        requests(client, 1)
        (tmp_path / "fail").unlink()
        time.sleep(1.2)  # past the pause after the failure
        requests(client)
        expiry = client.credential.expires_at
    assert runs() == 3
    assert expiry is not None and expiry.timestamp() > time.time() + 2


@pytest.mark.vault
def test_vault_is_read_once_per_refresh_period_not_per_request(
    openbao: OpenBao,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    isolated_env: Path,
):
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "vault")
    write_config(isolated_env, "[profile refresh-timer]\nvault_refresh_seconds = 1\n")
    openbao.put_kv2("alphacast/refresh-timer", {"api_key": KEY})
    api_path = "secret/data/alphacast/refresh-timer"
    before = openbao.reads(api_path)
    with Emulator(accounts={"dana": KEY}) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        with Alphacast(profile="refresh-timer", **urls) as client:
            requests(client, 1)
            time.sleep(1.2)  # past vault_refresh_seconds: read again, once
            requests(client)
    assert openbao.reads(api_path) - before == 2
