"""A static token (``VAULT_TOKEN``, ``~/.vault-token``) against a real OpenBao dev
server: looked up once, renewed past half its life by one thread for all, and once it
ends (its max TTL reached, not renewable, revoked) a clear error at once; a new token
is used at the next read.
"""

from __future__ import annotations

import threading
import time

import pytest

from alphacast import CredentialError
from alphacast.chain import resolve_profile
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

KEY = "ak_static_token_0123456789abcdefghijklmn"
SECRET = "secret/data/alphacast/lifecycle"
LOOKUP, RENEW = "auth/token/lookup-self", "auth/token/renew-self"
FIX = "vault_auth = approle, jwt or agent"


@pytest.fixture
def bao(openbao: OpenBao, home, monkeypatch: pytest.MonkeyPatch) -> OpenBao:  # noqa: F811
    openbao.put_kv2("alphacast/lifecycle", {"api_key": KEY})
    openbao.policy("lifecycle", f'path "{SECRET}" {{ capabilities = ["read"] }}')
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    write_config(home, "[profile lifecycle]\nvault_auth = token\n")
    return openbao


def create(bao: OpenBao, **settings: object) -> str:
    """A new token (a child of the root token) that may read the key."""
    answer = bao.api("POST", "auth/token/create", {"policies": ["lifecycle"], **settings})
    return str(answer["auth"]["client_token"])


def read() -> str:
    credential = VaultProvider().resolve("lifecycle")
    assert credential is not None
    return str(credential.api_key)


def counts(bao: OpenBao) -> tuple[int, int, int]:
    return bao.requests_to(LOOKUP), bao.requests_to(RENEW), bao.reads(SECRET)


def ended(token: str, *words: str) -> str:
    """The error of a read with a token that ended: clear, and without the token."""
    with pytest.raises(CredentialError) as info:
        read()
    text = str(info.value)
    assert text.startswith("vault: ") and "'lifecycle'" in text and FIX in text, text
    assert "issue a new one" in text and token not in text, text
    assert all(word in text for word in words), text
    return text


def test_a_renewable_token_lives_past_its_ttl_until_its_max_ttl(bao, monkeypatch):
    token = create(bao, ttl="3s", explicit_max_ttl="8s", renewable=True)
    started = time.monotonic()
    monkeypatch.setenv("VAULT_TOKEN", token)
    before = counts(bao)
    served = 0
    while time.monotonic() - started < 6.5:  # more than twice its TTL
        assert read() == KEY
        served += 1
        time.sleep(0.3)
    while time.monotonic() - started < 12:  # past its max TTL: the clear error
        try:
            read()
        except CredentialError:
            break
        time.sleep(0.3)
    ended(token, "token from VAULT_TOKEN", "expired")
    lookups, renewals, _ = (now - then for now, then in zip(counts(bao), before, strict=True))
    assert served > 15
    assert renewals >= 2
    assert lookups <= 5  # once at the start, and about its end: not once per read
    # Known to have ended: the next read fails at once, with no round trip.
    quiet = counts(bao)
    ended(token, "VAULT_TOKEN")
    assert counts(bao) == quiet


def test_a_token_revoked_mid_run_is_a_clear_error_and_a_new_one_is_used_at_once(bao, monkeypatch):
    token = create(bao, ttl="1h")
    monkeypatch.setenv("VAULT_TOKEN", token)
    assert read() == KEY
    bao.api("POST", "auth/token/revoke", {"token": token})
    ended(token, "token from VAULT_TOKEN", "was revoked")
    quiet = counts(bao)
    ended(token, "was revoked")
    assert counts(bao) == quiet  # no round trip with a token known to be revoked
    monkeypatch.setenv("VAULT_TOKEN", create(bao, ttl="1h"))
    assert read() == KEY


def test_a_rewritten_vault_token_file_is_used_at_once(bao, home):
    first = create(bao, ttl="1h")
    file = home / ".vault-token"
    file.write_text(first)
    file.chmod(0o600)
    assert read() == KEY
    bao.api("POST", "auth/token/revoke", {"token": first})
    ended(first, ".vault-token", "was revoked")
    file.write_text(create(bao, ttl="1h"))  # as `bao login` does
    assert read() == KEY


def test_a_token_that_is_not_renewable_is_a_clear_error_once_expired(bao, monkeypatch):
    token = create(bao, ttl="3s", renewable=False)
    started = time.monotonic()
    monkeypatch.setenv("VAULT_TOKEN", token)
    renewals = bao.requests_to(RENEW)
    assert read() == KEY
    time.sleep(max(0.0, 4.5 - (time.monotonic() - started)))
    ended(token, "token from VAULT_TOKEN", "has expired: it is not renewable")
    assert bao.requests_to(RENEW) == renewals  # never asked to renew what cannot be


def test_one_renewal_per_period_is_shared_by_every_thread(bao, monkeypatch):
    # A periodic token lives as long as it is renewed within each period.
    token = create(bao, period="4s")
    monkeypatch.setenv("VAULT_TOKEN", token)
    before = counts(bao)
    failures: list[BaseException] = []
    served = [0] * 4
    # The four threads read in step, as a herd would: each finds the token due at once.
    together = threading.Barrier(4)
    stop = time.monotonic() + 9  # more than twice the period

    def reader(index: int) -> None:
        while True:
            try:
                together.wait(timeout=10)
                if time.monotonic() > stop:
                    return
                assert read() == KEY
            except threading.BrokenBarrierError:
                return
            except BaseException as exc:  # noqa: BLE001 - reported below
                failures.append(exc)
                together.abort()
                return
            served[index] += 1
            time.sleep(0.05)

    threads = [threading.Thread(target=reader, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    lookups, renewals, reads = (now - then for now, then in zip(counts(bao), before, strict=True))
    assert min(served) > 20 and reads == sum(served)
    assert lookups == 1
    # Due past half its life (2 s): about 9 / 2 renewals in all, not 4 per period.
    assert 3 <= renewals <= 6, renewals


def test_a_token_without_ttl_is_looked_up_once_and_never_renewed(bao, monkeypatch):
    token = str(
        bao.api("POST", "auth/token/create", {"policies": ["root"]})["auth"]["client_token"]
    )
    assert bao.api("GET", "auth/token/lookup-self", token=token)["data"]["ttl"] == 0
    monkeypatch.setenv("VAULT_TOKEN", token)
    lookups, renewals, _ = counts(bao)
    for _ in range(5):
        assert read() == KEY
    assert bao.requests_to(LOOKUP) == lookups + 1
    assert bao.requests_to(RENEW) == renewals


def test_a_process_using_the_chain_renews_a_token_shorter_than_the_refresh(bao, monkeypatch):
    # vault_refresh_seconds stays at 300: the chain must come back for the token's sake.
    token = create(bao, ttl="3s", renewable=True)
    monkeypatch.setenv("VAULT_TOKEN", token)
    renewals = bao.requests_to(RENEW)
    resolved = resolve_profile("lifecycle")
    started = time.monotonic()
    while time.monotonic() - started < 7:  # more than twice the token's TTL
        assert resolved.current.api_key == KEY
        time.sleep(0.2)
    assert bao.requests_to(RENEW) - renewals >= 2
    assert read() == KEY  # the token still lives: a re-read at any time works


def test_a_token_whose_policy_refuses_renewal_is_used_until_it_expires(bao, monkeypatch):
    # Its policy allows the read and lookup-self, not renew-self: the refused renewal
    # is not a revocation; the token reads until its TTL ends, then the error says why.
    bao.policy(
        "no-renewal",
        f'path "{SECRET}" {{ capabilities = ["read"] }}\n'
        f'path "{LOOKUP}" {{ capabilities = ["read"] }}',
    )
    answer = bao.api(
        "POST",
        "auth/token/create",
        {"policies": ["no-renewal"], "no_default_policy": True, "ttl": "4s", "renewable": True},
    )
    token = str(answer["auth"]["client_token"])
    started = time.monotonic()
    monkeypatch.setenv("VAULT_TOKEN", token)
    renewals = bao.requests_to(RENEW)
    served_late = 0
    while time.monotonic() - started < 3.2:  # past half its life: renewal is due, refused
        assert read() == KEY
        if time.monotonic() - started > 2.3:
            served_late += 1
        time.sleep(0.2)
    assert served_late > 0
    assert bao.requests_to(RENEW) - renewals == 1  # asked once, then known not to renew
    time.sleep(max(0.0, 5.0 - (time.monotonic() - started)))
    text = ended(token, "token from VAULT_TOKEN", "has expired", "does not allow renew-self")
    assert "auth/token/renew-self" in text and "revoked" not in text, text
