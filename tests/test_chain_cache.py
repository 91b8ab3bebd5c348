"""The process-wide cache of cacheable providers, with real ones: ``process`` running
commands and ``vault`` reading from a real OpenBao server.

Concurrent callers share one resolution (single flight); a cached credential is
reused until shortly before it expires; ``fresh=True`` bypasses the cache.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from alphacast import Credential
from alphacast.chain import clear_cache, resolve_with
from alphacast.providers.process import ProcessProvider
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, openbao  # noqa: F401 - a fixture

THREADS = 16


def all_at_once(call) -> list[Credential | None]:
    """``call()`` from THREADS threads released together."""
    barrier = threading.Barrier(THREADS)

    def run(_: int) -> Credential | None:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


@pytest.fixture
def counting_command(isolated_env: Path, tmp_path: Path):
    """A credential_process that appends a line to a counter file per run.

    ``counting_command(expires_in=None)`` configures profile ``prod`` and returns
    a function giving the number of runs so far.
    """
    counter = tmp_path / "runs"
    script = tmp_path / "get-key"

    def configure(expires_in: float | None = None, delay: float = 0.3) -> Callable[[], int]:
        expiry = ""
        if expires_in is not None:
            at = datetime.now(UTC) + timedelta(seconds=expires_in)
            expiry = f', "expires_at": "{at.isoformat()}"'
        script.write_text(
            f"#!{sys.executable}\n"
            "import time\n"
            f"with open({str(counter)!r}, 'a') as f: f.write('run\\n')\n"
            f"time.sleep({delay})\n"
            "n = sum(1 for _ in open(" + repr(str(counter)) + "))\n"
            f'print(\'{{"api_key": "ak_process_run_%06d"{expiry}}}\' % n)\n'
        )
        script.chmod(0o755)
        line = shlex.quote(str(script))
        write_config(isolated_env, f"[profile prod]\ncredential_process = {line}\n")
        return lambda: len(counter.read_text().splitlines()) if counter.exists() else 0

    return configure


# -- process ------------------------------------------------------------------------------


def test_sixteen_threads_share_one_run_of_the_command(counting_command):
    runs = counting_command()
    provider = ProcessProvider()
    results = all_at_once(lambda: resolve_with(provider, "prod"))
    assert runs() == 1
    assert {c.api_key for c in results} == {"ak_process_run_000001"}


def test_cached_until_close_to_expiry_then_run_again(counting_command):
    provider = ProcessProvider()
    runs = counting_command(expires_in=3600, delay=0)
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000001"
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000001"
    assert runs() == 1
    # A key living less than twice the chain's margin (60 s) is reused for half its
    # lifetime, not run again on every use; then the command runs again.
    clear_cache()
    runs = counting_command(expires_in=2, delay=0)
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000002"
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000002"
    assert runs() == 2
    time.sleep(1.1)
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000003"
    assert runs() == 3


def test_fresh_bypasses_the_cache(counting_command):
    provider = ProcessProvider()
    runs = counting_command(delay=0)
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000001"
    assert resolve_with(provider, "prod", fresh=True).api_key == "ak_process_run_000002"
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000002"
    assert runs() == 2


def test_a_changed_command_is_a_different_cache_entry(counting_command, isolated_env, tmp_path):
    provider = ProcessProvider()
    counting_command(delay=0)
    assert resolve_with(provider, "prod").api_key == "ak_process_run_000001"
    other = tmp_path / "other-key"
    other.write_text(f'#!{sys.executable}\nprint(\'{{"api_key": "ak_other_command_0001"}}\')\n')
    other.chmod(0o755)
    write_config(isolated_env, f"[profile prod]\ncredential_process = {shlex.quote(str(other))}\n")
    assert resolve_with(provider, "prod").api_key == "ak_other_command_0001"


# -- vault ----------------------------------------------------------------------------------


@pytest.fixture
def bao(openbao, monkeypatch):  # noqa: F811
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    return openbao


@pytest.mark.vault
def test_sixteen_threads_share_one_vault_read(bao):
    bao.put_kv2("alphacast/flight", {"api_key": "ak_single_flight_0001"})
    before = bao.reads("secret/data/alphacast/flight")
    provider = VaultProvider()
    results = all_at_once(lambda: resolve_with(provider, "flight"))
    assert {c.api_key for c in results} == {"ak_single_flight_0001"}
    assert bao.reads("secret/data/alphacast/flight") - before == 1
    # Served from the cache afterwards; fresh=True reads again.
    resolve_with(provider, "flight")
    assert bao.reads("secret/data/alphacast/flight") - before == 1
    resolve_with(provider, "flight", fresh=True)
    assert bao.reads("secret/data/alphacast/flight") - before == 2


@pytest.mark.vault
def test_profiles_are_cached_separately(bao):
    bao.put_kv2("alphacast/flight-a", {"api_key": "ak_profile_a_00000001"})
    bao.put_kv2("alphacast/flight-b", {"api_key": "ak_profile_b_00000001"})
    provider = VaultProvider()
    assert resolve_with(provider, "flight-a").api_key == "ak_profile_a_00000001"
    assert resolve_with(provider, "flight-b").api_key == "ak_profile_b_00000001"
    assert resolve_with(provider, "flight-a").profile == "flight-a"
