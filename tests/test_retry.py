"""RetryPolicy.next_wait: the one retry decision, for statuses and for real failures."""

from __future__ import annotations

import socket
import ssl

import pytest
import requests

from alphacast import RetryPolicy

POLICY = RetryPolicy(backoff_base=0.01, backoff_max=0.02)


@pytest.mark.parametrize(
    ("method", "status", "retried"),
    [
        ("GET", 503, True),
        ("DELETE", 502, True),
        ("POST", 503, False),  # the server may have acted
        ("POST", 429, True),  # refused before acting
        ("PUT", 429, True),
        ("GET", 500, False),
        ("GET", 404, False),
    ],
)
def test_statuses(method: str, status: int, retried: bool):
    wait = POLICY.next_wait(method, 1, status=status)
    assert (wait is not None) is retried
    if wait is not None:
        assert 0 <= wait <= 0.01


def test_attempts_and_time_budget_end_the_request():
    assert POLICY.next_wait("GET", POLICY.max_attempts, status=503) is None
    assert POLICY.next_wait("GET", 1, status=503, retry_after="5", time_left=10) == 0.08  # capped at 4 x backoff_max
    assert RetryPolicy().next_wait("GET", 1, status=503, retry_after="10", time_left=5) is None
    assert RetryPolicy.disabled().next_wait("GET", 1, status=503) is None


def _refused() -> requests.RequestException:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: refused
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
        except requests.RequestException as exc:
            return exc
    raise AssertionError("a closed port answered")


def _read_timeout() -> requests.RequestException:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        try:
            requests.get(f"http://127.0.0.1:{server.getsockname()[1]}/", timeout=(2, 0.2))
        except requests.RequestException as exc:
            return exc
    raise AssertionError("a silent server answered")


def test_a_connection_never_made_is_retried_for_any_method():
    error = _refused()
    assert POLICY.next_wait("POST", 1, error=error) is not None
    assert POLICY.next_wait("GET", 1, error=error) is not None


def test_a_timeout_after_sending_is_retried_only_when_idempotent():
    error = _read_timeout()
    assert isinstance(error, requests.exceptions.ReadTimeout)
    assert POLICY.next_wait("GET", 1, error=error) is not None
    assert POLICY.next_wait("POST", 1, error=error) is None


def test_a_rejected_certificate_is_final():
    wrapped = requests.exceptions.SSLError(ssl.SSLCertVerificationError(1, "certificate verify failed"))
    assert POLICY.next_wait("GET", 1, error=wrapped) is None
    dropped = requests.exceptions.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol"))
    assert POLICY.next_wait("GET", 1, error=dropped) is not None


@pytest.mark.parametrize("header", ["\xb2", "\u0663", "1.5", "soon", ""])
def test_a_retry_after_that_is_not_ascii_seconds_or_a_date_falls_back_to_backoff(header: str):
    wait = POLICY.next_wait("GET", 1, status=503, retry_after=header)
    assert wait is not None and 0 <= wait <= 0.01
