"""The client over HTTPS: the emulator with TLS and its throwaway CA, given as
``verify=``, through ``REQUESTS_CA_BUNDLE``, or not at all.

Plain http to a host that is not loopback is refused before anything is sent: see
``test_plain_http_to_a_non_loopback_host_is_refused`` in test_transport.py.
"""

from __future__ import annotations

import base64
import itertools
import logging
from collections.abc import Iterator

import certifi
import pytest

from alphacast import Alphacast, ConnectionFailedError, RetryPolicy
from alphacast.emulator import Emulator

from .tcp_relay import tcp_relay

KEY = "ak_tls_client_5Rt8Wq2Lm7Xc"
BASIC = base64.b64encode(f"{KEY}:".encode()).decode()
FAST_RETRY = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.02)
_names = itertools.count()


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Emulator]:
    with Emulator(accounts={"tess": KEY}, tls=True) as emu:
        assert emu.api_url.startswith("https://") and emu.workspace_url.startswith("https://")
        yield emu


def _read_both_hosts(client: Alphacast) -> None:
    name = f"tls repo {next(_names)}"
    created = client.repository.create(name)
    assert created["name"] == name
    assert name in [r["name"] for r in client.repository.read_all()]
    assert client.search.datasets("nothing-matches-this")["totalItems"] == 0


def _hosts_reached(emu: Emulator) -> set[str]:
    return {e["host"] for e in emu.request_log if e["account"] == "tess"}


def test_verify_with_the_ca_file(tls_emulator: Emulator):
    tls_emulator.clear_request_log()
    ca = str(tls_emulator.ca_file)
    with Alphacast(
        KEY, api_url=tls_emulator.api_url, workspace_url=tls_emulator.workspace_url, verify=ca
    ) as client:
        _read_both_hosts(client)
    assert _hosts_reached(tls_emulator) == {"api", "workspace"}


def test_verify_wins_over_a_requests_ca_bundle_that_does_not_know_the_ca(
    tls_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    # requests lets REQUESTS_CA_BUNDLE replace a Session's verify, not a request's:
    # the transport must pass it per request for the argument to win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    ca = str(tls_emulator.ca_file)
    with Alphacast(
        KEY, api_url=tls_emulator.api_url, workspace_url=tls_emulator.workspace_url, verify=ca
    ) as client:
        _read_both_hosts(client)


def test_requests_ca_bundle_in_the_environment(
    tls_emulator: Emulator, monkeypatch: pytest.MonkeyPatch
):
    tls_emulator.clear_request_log()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_emulator.ca_file))
    with Alphacast(
        KEY, api_url=tls_emulator.api_url, workspace_url=tls_emulator.workspace_url
    ) as client:
        _read_both_hosts(client)
    assert _hosts_reached(tls_emulator) == {"api", "workspace"}


@pytest.mark.parametrize("host", ["api", "workspace"])
def test_without_the_ca_the_call_fails_with_a_tls_error_and_sends_nothing(
    tls_emulator: Emulator, host: str, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.DEBUG, logger="alphacast")
    tls_emulator.clear_request_log()
    with Alphacast(
        KEY,
        api_url=tls_emulator.api_url,
        workspace_url=tls_emulator.workspace_url,
        retry=FAST_RETRY,
    ) as client:
        call = client.repository.read_all if host == "api" else lambda: client.search.datasets("x")
        with pytest.raises(ConnectionFailedError) as info:
            call()
    text = str(info.value) + repr(info.value)
    assert "certificate verify failed" in text.lower()
    assert "give its CA file as Alphacast(verify=...) or in REQUESTS_CA_BUNDLE" in text
    # A certificate that fails verification fails the same way again: no retry.
    assert not [r for r in caplog.records if r.getMessage().startswith("retrying in")]
    assert ("/repositories" if host == "api" else "/api/search") in text
    for secret in (KEY, KEY[3:], BASIC):
        assert secret not in text
    # the handshake failed, so no request (and no key) ever reached the server
    assert tls_emulator.request_log == []


def test_a_connection_dropped_during_the_handshake_is_retried(tls_emulator: Emulator):
    # The first connection is closed mid-handshake, as an overloaded load balancer does.
    with tcp_relay(tls_emulator.api_url, drop_first=1) as (url, taken):
        with Alphacast(
            KEY, api_url=url, workspace_url=url, verify=str(tls_emulator.ca_file), retry=FAST_RETRY
        ) as client:
            assert isinstance(client.repository.read_all(), list)
    assert len(taken) == 2  # the dropped one, then the retry that went through
