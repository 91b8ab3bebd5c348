"""What resolving a credential logs: at INFO, which provider and source supplied it and
its fingerprint; at no level, the key."""

from __future__ import annotations

import base64
import logging
import re

import pytest

from alphacast import Alphacast, Credential, CredentialProvider, plugins
from alphacast.chain import resolve_profile
from alphacast.emulator import Emulator

#: Keys without the ``ak_`` shape the redaction patterns mask on sight.
KEY = "Lg7resolveQ2mZ9xW4vB8nR"
ROTATED_KEY = "Lg7rotatedK5pT1yH6cJ3sF"


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    for name in ("", "alphacast", "urllib3", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def assert_no_key_anywhere(caplog: pytest.LogCaptureFixture, *keys: str) -> None:
    text = caplog.text + "\n".join(f"{r.getMessage()} {r.msg!r} {r.args!r}" for r in caplog.records)
    for key in keys:
        basic = base64.b64encode(f"{key}:".encode()).decode()
        for secret in (key, key[3:], key[:-4], basic):
            assert secret not in text


def resolutions(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "alphacast" and re.match(r"profile '[^']*' resolved by", r.getMessage())
    ]


def test_env_resolution_logs_provider_source_and_fingerprint_at_info(
    every_log: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("ALPHACAST_API_KEY", KEY)
    assert resolve_profile().current.api_key == KEY
    [record] = resolutions(every_log)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        f"profile 'default' resolved by provider 'env' from ALPHACAST_API_KEY "
        f"(fingerprint …{KEY[-4:]})"
    )
    assert_no_key_anywhere(every_log, KEY)


def test_shared_file_resolution_names_the_file_and_section(every_log: pytest.LogCaptureFixture):
    plugins.registry().providers["shared-file"].store("prod", KEY)  # type: ignore[attr-defined]
    every_log.clear()
    assert resolve_profile("prod").current.api_key == KEY
    [record] = resolutions(every_log)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "profile 'prod' resolved by provider 'shared-file' from ~/.alphacast/credentials "
        f"[prod] (fingerprint …{KEY[-4:]})"
    )
    assert_no_key_anywhere(every_log, KEY)


class Slot(CredentialProvider):
    """A store whose content changes under a running client."""

    name = "slot"

    def __init__(self, key: str) -> None:
        self.key = key

    def resolve(self, profile: str) -> Credential | None:
        return Credential(self.key, provider=self.name, source="a memory slot")


def test_no_key_at_any_level_through_resolution_requests_and_rotation(
    every_log: pytest.LogCaptureFixture,
):
    slot = Slot(KEY)
    with Emulator(accounts={"logan": KEY}) as emu:
        urls = {"api_url": emu.api_url, "workspace_url": emu.workspace_url}
        with Alphacast(provider=slot, **urls) as client:
            client.repository.read_all()
            client.search.datasets("x")
            emu.rotate_key("logan", ROTATED_KEY)
            slot.key = ROTATED_KEY
            client.repository.read_all()  # 401, re-resolved, sent again
        statuses = [e["status"] for e in emu.request_log]
    assert statuses == [200, 200, 401, 200]
    [resolved] = resolutions(every_log)
    assert resolved.levelno == logging.INFO
    assert resolved.getMessage() == (
        f"profile 'default' resolved by provider 'slot' from a memory slot "
        f"(fingerprint …{KEY[-4:]})"
    )
    [rotated] = [r for r in every_log.records if "re-resolved" in r.getMessage()]
    assert rotated.levelno == logging.INFO
    assert rotated.getMessage() == (
        "profile 'default' re-resolved by provider 'slot': key changed "
        f"(fingerprint …{KEY[-4:]} -> …{ROTATED_KEY[-4:]})"
    )
    # DEBUG really was captured: urllib3's request lines (the search one carries the key)
    assert any("apiKey=***" in r.getMessage() for r in every_log.records)
    assert_no_key_anywhere(every_log, KEY, ROTATED_KEY)
