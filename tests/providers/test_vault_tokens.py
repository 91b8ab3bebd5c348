"""Token lifecycle of the ``vault`` provider against a real OpenBao dev server: a login's
token is kept for the process, renewed before it ends, replaced by a new login when it
cannot be renewed any more or was revoked, and a refused login is not retried in a
tight loop.
"""

from __future__ import annotations

import time

import pytest

from alphacast import CredentialError
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

KEY = "ak_lifecycle_0123456789abcdefghijklmnopq"


@pytest.fixture
def bao(openbao: OpenBao, monkeypatch: pytest.MonkeyPatch) -> OpenBao:  # noqa: F811
    openbao.put_kv2("alphacast/lifecycle", {"api_key": KEY})
    openbao.policy(
        "lifecycle", 'path "secret/data/alphacast/lifecycle" { capabilities = ["read"] }'
    )
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    return openbao


def approle(bao: OpenBao, home, role: str, **settings: str) -> str:
    role_id, secret_id = bao.approle(role, "lifecycle")
    bao.api("POST", f"auth/approle/role/{role}", {"token_policies": ["lifecycle"], **settings})
    write_config(
        home,
        f"[profile lifecycle]\nvault_auth = approle\nvault_role_id = {role_id}\n"
        f"vault_secret_id = {secret_id}\n",
    )
    return secret_id


def read() -> str:
    credential = VaultProvider().resolve("lifecycle")
    assert credential is not None
    return str(credential.api_key)


def test_a_process_outliving_its_tokens_keeps_reading(bao, home):
    approle(bao, home, "short-lived", token_ttl="6s", token_max_ttl="14s")
    logins, renewals = (
        bao.requests_to("auth/approle/login"),
        bao.requests_to("auth/token/renew-self"),
    )
    started = time.monotonic()
    reads = 0
    while time.monotonic() - started < 35:  # several times token_max_ttl
        assert read() == KEY
        reads += 1
        time.sleep(0.5)
    logins = bao.requests_to("auth/approle/login") - logins
    renewals = bao.requests_to("auth/token/renew-self") - renewals
    assert reads > 40
    assert renewals >= 2  # renewed before it ended
    assert 2 <= logins <= 8  # a new login once renewal no longer helps, not one per read


def test_a_revoked_token_is_replaced_by_a_new_login(bao, home):
    approle(bao, home, "revoked-mid-run")
    assert read() == KEY
    logins = bao.requests_to("auth/approle/login")
    # Revoke every token AppRole logins gave out: the one the process keeps among them.
    bao.api("PUT", "sys/leases/revoke-prefix/auth/approle/login")
    assert read() == KEY
    assert read() == KEY
    assert bao.requests_to("auth/approle/login") == logins + 1


def test_a_refused_login_is_not_retried_in_a_tight_loop(bao, home):
    secret_id = approle(bao, home, "refused")
    bao.api("POST", "auth/approle/role/refused/secret-id/destroy", {"secret_id": secret_id})
    logins = bao.requests_to("auth/approle/login")
    errors = []
    for _ in range(5):
        with pytest.raises(CredentialError) as info:
            read()
        errors.append(str(info.value))
    assert bao.requests_to("auth/approle/login") == logins + 1
    assert "AppRole login at" in errors[0] and "not tried again" not in errors[0]
    assert all("not tried again for another" in text for text in errors[1:])
    assert all("AppRole login at" in text and secret_id not in text for text in errors)
    time.sleep(1.1)  # the first back-off has passed: one more attempt
    with pytest.raises(CredentialError):
        read()
    assert bao.requests_to("auth/approle/login") == logins + 2
