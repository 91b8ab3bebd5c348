"""The direct connections (``alphacast._direct``) that carry every call whose body is
in memory and whose answer is read whole, over real sockets: answers encoded,
chunked, cut short or closed; connections refused, reused, dropped while idle.
Threads sharing one client: ``test_transport_fastpath.py``; hostile servers:
``test_transport_redteam.py``."""

from __future__ import annotations

import gzip
import json
import logging
import socket
import threading
import time
from collections.abc import Callable

import pytest

from alphacast import Alphacast, ConnectionFailedError, RetryPolicy, UnexpectedResponseError
from alphacast.emulator import Emulator

from .recording_server import raw_server
from .tcp_relay import tcp_relay

KEY = "ak_direct_connections_5Tq8Wm2Lx7Rb"
NO_RETRY = RetryPolicy.disabled()
QUICK_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.01)


def _answer(head: bytes, body: bytes = b"") -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(head + body)

    return handler


def _client(url: str, retry: RetryPolicy = NO_RETRY) -> Alphacast:
    return Alphacast(KEY, api_url=url, workspace_url=url, retry=retry, timeout=(2, 2))


def test_a_gzip_encoded_answer_is_decoded():
    body = gzip.compress(json.dumps([{"id": 7, "name": "zipped"}]).encode())
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    )
    with raw_server(_answer(head, body)) as url, _client(url) as client:
        assert client.repository.read_all() == [{"id": 7, "name": "zipped"}]


def test_a_chunked_answer_is_read_whole():
    chunks = [b'[{"id": 1', b', "name": "a"}', b", ", b'{"id": 2}]']
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    with raw_server(_answer(head, body)) as url, _client(url) as client:
        assert client.repository.read_all() == [{"id": 1, "name": "a"}, {"id": 2}]


def test_an_answer_read_until_the_server_closes():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    with raw_server(_answer(head, b'[{"id": 3}]')) as url, _client(url) as client:
        assert client.repository.read_all() == [{"id": 3}]
        assert client.repository.read_all() == [{"id": 3}]  # on a new connection


def test_an_answer_cut_short_is_a_connection_error_not_a_short_body():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    with raw_server(_answer(head, b'[{"id": 3}')) as url, _client(url) as client:
        with pytest.raises(ConnectionFailedError, match="ended prematurely") as info:
            client.repository.read_all()
    assert not isinstance(info.value, UnexpectedResponseError)


def test_a_refused_connection_is_retried_even_for_a_post(caplog: pytest.LogCaptureFixture):
    """Nothing was sent, so creating something twice is impossible: a POST is
    retried like a GET (a POST that reached the server is not; see below)."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    url = f"http://127.0.0.1:{port}"  # nothing listens there now
    with caplog.at_level(logging.DEBUG, logger="alphacast"), _client(url, QUICK_RETRY) as client:
        with pytest.raises(ConnectionFailedError, match=f"could not connect to {url}") as info:
            client.repository.create("never")
    assert "Max retries" not in str(info.value)
    retries = [r for r in caplog.records if r.getMessage().startswith("retrying in")]
    assert len(retries) == 2


def test_a_post_the_server_dropped_after_receiving_is_not_retried():
    received: list[int] = []

    def answer_then_drop(conn: socket.socket) -> None:
        received.append(1)
        if len(received) == 1:  # create() first looks the name up: none yet
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]")

    with raw_server(answer_then_drop) as url, _client(url, QUICK_RETRY) as client:
        with pytest.raises(ConnectionFailedError, match="Connection aborted"):
            client.repository.create("maybe")
    assert len(received) == 2  # the lookup, then the one POST: the server may have acted


def _answer_once_per_connection(connections: list[int]) -> Callable[[socket.socket], None]:
    """Answers a connection's first request; reads its second and closes unanswered,
    as a server whose keep-alive timeout struck just as the request went out."""

    def handler(conn: socket.socket) -> None:
        connections.append(1)
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
        )
        data = b""
        while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
            data += chunk

    return handler


def test_a_get_the_server_closed_under_goes_again_at_once_on_a_new_connection():
    connections: list[int] = []
    with raw_server(_answer_once_per_connection(connections)) as url, _client(url) as client:
        assert client.repository.read_all() == []
        assert client.repository.read_all() == []  # no retry policy: the pool sent it again
    assert len(connections) == 2


def test_a_post_the_server_closed_under_is_left_to_the_retry_policy():
    connections: list[int] = []
    with raw_server(_answer_once_per_connection(connections)) as url, _client(url) as client:
        with pytest.raises(ConnectionFailedError, match="Connection aborted"):
            client.repository.create("maybe")  # the name lookup answered, the POST dropped
    assert len(connections) == 1


def test_a_server_that_closes_idle_connections_costs_no_failed_call():
    with Emulator(accounts={"direct": KEY}) as emu:
        with tcp_relay(emu.api_url) as (url, accepted), _client(url) as client:
            repository = client.repository.create("idle", returnIdIfExists=True)
            for round_ in range(3):
                emu.close_connections()  # as a server's keep-alive timeout does
                created = client.datasets.create(f"idle {round_}", int(repository["id"]))
                assert client.datasets.dataset(int(created["id"])).metadata()["id"] == created["id"]
    assert len(accepted) == 4


def test_closing_the_client_closes_its_connections():
    with Emulator(accounts={"direct": KEY}) as emu:
        with tcp_relay(emu.api_url) as (url, accepted):
            client = _client(url)
            client.repository.read_all()
            client.close()
            client.repository.read_all()  # a closed client may be used again: a new connection
            client.close()
    assert len(accepted) == 2


def test_a_connection_in_use_when_the_client_closes_is_closed_when_its_call_ends():
    with Emulator(accounts={"direct": KEY}, latency=0.5) as emu:
        with tcp_relay(emu.api_url) as (url, accepted):
            client = _client(url)
            answers: list[object] = []
            call = threading.Thread(target=lambda: answers.append(client.repository.read_all()))
            call.start()
            while not accepted:  # the call is on its connection, waiting for the answer
                time.sleep(0.01)
            client.close()
            call.join()
            assert answers == [[]]
            client.repository.read_all()  # not on the connection the close outlived
            client.close()
    assert len(accepted) == 2


@pytest.mark.parametrize("timeout", [None, (5, None)])
def test_no_read_timeout_means_no_limit_not_an_error(timeout):
    with Emulator(accounts={"direct": KEY}) as emu:
        with Alphacast(KEY, api_url=emu.api_url, workspace_url=emu.api_url, timeout=timeout) as c:
            assert c.repository.read_all() == []
            assert c.repository.create("unlimited")["name"] == "unlimited"
