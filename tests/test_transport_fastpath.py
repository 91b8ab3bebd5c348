"""The transport's hot path (``alphacast._hotpath``, ``alphacast._lean_adapter``)
against the real TLS emulator and real sockets: what ``requests.Session.request``
did on every call (environment proxies and CA bundle) still happens, cookies never,
connections are kept and shared safely between threads."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from alphacast import Alphacast, ConnectionFailedError, RetryPolicy
from alphacast.emulator import Emulator

from .recording_server import Reply, recording_server
from .tcp_relay import tcp_relay

KEY = "ak_fastpath_client_8Jk3Vb6Np1Qz"
OTHER_KEY = "ak_fastpath_other_2Hs7Tg4Wd9Lc"
NO_RETRY = RetryPolicy.disabled()


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Emulator]:
    with Emulator(accounts={"fast": KEY}, tls=True) as emu:
        yield emu


@pytest.fixture
def no_ca_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)


def _dataset(client: Alphacast, name: str) -> int:
    repository = client.repository.create("fastpath", returnIdIfExists=True)
    return int(client.datasets.create(name, int(repository["id"]))["id"])


def test_300_calls_over_tls_take_one_connection(tls_emulator: Emulator, no_ca_variables):
    ca = str(tls_emulator.ca_file)
    with Alphacast(KEY, api_url=tls_emulator.api_url, verify=ca) as setup:
        dataset_id = _dataset(setup, "one connection")
    with tcp_relay(tls_emulator.api_url) as (url, accepted):
        with Alphacast(KEY, api_url=url, workspace_url=url, verify=ca) as client:
            dataset = client.datasets.dataset(dataset_id)
            ids = {dataset.metadata()["id"] for _ in range(300)}
    assert ids == {dataset_id}
    assert len(accepted) == 1


def test_one_client_shared_by_eight_threads(tls_emulator: Emulator, no_ca_variables):
    ca = str(tls_emulator.ca_file)
    with Alphacast(KEY, api_url=tls_emulator.api_url, verify=ca) as setup:
        dataset_ids = [_dataset(setup, f"thread {i}") for i in range(8)]
    answers: dict[int, set[object]] = {i: set() for i in dataset_ids}
    failures: list[BaseException] = []
    with tcp_relay(tls_emulator.api_url) as (url, accepted):
        with Alphacast(KEY, api_url=url, workspace_url=url, verify=ca) as client:

            def work(dataset_id: int) -> None:
                try:
                    dataset = client.datasets.dataset(dataset_id)
                    for _ in range(40):
                        answers[dataset_id].add(dataset.metadata()["id"])
                except BaseException as exc:
                    failures.append(exc)

            threads = [threading.Thread(target=work, args=(i,)) for i in dataset_ids]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    assert failures == []
    # every thread got its own dataset's answers, never another thread's
    assert answers == {i: {i} for i in dataset_ids}
    assert 1 <= len(accepted) <= 8


def test_curl_ca_bundle_in_the_environment(
    tls_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, no_ca_variables
):
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tls_emulator.ca_file))
    with Alphacast(
        KEY, api_url=tls_emulator.api_url, workspace_url=tls_emulator.workspace_url
    ) as client:
        assert isinstance(client.repository.read_all(), list)
        assert client.search.datasets("nothing-matches-this")["totalItems"] == 0


def test_the_environment_is_read_once_per_client_and_origin(
    tls_emulator: Emulator, monkeypatch: pytest.MonkeyPatch, no_ca_variables, tmp_path
):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_emulator.ca_file))
    url = tls_emulator.api_url
    with Alphacast(KEY, api_url=url, workspace_url=url, retry=NO_RETRY) as early:
        early.repository.read_all()
        # Changed under a client that has already connected: it keeps what it read.
        missing = tmp_path / "no-such-ca.pem"
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(missing))
        assert isinstance(early.repository.read_all(), list)
        # A new client reads the environment afresh.
        with Alphacast(KEY, api_url=url, workspace_url=url, retry=NO_RETRY) as late:
            with pytest.raises(ConnectionFailedError, match="no-such-ca.pem.*REQUESTS_CA_BUNDLE"):
                late.repository.read_all()


@contextmanager
def refusing_proxy() -> Iterator[tuple[str, list[bytes]]]:
    """An HTTP proxy that records each request's head and answers 502."""
    listener = socket.create_server(("127.0.0.1", 0))
    heads: list[bytes] = []

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with client:
                head = b""
                while b"\r\n\r\n" not in head and (data := client.recv(4096)):
                    head += data
                heads.append(head)
                client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", heads
    finally:
        listener.close()


def test_an_environment_proxy_tunnels_https_to_a_host_that_is_not_loopback(
    monkeypatch: pytest.MonkeyPatch,
):
    with refusing_proxy() as (proxy, heads):
        for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        with Alphacast(KEY, api_url="https://api.alphacast.invalid", retry=NO_RETRY) as client:
            with pytest.raises(ConnectionFailedError) as info:
                client.repository.read_all()
    # http.client tunnels with HTTP/1.0 before Python 3.12 and HTTP/1.1 since.
    lines = [head.split(b"\r\n", 1)[0] for head in heads]
    assert lines in (
        [b"CONNECT api.alphacast.invalid:443 HTTP/1.0"],
        [b"CONNECT api.alphacast.invalid:443 HTTP/1.1"],
    )
    # the key goes inside the tunnel only, never to the proxy
    assert KEY.encode() not in heads[0] and b"Authorization" not in heads[0]
    assert KEY not in str(info.value)


def test_cookies_the_service_sets_are_never_sent_back():
    # The service documents no cookie; a jar would outlive the key it was earned
    # with and ignore the origin the key is tied to (tests/test_transport_redteam.py).
    def reply(seen):
        return Reply(headers={"Set-Cookie": "session=abc123; Path=/"})

    with recording_server(reply) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            client.repository.read_all()
            client.repository.read_all()
            client.api_key = OTHER_KEY
            client.repository.read_all()
            assert len(client._transport.session.cookies) == 0
    cookies = [seen.headers.get("Cookie") for seen in server.seen]
    assert cookies == [None, None, None]
