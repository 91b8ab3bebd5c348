"""Where the key may travel: redirects, proxies, loopback, forked children.

Every test talks to real servers on loopback sockets: an "origin" that plays the
API or workspace host, and an "elsewhere" that must never see the key.
"""

from __future__ import annotations

import base64
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from alphacast import (
    Alphacast,
    AlphacastError,
    ConnectionFailedError,
    Credential,
    CredentialProvider,
    InsecureTransportError,
    RetryPolicy,
)
from tests.conftest import ALICE_KEY
from tests.recording_server import Reply, Seen, recording_server

KEY = "ak_routing_0123456789abcdef"
BASIC = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
NO_RETRY = RetryPolicy.disabled()


def _never_saw_the_key(seen: list[Seen]) -> None:
    for request in seen:
        assert "Authorization" not in request.headers
        assert KEY not in request.path
        assert "apikey" not in request.path.lower()
        assert KEY not in repr(request.headers)


def _redirecting(location_for):
    """A reply that redirects every first request, and answers the rest."""

    def reply(seen: Seen) -> Reply:
        if "/landing" in seen.path:
            return Reply(body=b'{"data": []}')
        return Reply(302, {"Location": location_for(seen)})

    return reply


# -- 1a: a cross-origin Location that repeats the query string -------------------------


@pytest.mark.parametrize("with_query", [True, False], ids=["query-copied", "no-query"])
def test_a_cross_origin_redirect_never_carries_the_search_key(with_query: bool):
    answers = iter([b'{"data": []}', b"[]"])  # search, then read_all: the shapes they check

    def answer(seen: Seen) -> Reply:
        return Reply(body=next(answers))

    with recording_server(answer) as elsewhere:

        def location(seen: Seen) -> str:
            sent = seen.path.partition("?")[2]
            query = sent + "&" if with_query and sent else ""
            return f"{elsewhere.url}/landing?{query}page=2"

        with recording_server(_redirecting(location)) as origin:
            with Alphacast(
                KEY, api_url=origin.url, workspace_url=origin.url, retry=NO_RETRY
            ) as client:
                client.search.datasets("gdp")
                client.repository.read_all()
        # the origin was asked with the key, elsewhere never
        assert "apiKey=" in origin.seen[0].path
        assert origin.seen[1].headers["Authorization"] == BASIC
    assert len(elsewhere.seen) == 2
    _never_saw_the_key(elsewhere.seen)
    # what the server added itself still follows; what the SDK added does not
    assert all(seen.path.endswith("/landing?page=2") for seen in elsewhere.seen)


def test_a_cross_origin_location_holding_the_key_elsewhere_in_the_url_is_refused():
    with recording_server() as elsewhere:

        def location(seen: Seen) -> str:
            return f"{elsewhere.url}/landing/{KEY}"

        with recording_server(_redirecting(location)) as origin:
            with Alphacast(
                KEY, api_url=origin.url, workspace_url=origin.url, retry=NO_RETRY
            ) as client:
                with pytest.raises(ConnectionFailedError, match="carries the API key") as info:
                    client.search.datasets("gdp")
    assert elsewhere.seen == []
    assert KEY not in str(info.value)


def test_a_same_origin_redirect_does_not_send_the_key_twice():
    def reply(seen: Seen) -> Reply:
        if seen.path.startswith("/moved"):
            return Reply(body=b'{"data": []}')
        return Reply(302, {"Location": "/moved?" + seen.path.partition("?")[2]})

    with recording_server(reply) as origin:
        with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url) as client:
            client.search.datasets("gdp")
    moved = origin.seen[1].path
    assert moved.startswith("/moved?") and moved.count("apiKey=") == 1


# -- 1b: Locations the parsers read differently ----------------------------------------


@pytest.mark.parametrize(
    "form",
    [
        "http://localhost:{evil}\\@127.0.0.1:{origin}/landing",  # urllib.parse: origin; urllib3: evil
        "http://localhost:{evil}\\\\@127.0.0.1:{origin}/landing",
        "http://127.0.0.1:{origin}@localhost:{evil}/landing",  # userinfo that looks like the origin
        "//localhost:{evil}\\@127.0.0.1:{origin}/landing",  # scheme-relative
    ],
)
def test_a_location_that_parsers_disagree_on_never_gets_the_key(form: str):
    with recording_server() as evil:
        evil_port = evil.url.rsplit(":", 1)[1]

        def location(seen: Seen) -> str:
            return form.format(evil=evil_port, origin=origin_port)

        with recording_server(_redirecting(location)) as origin:
            origin_port = origin.url.rsplit(":", 1)[1]
            with Alphacast(
                KEY, api_url=origin.url, workspace_url=origin.url, retry=NO_RETRY
            ) as client:
                for call in (client.repository.read_all, lambda: client.search.datasets("gdp")):
                    with pytest.raises(ConnectionFailedError, match="refused a redirect"):
                        call()
    _never_saw_the_key(evil.seen)
    assert evil.seen == []


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:99999999/x", "http://127.0.0.1:port/x", "http://[::1/x", "http:///x"],
)
def test_a_malformed_location_is_an_alphacast_error(location: str):
    with recording_server(lambda seen: Reply(302, {"Location": location})) as origin:
        with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url, retry=NO_RETRY) as client:
            with pytest.raises(AlphacastError) as info:
                client.repository.read_all()
    assert isinstance(info.value, ConnectionFailedError)
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:1\\@127.0.0.1:2",
        "http://user@127.0.0.1:2",
        "http://api.localhost:1",
        "http://localhost.evil.com",
    ],
)
def test_a_configured_url_is_read_as_the_connecting_parser_reads_it(url: str):
    with pytest.raises(InsecureTransportError) as info:
        Alphacast(KEY, api_url=url)
    assert KEY not in str(info.value)


# -- 2: proxies from the environment ---------------------------------------------------


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "HTTPS_PROXY"])
def test_loopback_is_never_reached_through_an_environment_proxy(
    emulator, monkeypatch, variable: str
):
    with recording_server(lambda seen: Reply(502)) as proxy:
        monkeypatch.setenv(variable, proxy.url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        with Alphacast(
            ALICE_KEY,
            api_url=emulator.api_url,
            workspace_url=emulator.workspace_url,
            retry=NO_RETRY,
        ) as client:
            client.repository.read_all()
            client.search.datasets("gdp")
    assert proxy.seen == []


def test_after_a_hop_to_another_host_the_environment_proxy_applies_without_the_key(monkeypatch):
    # The hop leaves the key behind, so the proxy may carry it (a corporate proxy
    # must keep working for the unauthenticated landing page).
    with recording_server(lambda seen: Reply(body=b'{"data": []}')) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        location = "http://downloads.example.com/landing"
        with recording_server(_redirecting(lambda seen: location)) as origin:
            with Alphacast(
                KEY, api_url=origin.url, workspace_url=origin.url, retry=NO_RETRY
            ) as client:
                client.search.datasets("gdp")
    assert [seen.path for seen in proxy.seen] == [location]
    _never_saw_the_key(proxy.seen)


# -- 11: a client on both sides of fork() ----------------------------------------------


@contextmanager
def _port_echo_server() -> Iterator[str]:
    """Answers every request with the client's source port: which connection asked."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            body = f'[{{"port": {self.client_address[1]}}}]'.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _child_port(client: Alphacast, out) -> None:
    out.send(client.repository.read_all()[0]["port"])
    out.close()


@pytest.mark.skipif(
    not hasattr(os, "fork"), reason="fork() exists only on POSIX; spawn starts clean"
)
def test_a_forked_child_opens_its_own_connection():
    with _port_echo_server() as url:
        with Alphacast(KEY, api_url=url, workspace_url=url) as client:
            parent_port = client.repository.read_all()[0]["port"]
            context = multiprocessing.get_context("fork")
            receiver, sender = context.Pipe(duplex=False)
            child = context.Process(target=_child_port, args=(client, sender))
            child.start()
            child.join(30)
            assert child.exitcode == 0
            child_port = receiver.recv()
            # the child did not use the parent's socket, and the parent still has it
            assert child_port != parent_port
            assert client.repository.read_all()[0]["port"] == parent_port


@pytest.mark.skipif(
    not hasattr(os, "fork"), reason="fork() exists only on POSIX; spawn starts clean"
)
def test_parent_and_forked_children_get_their_own_answers(emulator):
    with Alphacast(
        ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url
    ) as client:
        repos = [
            client.repository.create(f"fork-check-{n}", returnIdIfExists=True) for n in range(5)
        ]
        context = multiprocessing.get_context("fork")
        # each child (and the parent) keeps asking for its own repository on one client
        children = [context.Process(target=_read_own, args=(client, repo)) for repo in repos[1:]]
        for child in children:
            child.start()
        _read_own(client, repos[0], exit_when_done=False)
        for child in children:
            child.join(60)
    assert [child.exitcode for child in children] == [0] * len(children)


def _read_own(client: Alphacast, repo: dict[str, object], *, exit_when_done: bool = True) -> None:
    answers = [client.repository.read_by_id(int(str(repo["id"])))["id"] for _ in range(40)]
    if exit_when_done:
        os._exit(0 if set(answers) == {repo["id"]} else 1)
    assert set(answers) == {repo["id"]}


class _SlowProvider(CredentialProvider):
    """Takes a while to resolve: a slow credential_process or Vault read."""

    name = "slow-test"
    cacheable = True

    def __init__(self, started: threading.Event) -> None:
        self.started = started

    def resolve(self, profile: str) -> Credential | None:
        self.started.set()
        time.sleep(1.5)
        return Credential("ak_slow_0123456789abcdef", provider=self.name, source="slow")


@pytest.mark.timeout(60)
@pytest.mark.skipif(
    not hasattr(os, "fork"), reason="fork() exists only on POSIX; spawn starts clean"
)
def test_a_fork_while_another_thread_resolves_does_not_hang_the_child():
    started = threading.Event()
    provider = _SlowProvider(started)
    # another thread is inside the chain (holding its locks) when the process forks
    resolving = threading.Thread(
        target=lambda: Alphacast(provider=provider, api_url="http://127.0.0.1:9").close()
    )
    resolving.start()
    assert started.wait(10)
    pid = os.fork()
    if pid == 0:  # the child: resolve the same profile, with a deadline of its own
        signal.alarm(20)
        try:
            with Alphacast(provider=provider, api_url="http://127.0.0.1:9") as client:
                os._exit(0 if client.credential.provider == "slow-test" else 1)
        finally:
            os._exit(2)
    resolving.join()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), "the child hung (killed by its alarm) or crashed"
    assert os.WEXITSTATUS(status) == 0
