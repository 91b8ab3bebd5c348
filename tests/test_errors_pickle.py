"""Errors cross process boundaries (ProcessPoolExecutor, multiprocessing) with their
status, message and key-free provenance, never the key (issue 11, item 12)."""

from __future__ import annotations

import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor

import pytest

import alphacast.errors
from alphacast import (
    Alphacast,
    AlphacastError,
    APIError,
    AuthenticationError,
    CredentialError,
    NoCredentialError,
    NotFoundError,
)
from alphacast._credentials import Credential

KEY = "ak_pickle_0123456789abcdef"
WRONG = "ak_wrong_fedcba9876543210"


def _not_found(api_url: str) -> None:
    with Alphacast(KEY, api_url=api_url, workspace_url=api_url) as client:
        client.datasets.dataset(999999).metadata()


def _unauthorized(api_url: str) -> None:
    with Alphacast(WRONG, api_url=api_url, workspace_url=api_url) as client:
        client.repository.read_all()


def _no_credential(_: str) -> None:
    Alphacast(profile="nowhere")


@pytest.fixture(scope="module")
def pool():
    # spawn: the error really is pickled, sent and unpickled in another interpreter.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as executor:
        yield executor


@pytest.fixture(scope="module")
def api_url():
    from alphacast.emulator import Emulator

    with Emulator(accounts={"pickle": KEY}) as emu:
        yield emu.api_url


def test_api_error_from_a_worker_keeps_status_message_and_provenance(pool, api_url):
    with pytest.raises(NotFoundError) as info:
        pool.submit(_not_found, api_url).result(timeout=60)
    error = info.value
    assert error.status_code == 404
    assert error.server_message == "Dataset 999999 not found."
    assert str(error).startswith("API failed with status code 404: Dataset 999999 not found.")
    assert (error.provider, error.profile, error.source) == (
        "explicit",
        "default",
        "Alphacast(api_key=...)",
    )
    assert error.method == "GET" and error.url.endswith("/datasets/999999")
    assert error.credential is None  # it would carry the key


def test_authentication_error_from_a_worker(pool, api_url):
    with pytest.raises(AuthenticationError) as info:
        pool.submit(_unauthorized, api_url).result(timeout=60)
    assert info.value.status_code == 401 and info.value.fingerprint == "…3210"
    assert WRONG not in str(info.value) and "…3210" in str(info.value)


def test_no_credential_error_from_a_worker(pool):
    with pytest.raises(NoCredentialError) as info:
        pool.submit(_no_credential, "").result(timeout=60)
    error = info.value
    assert error.profile == "nowhere" and error.attempts
    assert str(error).startswith("No Alphacast API key found for profile 'nowhere'")


def test_pickled_bytes_never_hold_the_key(api_url):
    with pytest.raises(APIError) as info:
        _not_found(api_url)
    assert info.value.credential is not None  # in the raising process it is there
    data = pickle.dumps(info.value)
    assert KEY.encode() not in data and b"0123456789abcdef" not in data
    copy = pickle.loads(data)
    assert type(copy) is NotFoundError and str(copy) == str(info.value)
    assert copy.credential is None and copy.source == "Alphacast(api_key=...)"


def _examples() -> list[AlphacastError]:
    credential = Credential(KEY, provider="env", source="ALPHACAST_API_KEY", profile="prod")
    examples: list[AlphacastError] = [
        CredentialError("broken", provider="shared-file", profile="prod"),
        NoCredentialError("prod", [("env", "not set")], broken_plugins=[("x", "y")], explicit=True),
    ]
    for name in alphacast.errors.__all__:
        cls = getattr(alphacast.errors, name)
        if not (inspect.isclass(cls) and issubclass(cls, AlphacastError)):
            continue
        if issubclass(cls, APIError):
            examples.append(cls(403, "no", method="GET", url="https://h/x", credential=credential))
        elif issubclass(cls, NoCredentialError):
            continue
        elif issubclass(cls, CredentialError):
            examples.append(cls("broken", provider="p", profile="prod"))
        else:
            examples.append(cls("failed"))
    return examples


@pytest.mark.parametrize("error", _examples(), ids=lambda e: type(e).__name__)
def test_every_error_class_round_trips_without_the_key(error):
    data = pickle.dumps(error)
    assert KEY.encode() not in data
    copy = pickle.loads(data)
    assert type(copy) is type(error) and str(copy) == str(error) and copy.args == error.args
    kept = {k: v for k, v in vars(error).items() if k != "credential"}
    assert {k: v for k, v in vars(copy).items() if k != "credential"} == kept
    if isinstance(error, APIError):
        assert copy.status_code == 403 and copy.provider == "env" and copy.profile == "prod"
        assert copy.source == "ALPHACAST_API_KEY" and copy.credential is None
