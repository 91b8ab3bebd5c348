"""The leak sweep: one unique key through every failure we can provoke; it must appear
zero times in anything printed, logged or raised."""

from __future__ import annotations

import logging
import traceback

import pytest

from alphacast import Alphacast, AlphacastError, Credential
from alphacast.chain import CredentialChain, ResolvedCredential
from alphacast.emulator import Emulator
from alphacast.retry import RetryPolicy

from .recording_server import Reply, recording_server

KEY = "ak_leakcheck_Q7hZ2mP9xW4vB8nR"
FRAGMENTS = (KEY, KEY[3:], KEY[:-4])


def assert_clean(text: str) -> None:
    for fragment in FRAGMENTS:
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
        parts += [str(exc), repr(exc)]
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
            assert_clean(repr(client) + str(client.credential) + repr(client._transport._auth))


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
