"""Hostile servers against the transport, over real sockets: a malformed header
line (the URL is logged), cookies (another key's, another origin's), a body
trickled a byte at a time, a 401 from an origin the key never went to, a CA file
that does not exist, interim answers, forged answers waiting in a TLS buffer,
endless trailers, an ambiguous length. Each test failed before its fix."""

from __future__ import annotations

import base64
import contextlib
import io
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from alphacast import (
    Alphacast,
    AlphacastError,
    AuthenticationError,
    ConnectionFailedError,
    Credential,
    CredentialProvider,
    RetryPolicy,
)
from alphacast.redact import LIBRARY_NAMESPACES, RedactingFilter

from .recording_server import Reply, raw_server, recording_server

KEY = "ak_redteam_0123456789abcdef0123"
NEW_KEY = "ak_redteam_new_9876543210dcba"
NO_RETRY = RetryPolicy.disabled()


def in_thread(call: Callable[[], Any], limit: float) -> BaseException | str:
    """Run ``call``; what it raised, ``"returned"``, or ``"still running"`` after
    ``limit`` seconds (a hang must not hang the test run)."""
    result: list[BaseException | str] = []

    def run() -> None:
        try:
            call()
            result.append("returned")
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            result.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(limit)
    return result[0] if result else "still running"


# -- F1: every library logger redacts ------------------------------------------


@pytest.fixture
def every_record() -> Iterator[io.StringIO]:
    """Everything logged anywhere, at DEBUG, as a program's root handler sees it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_logger_shows_the_key_a_malformed_header_makes_the_transport_log(
    every_record: io.StringIO,
):
    def malformed(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"this line has no colon\r\nContent-Length: 2\r\n\r\n{}"
        )

    with raw_server(malformed) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, retry=NO_RETRY) as client:
            with contextlib.suppress(AlphacastError):  # the answer's shape is not the point
                client.search.datasets("gdp")
    logged = every_record.getvalue()
    # The warning urllib3 logs for it, from the direct connections' logger.
    assert "alphacast.http WARNING Failed to parse headers" in logged
    assert "apiKey=***" in logged
    assert KEY not in logged
    # Every logger of those libraries carries the filter, children included.
    manager = logging.Logger.manager
    names = [
        name
        for name, logger in manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
        and any(name == ns or name.startswith(ns + ".") for ns in LIBRARY_NAMESPACES)
    ]
    assert "urllib3.connection" in names and "urllib3.response" in names
    for name in names:
        assert any(isinstance(f, RedactingFilter) for f in logging.getLogger(name).filters), name


def test_a_library_logger_created_after_the_client_redacts_too(every_record: io.StringIO):
    with Alphacast(KEY, api_url="http://127.0.0.1:9", retry=NO_RETRY):
        late = logging.getLogger("urllib3.contrib.made_later_by_a_test")
        late.warning("GET /api/search?q=x&apiKey=%s", KEY)
        other = logging.getLogger("hvac.adapters.made_later_by_a_test")
        other.debug("token %s", KEY)
    logged = every_record.getvalue()
    assert "urllib3.contrib.made_later_by_a_test WARNING GET /api/search?q=x&apiKey=***" in logged
    assert "hvac.adapters.made_later_by_a_test DEBUG token" in logged
    assert KEY not in logged


# -- F2, F3: no cookie jar --------------------------------------------------------


def _key_of(headers: dict[str, str]) -> str | None:
    auth = headers.get("Authorization", "")
    return base64.b64decode(auth.split()[1]).decode().rstrip(":") if auth else None


def test_a_key_refreshed_after_a_401_does_not_carry_the_old_keys_cookies():
    current = {"key": KEY}

    class Rotating(CredentialProvider):
        name = "rotating"

        def resolve(self, profile: str) -> Credential:
            return Credential(current["key"], provider=self.name, source="test", profile=profile)

    def reply(seen):
        key = _key_of(seen.headers)
        if key == KEY and current["key"] == NEW_KEY:
            return Reply(status=401, body=b'{"message": "revoked"}')
        return Reply(headers={"Set-Cookie": f"session=of-{key}; Path=/"})

    with recording_server(reply) as server:
        with Alphacast(
            provider=Rotating(), api_url=server.url, workspace_url=server.url, retry=NO_RETRY
        ) as client:
            client.repository.read_all()
            current["key"] = NEW_KEY  # rotated: the old key now gets a 401
            client.repository.read_all()
            client.repository.read_all()
    assert [_key_of(s.headers) for s in server.seen] == [KEY, KEY, NEW_KEY, NEW_KEY]
    assert [s.headers.get("Cookie") for s in server.seen] == [None] * 4


def test_cookies_cross_no_origin_in_either_direction():
    with recording_server(lambda s: Reply(headers={"Set-Cookie": "planted=1; Path=/"})) as other:

        def api_reply(seen):
            if seen.path.startswith("/repositories/1"):
                return Reply(status=302, headers={"Location": other.url + "/elsewhere"})
            return Reply(headers={"Set-Cookie": "api_session=secret; Path=/"})

        with recording_server(api_reply) as api:
            with Alphacast(KEY, api_url=api.url, workspace_url=api.url, retry=NO_RETRY) as c:
                c.repository.read_all()
                with contextlib.suppress(AlphacastError):  # the answer is not the point
                    c.repository.read_by_id(1)
                c.repository.read_all()
    assert [s.headers.get("Cookie") for s in other.seen] == [None]
    assert "Authorization" in api.seen[-1].headers
    assert [s.headers.get("Cookie") for s in api.seen] == [None, None, None]


# -- F7: a body must keep coming --------------------------------------------------


def _trickle(head: bytes, byte: bytes, seconds: float = 30.0) -> Callable[[socket.socket], None]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(head)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            time.sleep(0.3)
            conn.sendall(byte)

    return handler


def test_a_trickled_answer_fails_within_the_read_timeout_not_never():
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n["
    with raw_server(_trickle(head, b" ")) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(c.repository.read_all, 20)
    assert isinstance(outcome, ConnectionFailedError), outcome
    assert "read timeout of 1 s" in str(outcome)
    assert f"GET {url}/repositories" in str(outcome)


def test_a_stalled_download_fails_and_leaves_no_partial_file(tmp_path):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\na,b\n"
    folder = tmp_path / "downloads"
    folder.mkdir()
    target = folder / "data.csv"
    with raw_server(_trickle(head, b"1")) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(lambda: c.datasets.dataset(1).download_data(path=target), 20)
    assert isinstance(outcome, ConnectionFailedError), outcome
    assert f"{url}/datasets/1/data" in str(outcome) and "stalled" in str(outcome)
    assert "read timeout of 1 s" in str(outcome)
    assert list(folder.iterdir()) == []


def test_a_download_refused_with_a_trickled_error_body_fails_within_the_read_timeout():
    head = b"HTTP/1.1 500 Oops\r\nContent-Type: application/json\r\nContent-Length: 9999\r\n\r\n{"
    with raw_server(_trickle(head, b" ")) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(lambda: c.datasets.dataset(1).download_data(format="csv"), 20)
            streamed = in_thread(lambda: c.datasets.dataset(1).download_data(path=io.BytesIO()), 20)
    # Not streamed: the body is read before its status is looked at.
    assert isinstance(outcome, ConnectionFailedError), outcome
    assert "read timeout of 1 s" in str(outcome)
    # Streamed: the error's body is read for its message, within the timeout too.
    assert isinstance(streamed, AlphacastError), streamed
    assert str(streamed).startswith("API failed with status code 500")


def test_a_slow_but_moving_download_is_not_killed(tmp_path):
    size = 16 * 1024

    def slow(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\n"
            + f"Content-Length: {size}\r\n\r\n".encode()
        )
        for _ in range(size // 2048):  # 2 KiB every 0.4 s: slower than one read timeout
            time.sleep(0.4)
            conn.sendall(b"x" * 2048)

    target = tmp_path / "data.csv"
    with raw_server(slow) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(lambda: c.datasets.dataset(1).download_data(path=target), 30)
    assert outcome == "returned"
    assert target.read_bytes() == b"x" * size


# -- F8: a 401 from where the key did not go ----------------------------------------


def test_a_401_from_a_redirect_target_the_key_never_reached_does_not_blame_the_key():
    asked: list[str] = []

    class Counting(CredentialProvider):
        name = "counting"

        def resolve(self, profile: str) -> Credential:
            asked.append(profile)
            return Credential(KEY, provider=self.name, source="test", profile=profile)

    with recording_server(lambda s: Reply(status=401, body=b'{"message":"who?"}')) as other:
        with recording_server(
            lambda s: Reply(status=302, headers={"Location": other.url + "/login?apiKey=x"})
        ) as api:
            with Alphacast(
                provider=Counting(), api_url=api.url, workspace_url=api.url, retry=NO_RETRY
            ) as client:
                before = len(asked)
                with pytest.raises(AuthenticationError) as info:
                    client.repository.read_all()
                assert len(asked) == before  # the provider was not asked again
    text = str(info.value)
    assert f"redirect target {other.url}/login answered 401" in text
    assert "the key was not rejected" in text
    assert "The API key was rejected" not in text
    assert len(api.seen) == 1 and len(other.seen) == 1
    assert "Authorization" not in other.seen[0].headers


# -- a CA file that does not exist --------------------------------------------------


def test_a_missing_ca_file_is_a_connection_error_naming_it_and_where_it_came_from(
    monkeypatch: pytest.MonkeyPatch,
):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    url = "https://127.0.0.1:9"
    with Alphacast(KEY, api_url=url, verify="/missing/ca.pem", retry=NO_RETRY) as client:
        with pytest.raises(ConnectionFailedError, match=r"'/missing/ca.pem'.*verify="):
            client.repository.read_all()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/missing/env-ca.pem")
    with Alphacast(KEY, api_url=url, retry=NO_RETRY) as client:
        with pytest.raises(ConnectionFailedError, match=r"env-ca.pem'.*REQUESTS_CA_BUNDLE"):
            client.repository.read_all()


# -- the direct connections (alphacast._direct): framing and reuse ----------------


def _json_answer(body: bytes, status: bytes = b"200 OK") -> bytes:
    return b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        status,
        len(body),
        body,
    )


def _read_head(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return False
        data += chunk
    return True


def test_an_interim_answer_is_skipped_not_read_as_the_answer_or_the_next_one():
    """A 103 Early Hints was taken as the answer, and each call then read the
    answer to the call before it."""

    def early_hints(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n")
        number = 1
        while True:
            conn.sendall(_json_answer(b'[{"id": %d}]' % number))
            if not _read_head(conn):
                return
            number += 1

    with raw_server(early_hints) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, retry=NO_RETRY) as client:
            assert [client.repository.read_all() for _ in range(3)] == [
                [{"id": 1}],
                [{"id": 2}],
                [{"id": 3}],
            ]


def test_bytes_tls_decrypted_while_the_connection_was_idle_are_not_the_next_answer(tmp_path):
    """An answer followed, in the same TLS record, by a forged second one: the
    forged bytes wait inside the SSL object, where select() does not see them."""
    from alphacast.emulator._tls import make_certificates, server_context

    ca, cert, key = make_certificates(tmp_path)

    def with_a_forgery(conn: socket.socket) -> None:
        number = 1
        while True:
            answer = _json_answer(b'[{"id": %d, "pad": "%s"}]' % (number, b"x" * 9000))
            forged = _json_answer(b'[{"id": 666}]') if number == 1 else b""
            conn.sendall(answer + forged)
            if not _read_head(conn):
                return
            number += 1

    with raw_server(with_a_forgery, server_context(cert, key)) as url:
        with Alphacast(
            KEY, api_url=url, workspace_url=url, verify=str(ca), retry=NO_RETRY
        ) as client:
            ids = [client.repository.read_all()[0]["id"] for _ in range(3)]
    assert 666 not in ids
    assert ids[0] == 1


def test_endless_trailers_after_a_chunked_body_end_within_the_read_timeout():
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n"
    )
    with raw_server(_trickle(head, b"X-Trailer: y\r\n")) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(c.repository.read_all, 20)
    assert isinstance(outcome, ConnectionFailedError), outcome
    assert "read timeout of 1 s" in str(outcome)


def test_a_status_line_trickled_a_byte_at_a_time_ends_within_the_read_timeout():
    with raw_server(_trickle(b"HTTP/1.1 2", b"0")) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, timeout=(1, 1), retry=NO_RETRY) as c:
            outcome = in_thread(c.repository.read_all, 20)
    assert isinstance(outcome, ConnectionFailedError), outcome
    assert "read timed out" in str(outcome)


def test_two_different_content_lengths_are_refused_not_guessed():
    """Which one ends the answer? Reading by either leaves the connection out of
    step with the server: refused, as urllib3 refuses it."""
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        b"Content-Length: 2\r\nContent-Length: 40\r\n\r\n[]"
    )
    with raw_server(lambda conn: conn.sendall(head)) as url:
        with Alphacast(KEY, api_url=url, workspace_url=url, retry=NO_RETRY) as client:
            with pytest.raises(ConnectionFailedError, match="Content-Length given twice"):
                client.repository.read_all()
