"""The ``vault`` provider against a real 3-node OpenBao raft cluster (``openbao_cluster.py``):
several addresses, tried in order, the one that served remembered; a dead, silent,
sealed or redirecting node skipped within the ``ALPHACAST_VAULT_TIMEOUT`` budget; and
clients reading in a loop while the leader is stopped.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from alphacast import CredentialError
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao_cluster import Cluster
from tests.recording_server import Reply, recording_server

pytestmark = pytest.mark.vault

KEY = "ak_cluster_0123456789abcdefghijklmnopqrstuv"
TIMEOUT = 3.0


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("cluster")) as started:
        started.put_kv2("alphacast/default", {"api_key": KEY})
        yield started


@pytest.fixture
def bao(cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Cluster:
    monkeypatch.setenv("VAULT_TOKEN", cluster.root_token)
    monkeypatch.setenv("ALPHACAST_VAULT_TIMEOUT", str(TIMEOUT))
    # Every node is up and unsealed, and every one serves (standbys catch up).
    for index, node in enumerate(cluster.nodes):
        if node.process is None:
            cluster.restart_node(index)
    cluster.wait_for_leader()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        answers = [
            node.call("GET", "secret/data/alphacast/default", token=cluster.root_token)
            for node in cluster.nodes
        ]
        if all(answer.status_code == 200 for answer in answers):
            break
        time.sleep(0.2)
    return cluster


def addresses(monkeypatch: pytest.MonkeyPatch, *listed: str) -> None:
    monkeypatch.setenv("ALPHACAST_VAULT_ADDRS", ", ".join(listed))


def key() -> str:
    credential = VaultProvider().resolve("default")
    assert credential is not None
    return str(credential.api_key)


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_every_node_in_alphacast_vault_addrs_serves(bao, monkeypatch):
    for node in bao.nodes:
        addresses(monkeypatch, node.address)
        credential = VaultProvider().resolve("default")
        assert credential is not None and credential.api_key == KEY
        assert node.address in credential.source


def test_vault_addr_in_the_profile_section_wins_over_the_environment(bao, monkeypatch, home):
    addresses(monkeypatch, closed_port())
    monkeypatch.setenv("VAULT_ADDR", closed_port())
    write_config(home, f"[default]\nvault_addr = {bao.nodes[1].address},{bao.nodes[2].address}\n")
    credential = VaultProvider().resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert bao.nodes[1].address in credential.source


def test_a_refused_connection_moves_on_and_the_server_that_served_is_remembered(bao, monkeypatch):
    dead = closed_port()
    addresses(monkeypatch, dead, bao.nodes[0].address)
    assert key() == KEY
    # Made silent: the first address would now cost its whole share of the budget.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", int(dead.rsplit(":", 1)[1])))
        silent.listen(8)
        started = time.monotonic()
        assert key() == KEY
        assert time.monotonic() - started < 1.0  # the node that served was asked first


def test_a_silent_server_costs_only_its_share_of_the_budget(bao, monkeypatch):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        addresses(monkeypatch, f"http://127.0.0.1:{silent.getsockname()[1]}", bao.nodes[1].address)
        started = time.monotonic()
        assert key() == KEY
        elapsed = time.monotonic() - started
    assert TIMEOUT / 2 - 0.2 < elapsed < TIMEOUT


def test_a_standby_that_redirects_is_skipped_and_sent_nothing(bao, monkeypatch):
    def redirect(seen: object) -> Reply:
        return Reply(307, {"Location": bao.nodes[0].address + "/v1/secret"}, b"")

    with recording_server(redirect) as standby:
        addresses(monkeypatch, standby.url, bao.nodes[2].address)
        assert key() == KEY
    assert len(standby.seen) >= 1


def test_a_sealed_node_is_skipped(bao, monkeypatch):
    follower = next(i for i in range(3) if i != bao.wait_for_leader())
    bao.stop_node(follower)
    bao.restart_node(follower, unseal=False)
    health = bao.nodes[follower].health()
    assert health is not None and health["sealed"] is True
    others = [node.address for i, node in enumerate(bao.nodes) if i != follower]
    addresses(monkeypatch, bao.nodes[follower].address, *others)
    assert key() == KEY
    bao.unseal(follower)


def test_when_no_server_can_serve_every_one_is_named(bao, monkeypatch):
    first, second = closed_port(), closed_port()
    addresses(monkeypatch, first, second)
    started = time.monotonic()
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("default")
    assert time.monotonic() - started < TIMEOUT
    text = str(info.value)
    assert "none of the 2 Vault servers in ALPHACAST_VAULT_ADDRS could serve" in text
    assert f"{first}: " in text and f"{second}: " in text and "Connection refused" in text
    assert bao.root_token not in text


def test_plain_http_to_any_non_loopback_address_is_refused_before_connecting(bao, monkeypatch):
    addresses(monkeypatch, bao.nodes[0].address, "http://vault.example.com:8200")
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("default")
    assert "refusing to read from Vault over plain http at vault.example.com" in str(info.value)


class Readers:
    """Threads resolving the key in a loop, each call timed and its outcome kept."""

    def __init__(self, count: int) -> None:
        self.stop = threading.Event()
        self.outcomes: list[tuple[float, float, str]] = []  # (started, seconds, outcome)
        self.unexpected: list[BaseException] = []
        self._lock = threading.Lock()
        self.threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def _read(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                outcome = "key" if key() == KEY else "wrong key"
            except CredentialError as exc:
                outcome = f"error: {exc}"
            except BaseException as exc:  # anything else is a failure of the test
                self.unexpected.append(exc)
                return
            with self._lock:
                self.outcomes.append((started, time.monotonic() - started, outcome))
            time.sleep(0.02)

    def __enter__(self) -> Readers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=2 * TIMEOUT)
        assert not any(thread.is_alive() for thread in self.threads), "a reader hangs"

    def served_after(self, moment: float) -> int:
        return sum(
            1 for started, _, outcome in self.outcomes if started > moment and outcome == "key"
        )


def _stop_while_reading(bao: Cluster, monkeypatch: pytest.MonkeyPatch, victim: int) -> Readers:
    addresses(monkeypatch, *bao.addresses)
    with Readers(4) as readers:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        bao.stop_node(victim)
        bao.wait_for_leader()
        deadline = time.monotonic() + 30
        while readers.served_after(time.monotonic()) == 0 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2.0)
    assert not readers.unexpected
    assert readers.served_after(stopped_at) > 0
    for _, seconds, outcome in readers.outcomes:
        assert seconds < TIMEOUT + 1.0, f"a read took {seconds:.1f} s"
        assert outcome == "key" or outcome.startswith("error: vault: "), outcome
    # Once a leader is elected, every read is served.
    settled = time.monotonic() - 1.5
    late = [outcome for started, _, outcome in readers.outcomes if started > settled]
    assert late and all(outcome == "key" for outcome in late), late
    return readers


def test_clients_keep_reading_when_the_leader_is_stopped(bao, monkeypatch):
    leader = bao.wait_for_leader()
    _stop_while_reading(bao, monkeypatch, leader)
    assert bao.wait_for_leader() != leader


def test_clients_keep_reading_when_the_first_address_is_stopped(bao, monkeypatch):
    _stop_while_reading(bao, monkeypatch, 0)


# -- a cluster served over TLS with a private CA ----------------------------------------


@pytest.fixture(scope="module")
def tls_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("tls-cluster"), tls=True) as started:
        started.put_kv2("alphacast/default", {"api_key": KEY})
        yield started


def test_a_tls_cluster_with_a_private_ca_fails_over(tls_cluster, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", tls_cluster.root_token)
    monkeypatch.setenv("VAULT_CACERT", str(tls_cluster.ca_cert))
    addresses(monkeypatch, *tls_cluster.addresses)
    assert all(address.startswith("https://") for address in tls_cluster.addresses)
    assert key() == KEY
    leader = tls_cluster.wait_for_leader()
    tls_cluster.stop_node(leader)
    deadline = time.monotonic() + 30
    while True:
        try:
            assert key() == KEY
            break
        except CredentialError:
            assert time.monotonic() < deadline, "no read served after the leader stopped"
            time.sleep(0.5)
    credential = VaultProvider().resolve("default")
    assert credential is not None
    assert tls_cluster.nodes[leader].address not in credential.source


def test_a_tls_cluster_without_its_ca_is_refused_not_skipped(tls_cluster, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", tls_cluster.root_token)
    addresses(monkeypatch, *tls_cluster.addresses)
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("default")
    assert "TLS verification failed" in str(info.value) and "VAULT_CACERT" in str(info.value)
