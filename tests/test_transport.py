"""The transport against real sockets: auth placement, pooling, redirects, timeouts,
plain-HTTP refusal, retries and key re-resolution."""

from __future__ import annotations

import base64
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from alphacast import (
    Alphacast,
    ConnectionFailedError,
    InsecureTransportError,
    RetryPolicy,
    ServerError,
    __version__,
)
from alphacast.emulator import Emulator

from .recording_server import Reply, recording_server
from .tcp_relay import tcp_relay

KEY = "ak_transport_test_key_7777"
FAST_RETRY = RetryPolicy(max_attempts=6, backoff_base=0.01, backoff_max=0.05, total_seconds=10)


def test_api_host_uses_basic_auth_and_workspace_uses_api_key_param():
    def reply(seen):  # each resource checks its answer's shape
        return Reply(body=b'{"data": []}' if seen.path.startswith("/api/search") else b"[]")

    with recording_server(reply) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            client.repository.read_all()
            client.search.datasets("gdp", search_all=True)
        api, search = server.seen
    expected = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    assert api.headers["Authorization"] == expected
    assert api.headers["User-Agent"].startswith(f"alphacast-python/{__version__}")
    query = parse_qs(urlsplit(search.path).query)
    assert query["apiKey"] == [KEY]
    assert query["q"] == ["gdp"] and query["searchAllAlphacast"] == ["true"]
    assert "Authorization" not in search.headers


def test_connections_are_pooled_and_reused(emulator):
    from .conftest import ALICE_KEY

    with tcp_relay(emulator.api_url) as (url, accepted):
        with Alphacast(ALICE_KEY, api_url=url, workspace_url=emulator.workspace_url) as client:
            repository = client.repository.create("pooled", returnIdIfExists=True)
            for _ in range(25):
                client.repository.read_all()
            client.datasets.create("pooled", int(repository["id"]))
            client.search.datasets("pooled")  # the workspace host: its own connection
    assert len(accepted) == 1


def test_an_idle_connection_the_server_closed_is_not_used(emulator):
    """A kept-alive connection the server has since closed (its idle timeout) is
    dropped before use: the next call opens a new one and succeeds, even a POST,
    which is never retried once sent."""
    from .conftest import ALICE_KEY

    with tcp_relay(emulator.api_url) as (url, accepted):
        with Alphacast(
            ALICE_KEY, api_url=url, workspace_url=url, retry=RetryPolicy.disabled()
        ) as client:
            repository = client.repository.create("idle", returnIdIfExists=True)
            emulator.close_connections()
            assert client.datasets.create("idle", int(repository["id"]))["id"]
            assert isinstance(client.repository.read_all(), list)
    assert len(accepted) == 2


@pytest.mark.parametrize(
    "url", ["http://api.example.com", "http://10.0.0.5:8080", "ftp://127.0.0.1", "http://[::2]"]
)
def test_plain_http_to_a_non_loopback_host_is_refused(url):
    with pytest.raises(InsecureTransportError) as info:
        Alphacast(KEY, api_url=url)
    assert KEY not in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://api.example.com"])
def test_loopback_http_and_any_https_are_accepted(url):
    Alphacast(KEY, api_url=url, workspace_url=url).close()


def test_redirect_to_another_host_never_carries_the_key():
    with recording_server() as elsewhere:
        target = elsewhere.url + "/landing?x=1"
        with recording_server(lambda seen: Reply(302, {"Location": target})) as origin:
            with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url) as client:
                client.repository.read_all()
                with pytest.raises(Exception):  # noqa: B017 - landing answers [] not a search dict
                    client.search.datasets("gdp")["data"]
    assert len(elsewhere.seen) == 2
    for seen in elsewhere.seen:
        assert "Authorization" not in seen.headers
        assert "apiKey" not in seen.path and KEY not in seen.path


def test_redirect_within_the_same_origin_keeps_authenticating():
    def reply(seen):
        if seen.path.startswith("/repositories"):
            return Reply(307, {"Location": "/moved"})
        return Reply(body=b'[{"id": 1}]')

    with recording_server(reply) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            assert client.repository.read_all() == [{"id": 1}]
    assert [s.path for s in server.seen] == ["/repositories", "/moved"]
    assert all(s.headers.get("Authorization", "").startswith("Basic ") for s in server.seen)


def test_a_slow_server_times_out_with_a_clear_error():
    with recording_server(lambda seen: Reply(delay=1.0)) as server:
        client = Alphacast(KEY, api_url=server.url, workspace_url=server.url, timeout=(1, 0.2), retry=RetryPolicy.disabled())
        with client, pytest.raises(ConnectionFailedError, match="timed out"):
            client.search.datasets("gdp")
    # the search URL carried apiKey, and the message shows it masked


def test_connection_refused_is_a_connection_error_quickly():
    client = Alphacast(KEY, api_url="http://127.0.0.1:9", workspace_url="http://127.0.0.1:9", retry=FAST_RETRY)
    started = time.monotonic()
    with client, pytest.raises(ConnectionFailedError, match="could not complete GET"):
        client.repository.read_all()
    assert time.monotonic() - started < 5


def test_retry_after_is_honoured_on_429():
    answers = iter([Reply(429, {"Retry-After": "1"}), Reply(body=b"[]")])
    with recording_server(lambda seen: next(answers)) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            started = time.monotonic()
            assert client.repository.read_all() == []
            assert time.monotonic() - started >= 0.9
    assert len(server.seen) == 2


def test_gets_survive_injected_503s_and_creates_are_never_duplicated():
    with Emulator(accounts={"carol": KEY}, fail_rate=0.2, fail_status=503, seed=7) as emu:
        with Alphacast(KEY, api_url=emu.api_url, workspace_url=emu.workspace_url, retry=FAST_RETRY) as client:
            created, failed = 0, 0
            for i in range(30):
                try:
                    client.repository.create(f"repo {i}")
                    created += 1
                except ServerError as exc:
                    assert exc.status_code == 503
                    failed += 1
            for _ in range(60):
                client.repository.read_all()  # every GET gets through, retried
            names = [r["name"] for r in client.repository.read_all()]
    assert failed > 0, "the fault injection never hit a create"
    assert len(names) == len(set(names)) == created
    posts = [r for r in emu.request_log if r["method"] == "POST"]
    assert len(posts) == 30  # one attempt per create: never retried after a 503


def test_post_is_retried_when_the_server_said_429_before_acting():
    answers = iter([Reply(429, {"Retry-After": "0"}), Reply(body=b'{"id": 5}')])

    def reply(seen):
        return Reply(body=b"[]") if seen.method == "GET" else next(answers)

    with recording_server(reply) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            assert client.repository.create("x")["id"] == 5
    assert [s.method for s in server.seen] == ["GET", "POST", "POST"]


def test_error_bodies_give_the_server_message():
    body = json.dumps({"message": "Dataset name already taken"}).encode()
    with recording_server(lambda seen: Reply(409, body=body)) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            with pytest.raises(Exception) as info:
                client.datasets.dataset(3).metadata()
    assert str(info.value).startswith("API failed with status code 409")
    assert "Dataset name already taken" in str(info.value)


def _write_netrc(home: Path, host: str, login: str, password: str = "x") -> None:
    netrc = home / ".netrc"
    netrc.write_text(f"machine {host}\nlogin {login}\npassword {password}\n")
    netrc.chmod(0o600)


def test_a_netrc_entry_for_the_host_never_replaces_the_key(isolated_env: Path, monkeypatch):
    from .conftest import ALICE_KEY, BOB_KEY

    monkeypatch.delenv("NETRC", raising=False)
    # requests would send ~/.netrc's login as Basic auth, replacing ours: here
    # that login is another account's valid key.
    _write_netrc(isolated_env, "127.0.0.1", BOB_KEY)
    with Emulator(accounts={"alice": ALICE_KEY, "bob": BOB_KEY}) as emu:
        with Alphacast(ALICE_KEY, api_url=emu.api_url, workspace_url=emu.workspace_url) as client:
            client.repository.create("netrc check")
            names = [r["name"] for r in client.repository.read_all()]
            client.search.datasets("gdp")
        log = emu.request_log
    assert names == ["netrc check"]
    assert {e["host"] for e in log} == {"api", "workspace"}
    assert {(e["account"], e["key"]) for e in log} == {("alice", ALICE_KEY)}


def test_a_netrc_entry_adds_no_credentials_where_we_send_none(isolated_env: Path, monkeypatch):
    monkeypatch.delenv("NETRC", raising=False)
    _write_netrc(isolated_env, "127.0.0.1", "mallory", "netrc-secret")
    with recording_server() as elsewhere:
        target = elsewhere.url + "/landing"

        def reply(seen):
            if seen.path.startswith("/repositories"):
                return Reply(302, {"Location": target})
            return Reply(body=b'{"data": []}')

        with recording_server(reply) as origin:
            with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url) as client:
                client.repository.read_all()
                client.search.datasets("gdp")
    ours = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()
    api, search = origin.seen
    assert api.headers["Authorization"] == ours
    # the workspace host takes the key as a query parameter, and a redirect to
    # another origin carries nothing: netrc must not fill either gap
    assert "Authorization" not in search.headers
    assert [s.path for s in elsewhere.seen] == ["/landing"]
    assert "Authorization" not in elsewhere.seen[0].headers


def test_debug_log_shows_each_request_with_the_key_masked(caplog: pytest.LogCaptureFixture):
    def reply(seen):  # each resource checks its answer's shape
        return Reply(body=b'{"data": []}' if seen.path.startswith("/api/search") else b"[]")

    with recording_server(reply) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            with caplog.at_level(logging.DEBUG, logger="alphacast.transport"):
                client.search.datasets("gdp")
            caplog_after = len(caplog.records)
            client.search.datasets("gdp")  # logging back at WARNING: nothing more
    lines = [r.getMessage() for r in caplog.records if r.name == "alphacast.transport"]
    assert len(lines) == 1 and lines[0].startswith("GET http://127.0.0.1:")
    assert "/api/search" in lines[0] and "-> 200 in" in lines[0]
    assert KEY not in caplog.text and KEY not in lines[0]
    assert len(caplog.records) == caplog_after


# -- Retry-After as an HTTP-date (RFC 9110, section 10.2.3) ------------------------------

#: The three forms of HTTP-date a recipient must accept (RFC 9110, section 5.6.7), all GMT.
HTTP_DATE_FORMS: dict[str, Callable[[float], str]] = {
    "IMF-fixdate": lambda t: time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(t)),
    "rfc850": lambda t: time.strftime("%A, %d-%b-%y %H:%M:%S GMT", time.gmtime(t)),
    "asctime": lambda t: time.strftime("%a %b %e %H:%M:%S %Y", time.gmtime(t)),
}


@pytest.fixture
def local_time_not_utc() -> Iterator[None]:
    """The process's local time zone five hours behind UTC: an HTTP-date read as local
    time instead of GMT is then five hours off."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "EST5"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _retry_delays(caplog: pytest.LogCaptureFixture) -> list[float]:
    found = (re.match(r"retrying in (\d+\.\d+) s", r.getMessage()) for r in caplog.records)
    return [float(m.group(1)) for m in found if m]


@pytest.mark.parametrize(
    ("status", "form"),
    [(429, "IMF-fixdate"), (503, "IMF-fixdate"), (503, "rfc850"), (503, "asctime")],
)
def test_retry_after_as_an_http_date_is_honoured(
    local_time_not_utc, caplog, status: int, form: str
):
    arrived: list[float] = []
    retry_at: list[float] = []

    def reply(seen):
        arrived.append(time.time())
        if len(arrived) > 1:
            return Reply(body=b"[]")
        # whole seconds, as an HTTP-date has them: between 2 and 3 s from now
        retry_at.append(math.ceil(time.time()) + 2)
        return Reply(status, {"Retry-After": HTTP_DATE_FORMS[form](retry_at[0])})

    caplog.set_level(logging.DEBUG, logger="alphacast.transport")
    with recording_server(reply) as server:
        # the default policy: its first backoff is at most 0.5 s
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            assert client.repository.read_all() == []
    assert len(arrived) == 2
    assert arrived[1] >= retry_at[0], "retried before the date the server gave"
    [delay] = _retry_delays(caplog)
    # the date, not the default backoff (at most 0.5 s), decided the wait
    assert 1.0 <= delay <= 3.0


def test_retry_after_as_a_date_in_the_past_retries_at_once(caplog):
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    answers = iter([Reply(503, {"Retry-After": past})] * 3 + [Reply(body=b"[]")])
    # without the header this policy would wait a random 0-4 s before each retry
    slow = RetryPolicy(backoff_base=4.0, backoff_max=4.0)
    assert slow.backoff(1, past) == 0.0
    caplog.set_level(logging.DEBUG, logger="alphacast.transport")
    with recording_server(lambda seen: next(answers)) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url, retry=slow) as client:
            assert client.repository.read_all() == []
    assert len(server.seen) == 4
    assert _retry_delays(caplog) == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    "value", ["soon", "1.5", "-1", "Wed, 32 Oct 2015 07:28:00 GMT", "Wed, 21 Oct 2015", ""]
)
def test_an_unparsable_retry_after_falls_back_to_the_default_backoff(caplog, value: str):
    policy = RetryPolicy(backoff_base=0.2, backoff_max=0.2)
    draws = {policy.backoff(1, value) for _ in range(50)}
    assert all(0.0 <= d <= 0.2 for d in draws)
    assert len(draws) > 1, "not the jittered backoff"
    answers = iter([Reply(503, {"Retry-After": value}), Reply(body=b"[]")])
    caplog.set_level(logging.DEBUG, logger="alphacast.transport")
    with recording_server(lambda seen: next(answers)) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url, retry=policy) as client:
            assert client.repository.read_all() == []
    assert len(server.seen) == 2
    [delay] = _retry_delays(caplog)
    assert 0.0 <= delay <= 0.2
