"""A success whose body is not the JSON expected (a captive portal's HTML page, JSON of
another shape): one typed error, ``UnexpectedResponseError``, from every resource
method that decodes an answer, and one line (never a traceback) from the CLI; what the
CLI prints from a server is masked. A real HTTP server on a real socket."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import alphacast
from alphacast import Alphacast, AlphacastError, APIError, UnexpectedResponseError

from .cli_helpers import run_cli

KEY = "ak_portal_0123456789abcdef0123"
#: In the page's body, never in an error: a word to find, and a key-shaped token.
BODY_WORD = "WifiLoginPageMarker"
BODY_SECRET = "ak_inbody_fedcba9876543210fedcba"
PAGE = f"<html><body>{BODY_WORD} {BODY_SECRET}</body></html>".encode()


@dataclass
class Answer:
    body: bytes = PAGE
    content_type: str = "text/html; charset=utf-8"


@pytest.fixture
def server() -> Iterator[tuple[str, Answer]]:
    """``(url, answer)``: every request is answered 200 with ``answer``."""
    answer = Answer()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", answer
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


#: Every resource method that decodes or checks an answer: (name, HTTP method, call).
CALLS: list[tuple[str, str, Callable[[Alphacast], Any]]] = [
    ("repository.read_all", "GET", lambda c: c.repository.read_all()),
    ("repository.read_by_id", "GET", lambda c: c.repository.read_by_id(1)),
    ("repository.read_by_name", "GET", lambda c: c.repository.read_by_name("x")),
    ("repository.create", "GET", lambda c: c.repository.create("x")),
    ("datasets.read_all", "GET", lambda c: c.datasets.read_all()),
    ("datasets.read_by_name", "GET", lambda c: c.datasets.read_by_name("x", 1)),
    ("datasets.create", "GET", lambda c: c.datasets.create("x", 1)),
    ("dataset.metadata", "GET", lambda c: c.datasets.dataset(7).metadata()),
    ("dataset.columns", "GET", lambda c: c.datasets.dataset(7).get_column_definitions()),
    ("dataset.processes", "GET", lambda c: c.datasets.dataset(7).processes()),
    ("dataset.process", "GET", lambda c: c.datasets.dataset(7).process(3)),
    ("dataset.datestats", "GET", lambda c: c.datasets.dataset(7).datestats()),
    ("dataset.run_connector", "POST", lambda c: c.datasets.dataset(7).run_connector("p")),
    ("dataset.connector_run", "GET", lambda c: c.datasets.dataset(7).get_connector_run(2)),
    ("series.metadata", "GET", lambda c: c.series(5).metadata()),
    ("search.datasets", "GET", lambda c: c.search.datasets("gdp")),
    ("dataset.download_data json", "GET", lambda c: c.datasets.dataset(7).download_data("json")),
]


def _client(url: str) -> Alphacast:
    return Alphacast(KEY, api_url=url, workspace_url=url)


@pytest.mark.parametrize(("name", "method", "call"), CALLS, ids=[c[0] for c in CALLS])
def test_an_html_page_is_one_typed_error_from_every_method(server, name, method, call):
    url, _ = server
    with _client(url) as client, pytest.raises(UnexpectedResponseError) as info:
        call(client)
    error = info.value
    text = str(error)
    assert isinstance(error, AlphacastError) and isinstance(error, ValueError)
    assert not isinstance(error, APIError)
    assert text.startswith(f"{error.method} {url}/"), text
    assert "answered 200 with text/html, not the JSON expected" in text, text
    assert "captive portal" in text
    assert (error.status_code, error.content_type) == (200, "text/html")
    assert BODY_WORD not in text and BODY_SECRET not in text and KEY not in text


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"data": null}', b'{"data": [1]}', b'{"totalItems": 1}', b"[[[[" * 5000],
    ids=["list", "data-null", "data-of-numbers", "no-data", "deep"],
)
def test_search_json_of_another_shape_is_the_same_error(server, body):
    url, answer = server
    answer.body, answer.content_type = body, "application/json"
    with _client(url) as client, pytest.raises(UnexpectedResponseError) as info:
        client.search.datasets("gdp")
    assert f"GET {url}/api/search answered 200 with application/json" in str(info.value)


def test_lists_and_objects_of_another_shape_are_refused(server):
    url, answer = server
    answer.content_type = "application/json"
    with _client(url) as client:
        answer.body = b'{"id": 1}'  # an object where a list is expected
        with pytest.raises(UnexpectedResponseError, match="list of repositories"):
            client.repository.read_all()
        answer.body = b"[1, 2]"  # a list of numbers where objects are expected
        with pytest.raises(UnexpectedResponseError):
            client.datasets.read_by_name("x")
        answer.body = b"[]"  # a list where an object is expected
        with pytest.raises(UnexpectedResponseError):
            client.datasets.dataset(7).metadata()
        answer.body = b'{"columnDefinitions": "Date"}'
        with pytest.raises(UnexpectedResponseError):
            client.datasets.dataset(7).get_column_definitions()
        answer.body = b'[{"id": 1, "status": "Processed"}]'  # the right shape still works
        assert json.loads(client.datasets.dataset(7).processes())[0]["id"] == 1


def test_the_error_is_exported_and_pickles():
    import pickle

    assert "UnexpectedResponseError" in alphacast.__all__
    error = UnexpectedResponseError.for_answer(
        method="GET", url="https://h/x", status_code=200, content_type="text/html", expected="JSON"
    )
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) and copy.content_type == "text/html"


# -- the command line ----------------------------------------------------------------


def _cli(url: str, *args: str) -> Any:
    env = {"ALPHACAST_API_KEY": KEY, "ALPHACAST_API_URL": url, "ALPHACAST_WORKSPACE_URL": url}
    return run_cli(*args, env=env, secrets=(KEY, BODY_SECRET), check=False)


@pytest.mark.parametrize(
    "args",
    [
        ("search", "gdp"),
        ("datasets", "processes", "1"),
        ("auth", "test"),
        ("auth", "test", "--json"),
    ],
)
def test_the_cli_reports_an_html_page_in_one_line(isolated_env: Path, server, args):
    url, _ = server
    result = _cli(url, *args)
    assert result.returncode == 1, result
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "JSONDecodeError" not in out, out
    assert "answered 200 with text/html" in out, out
    assert BODY_WORD not in out


def test_auth_status_check_reports_the_page_as_a_failed_check(isolated_env: Path, server):
    url, _ = server
    result = _cli(url, "auth", "status", "--check", "--json")
    assert "Traceback" not in result.stderr, result.stderr
    rows = json.loads(result.stdout)
    assert [row["check"] for row in rows if row["active"]] == ["failed"]


@pytest.mark.parametrize("body", [b"[]", b'{"data": null}', b'{"data": [1]}', b"not json"])
def test_the_cli_search_reports_another_shape_in_one_line(isolated_env: Path, server, body):
    url, answer = server
    answer.body, answer.content_type = body, "application/json"
    result = _cli(url, "search", "gdp")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr, result.stderr
    assert result.stderr.startswith("alphacast: error: GET "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.parametrize("json_flag", [(), ("--json",)], ids=["text", "json"])
def test_names_from_the_server_are_masked(isolated_env: Path, server, json_flag):
    url, answer = server
    hex_token = "0123456789abcdef0123456789abcdef"
    items = [
        {"id": 1, "name": KEY},
        {"id": 2, "name": BODY_SECRET, "description": f"token {hex_token}"},
        {"id": 3, "name": "GDP Argentina"},
    ]
    answer.body = json.dumps({"totalItems": 3, "data": items}).encode()
    answer.content_type = "application/json"
    result = run_cli(
        "search",
        "gdp",
        *json_flag,
        env={"ALPHACAST_API_KEY": KEY, "ALPHACAST_API_URL": url, "ALPHACAST_WORKSPACE_URL": url},
        secrets=(KEY, BODY_SECRET, hex_token),
    )
    assert "GDP Argentina" in result.stdout  # a plain name is printed as it is
    assert result.stdout.count("***") >= 2, result.stdout
