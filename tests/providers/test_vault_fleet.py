"""No thundering herd: a fleet of processes started together, each with several clients
(threads), logs in and reads the secret once per process, as OpenBao's own file audit
device counts (``openbao.py``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

import pytest

from tests.providers.helpers import write_config
from tests.providers.openbao import OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

PROCESSES = 16
CLIENTS = 4
KEY = "ak_fleet_0123456789abcdefghijklmnopqrstuvw"

WORKER = textwrap.dedent(
    """
    import sys, threading, time
    from alphacast.chain import resolve_with
    from alphacast.providers.vault import VaultProvider

    start_at = float(sys.argv[1])
    keys = []

    def client():
        for _ in range(5):
            keys.append(resolve_with(VaultProvider(), "fleet").api_key)

    threads = [threading.Thread(target=client) for _ in range({clients})]
    time.sleep(max(0.0, start_at - time.time()))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(sum(key == {key!r} for key in keys))
    """
).format(clients=CLIENTS, key=KEY)


def test_a_fleet_started_together_logs_in_and_reads_once_per_process(openbao, home):  # noqa: F811
    openbao.put_kv2("alphacast/fleet", {"api_key": KEY})
    openbao.policy("fleet", 'path "secret/data/alphacast/fleet" { capabilities = ["read"] }')
    role_id, _ = openbao.approle("fleet", "fleet")
    secret_id = openbao.api("POST", "auth/approle/role/fleet/secret-id")["data"]["secret_id"]
    write_config(
        home,
        f"[profile fleet]\nvault_role_id = {role_id}\nvault_secret_id = {secret_id}\n",
    )
    env = {**os.environ, "VAULT_ADDR": openbao.address, "HOME": str(home)}
    logins = openbao.requests_to("auth/approle/login")
    reads = openbao.reads("secret/data/alphacast/fleet")
    start_at = time.time() + 4.0
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=60)
        assert worker.returncode == 0, err
        assert out.strip() == str(CLIENTS * 5), err
    logins = openbao.requests_to("auth/approle/login") - logins
    reads = openbao.reads("secret/data/alphacast/fleet") - reads
    print(f"\nfleet of {PROCESSES} processes x {CLIENTS} clients: {logins} logins, {reads} reads")
    assert logins <= PROCESSES
    assert reads <= PROCESSES
