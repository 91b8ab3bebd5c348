"""The leak sweep: one unique key through every failure we can provoke; it must appear
zero times in anything printed, logged or raised."""

from __future__ import annotations

import base64
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from alphacast import Alphacast, AlphacastError, ConnectionFailedError, Credential, RetryPolicy
from alphacast.chain import CredentialChain, ResolvedCredential
from alphacast.emulator import Emulator

from .recording_server import Reply, recording_server

KEY = "ak_leakcheck_Q7hZ2mP9xW4vB8nR"
#: A key without the ``ak_`` shape the redaction patterns know: only remembering the
#: key itself can mask it.
PLAIN_KEY = "Lk9plainQ7hZ2mP9xW4vB8nRx"


def fragments(key: str) -> tuple[str, ...]:
    """The key, parts of it, and its HTTP Basic form (base64 of ``KEY:``) with the
    prefix that any base64 text starting with the key shares."""
    basic = base64.b64encode(f"{key}:".encode()).decode()
    return (key, key[3:], key[:-4], basic, basic[: len(key) // 3 * 4])


FRAGMENTS = fragments(KEY)


def assert_clean(text: str, key: str = KEY) -> None:
    for fragment in fragments(key):
        assert fragment not in text, f"key leaked: ...{text[max(0, text.find(fragment) - 80):][:200]}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture):
    for name in ("alphacast", "urllib3", "requests", ""):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _everything(caplog: pytest.LogCaptureFixture, exc: BaseException | None) -> str:
    parts = [caplog.text]
    parts += [f"{r.getMessage()} {r.args!r}" for r in caplog.records]
    if exc is not None:
        parts += traceback.format_exception(exc)
        # Every exception attached to it too, even a context hidden by `from None`
        # (error reporters and debuggers walk __context__).
        linked: BaseException | None = exc
        while linked is not None:
            parts += [str(linked), repr(linked), repr(linked.args)]
            linked = linked.__cause__ or linked.__context__
    return "\n".join(parts)


def _provoke(client_call) -> BaseException | None:
    try:
        client_call()
    except AlphacastError as exc:
        return exc
    return None


@pytest.mark.parametrize("status", [401, 403, 404, 500, 503])
def test_error_statuses_on_both_hosts(debug_logs, status: int):
    body = b'{"message": "denied for key ak_leakcheck_Q7hZ2mP9xW4vB8nR"}'
    with recording_server(lambda seen: Reply(status, body=body)) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url, retry=RetryPolicy.disabled()) as client:
            for call in (client.repository.read_all, lambda: client.search.datasets("x")):
                exc = _provoke(call)
                assert exc is not None
                assert str(exc).startswith(f"API failed with status code {status}")
                assert_clean(_everything(debug_logs, exc))
            assert_clean(repr(client) + str(client.credential) + repr(client._transport.auth))


def test_connection_refused_and_timeouts_on_both_hosts(debug_logs):
    dead = "http://127.0.0.1:9"
    with Alphacast(KEY, api_url=dead, workspace_url=dead, retry=RetryPolicy.disabled()) as client:
        for call in (client.repository.read_all, lambda: client.search.datasets("x")):
            exc = _provoke(call)
            assert exc is not None
            assert_clean(_everything(debug_logs, exc))
    with recording_server(lambda seen: Reply(delay=0.5)) as slow:
        with Alphacast(KEY, api_url=slow.url, workspace_url=slow.url, timeout=(1, 0.1), retry=RetryPolicy.disabled()) as client:
            exc = _provoke(lambda: client.search.datasets("x"))
            assert exc is not None and "timed out" in str(exc)
            assert_clean(_everything(debug_logs, exc))


def test_redirects(debug_logs):
    with recording_server() as elsewhere:
        with recording_server(lambda seen: Reply(302, {"Location": elsewhere.url + "/x"})) as origin:
            with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url) as client:
                client.repository.read_all()
                _provoke(lambda: client.search.datasets("x"))
        assert_clean(_everything(debug_logs, None))
        assert_clean(repr([(s.path, s.headers) for s in elsewhere.seen]))


#: Location forms a server may answer with; {query} is what it was sent, {elsewhere}
#: another host's port, {origin} the API's own port.
LOCATIONS = {
    "cross-origin with the query string": "http://localhost:{elsewhere}/x?{query}",
    "cross-origin without a query": "http://localhost:{elsewhere}/x",
    "backslash read as the origin by urllib.parse": "http://localhost:{elsewhere}\\@127.0.0.1:{origin}/x?{query}",
    "userinfo naming the origin": "http://127.0.0.1:{origin}@localhost:{elsewhere}/x",
}


@pytest.mark.parametrize("form", LOCATIONS.values(), ids=LOCATIONS.keys())
@pytest.mark.parametrize("proxy", [False, True], ids=["no-proxy", "env-proxy"])
def test_redirect_forms_and_an_environment_proxy(debug_logs, monkeypatch, form: str, proxy: bool):
    with recording_server() as elsewhere, recording_server() as proxy_server:
        if proxy:
            monkeypatch.setenv("HTTP_PROXY", proxy_server.url)
            monkeypatch.delenv("NO_PROXY", raising=False)
            monkeypatch.delenv("no_proxy", raising=False)

        def reply(seen):
            query = seen.path.partition("?")[2]
            port = lambda url: url.rsplit(":", 1)[1]  # noqa: E731
            return Reply(302, {"Location": form.format(elsewhere=port(elsewhere.url), origin=port(origin.url), query=query)})

        with recording_server(reply) as origin:
            with Alphacast(KEY, api_url=origin.url, workspace_url=origin.url, retry=RetryPolicy.disabled()) as client:
                errors = [_provoke(client.repository.read_all), _provoke(lambda: client.search.datasets("x"))]
        for exc in errors:
            assert_clean(_everything(debug_logs, exc))
        seen = elsewhere.seen + proxy_server.seen
        assert_clean(repr([(s.path, s.headers) for s in seen]))
        # the origin on loopback is never reached through the proxy
        assert not [s for s in proxy_server.seen if "127.0.0.1" in s.path]


def test_success_paths_with_debug_logging(debug_logs):
    with Emulator(accounts={"leak": KEY}) as emu:
        with Alphacast(KEY, api_url=emu.api_url, workspace_url=emu.workspace_url) as client:
            repo = client.repository.create("leak repo")
            ds = client.datasets.create("leak ds", repo["id"])
            client.datasets.dataset(ds["id"]).upload_data_from_csv("Date,x\n2020-01-01,1\n")
            client.search.datasets("leak")
    assert any("apiKey=***" in r.getMessage() for r in debug_logs.records), "urllib3 did not log the search line"
    assert_clean(_everything(debug_logs, None))


def test_credential_objects_never_show_the_key():
    credential = Credential(KEY, provider="p", source="s")
    resolved = ResolvedCredential(credential, None)
    for text in (repr(credential), str(credential), repr(resolved), f"{credential!s}"):
        assert_clean(text)
    assert_clean(repr(CredentialChain([])))


# -- a timeout on the API host, where the key travels in the Authorization header -----


@contextmanager
def _silent_server() -> Iterator[tuple[str, list[bytes]]]:
    """A listener that reads each request and never answers."""
    received: list[bytes] = []
    done = threading.Event()
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.settimeout(0.05)

        def serve() -> None:
            connections = []
            while not done.is_set():
                try:
                    connection, _ = listener.accept()
                except TimeoutError:
                    continue
                connections.append(connection)
                connection.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data and (piece := connection.recv(65536)):
                    data += piece
                received.append(data)
            for connection in connections:
                connection.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
        finally:
            done.set()
            thread.join()


def _whole_chain(exc: BaseException) -> str:
    """Every exception reachable from ``exc``, suppressed contexts included, and the
    traceback with each frame's local variables (as error reporters capture them)."""
    parts = [
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    ]
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen), repr(seen.args)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY], ids=["ak-key", "plain-key"])
@pytest.mark.parametrize("hang", ["silent-socket", "emulator-latency"])
def test_a_timeout_on_the_api_host(debug_logs, hang: str, key: str):
    retry = RetryPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.01)
    basic = base64.b64encode(f"{key}:".encode()).decode()
    if hang == "silent-socket":
        with _silent_server() as (url, received):
            with Alphacast(
                key, api_url=url, workspace_url=url, timeout=(2, 0.2), retry=retry
            ) as client:
                exc = _provoke(client.repository.read_all)
        # the key was on the wire (so there was something to leak), once per attempt
        assert len(received) == 2
        assert all(f"Authorization: Basic {basic}\r\n".encode() in r for r in received)
    else:
        with Emulator(accounts={"slow": key}, latency=0.6) as emu:
            with Alphacast(
                key, api_url=emu.api_url, workspace_url=emu.api_url, timeout=(2, 0.2), retry=retry
            ) as client:
                exc = _provoke(client.repository.read_all)
        # stopping the emulator waited for both delayed requests: each presented the key
        assert [(e["path"], e["account"]) for e in emu.request_log] == [
            ("/repositories", "slow")
        ] * 2
    assert isinstance(exc, ConnectionFailedError)
    assert "timed out" in str(exc) and "/repositories" in str(exc)
    messages = [r.getMessage() for r in debug_logs.records]
    assert any(m.startswith("retrying in ") for m in messages), "DEBUG logging was not captured"
    assert any("Starting new HTTP connection (2)" in m for m in messages)
    everything = _everything(debug_logs, exc) + _whole_chain(exc)
    assert_clean(everything, key)


def test_a_server_message_echoing_an_explicit_key_of_any_shape_is_masked(debug_logs):
    # Its own key: the keys to mask are remembered process-wide, so one another test
    # already used could hide a client that does not remember its own.
    key = "Lk9echoedM4tV8qZ2wR6yN1p"
    body = f'{{"message": "no access for key {key}"}}'.encode()
    with recording_server(lambda seen: Reply(403, body=body)) as server:
        with Alphacast(
            key, api_url=server.url, workspace_url=server.url, retry=RetryPolicy.disabled()
        ) as client:
            exc = _provoke(client.repository.read_all)
    assert exc is not None and str(exc).startswith("API failed with status code 403")
    assert "no access for key ***" in str(exc)
    assert_clean(_everything(debug_logs, exc), key)


# -- the command line with DEBUG logging ------------------------------------------------

# The CLI has no switch that turns logging on (no --debug/--verbose option and no
# environment variable): the application embedding it, or a user, configures logging.
# This runs `python -m alphacast` exactly, after configuring the root logger at DEBUG.


def _cli_at_debug(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "ALPHACAST_API_KEY": PLAIN_KEY}
    if url is not None:
        env |= {"ALPHACAST_API_URL": url, "ALPHACAST_WORKSPACE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "alphacast", "--debug", *args],
        capture_output=True,
        encoding="utf-8",
        env=env,
        timeout=120,
    )


_COMMANDS = {"auth test": ("auth", "test"), "search": ("search", "gdp")}


@pytest.mark.parametrize("command", list(_COMMANDS))
@pytest.mark.parametrize(("status", "attempts"), [(403, 1), (500, 1), (503, 4)])
def test_cli_error_statuses_at_debug(command: str, status: int, attempts: int):
    """500 is not retried; 503 is, until the attempts run out (Retry-After: 0 keeps it quick)."""
    body = f'{{"message": "refused {PLAIN_KEY}"}}'.encode()
    with recording_server(lambda seen: Reply(status, {"Retry-After": "0"}, body=body)) as server:
        result = _cli_at_debug(*_COMMANDS[command], url=server.url)
    assert result.returncode == 1
    assert f"API failed with status code {status}" in result.stderr
    assert len(server.seen) == attempts
    assert result.stderr.count(f"-> {status} in") == attempts, (
        "the transport's DEBUG lines are missing"
    )
    if command == "search":
        assert "apiKey=***" in result.stderr  # urllib3's request line, masked
    assert_clean(result.stdout + result.stderr, PLAIN_KEY)


@pytest.mark.parametrize("command", list(_COMMANDS))
def test_cli_connection_refused_at_debug(command: str):
    with socket.create_server(("127.0.0.1", 0)) as probe:
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = _cli_at_debug(*_COMMANDS[command], url=closed)
    assert result.returncode == 1
    assert "INFO alphacast: profile 'default' resolved by provider 'env' from ALPHACAST_API_KEY" in result.stderr
    assert "could not complete GET" in result.stderr and "Connection refused" in result.stderr
    # never connected, so retried by the default policy (4 attempts)
    assert len(re.findall(r"retrying in \d+\.\d+ s", result.stderr)) == 3
    assert_clean(result.stdout + result.stderr, PLAIN_KEY)


@pytest.mark.parametrize("json_flag", [[], ["--json"]], ids=["text", "json"])
def test_cli_plugins_at_debug(json_flag: list[str]):
    result = _cli_at_debug("plugins", *json_flag)
    assert result.returncode == 0, result.stderr
    assert "env" in result.stdout and "shared-file" in result.stdout
    assert_clean(result.stdout + result.stderr, PLAIN_KEY)


# -- a key pasted into an option of the command line (issue 11, item 5) ---------------
# The sweep over every option of every command is tests/test_cli_key_masking.py; these
# are the cases the red team reported, kept with the other leak checks.


@pytest.mark.parametrize("key", [KEY, PLAIN_KEY], ids=["ak-shaped", "plain"])
@pytest.mark.parametrize(
    "argv",
    [
        ["datasets", "download", "1", "--filter", "{key}"],
        ["datasets", "download", "1", "--filter={key}"],
        ["datasets", "download", "1", "--format", "{key}"],
        ["search", "gdp", "--offset={key}"],
        ["auth", "which", "--profile", "{key}"],
        ["auth", "set", "prod", "{key}", "--store", "shared-file"],
    ],
    ids=["filter", "filter=", "format", "offset=", "profile", "stray"],
)
def test_cli_usage_errors_do_not_repeat_a_pasted_key(argv: list[str], key: str):
    result = _cli_at_debug(*(word.format(key=key) for word in argv))
    assert result.returncode == 2
    assert "error: " in result.stderr and "Traceback" not in result.stderr
    assert_clean(result.stdout + result.stderr, key)
