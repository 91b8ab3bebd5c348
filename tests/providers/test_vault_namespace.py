"""``VAULT_NAMESPACE`` against OpenBao namespaces (a real dev server, ``openbao.py``):
the secret, the KV mount and the AppRole login are all looked up in the namespace."""

from __future__ import annotations

import pytest

from alphacast import CredentialError
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

NAMESPACE = "team-a"
KEY_IN_NAMESPACE = "ak_namespace_team_a_0123456789abcdefgh"
KEY_AT_ROOT = "ak_namespace_root_0123456789abcdefghij"


@pytest.fixture
def bao(openbao: OpenBao, monkeypatch: pytest.MonkeyPatch) -> OpenBao:  # noqa: F811
    namespaces = openbao.api("LIST", "sys/namespaces") if _has_namespaces(openbao) else {}
    if f"{NAMESPACE}/" not in namespaces.get("data", {}).get("keys", []):
        openbao.api("POST", f"sys/namespaces/{NAMESPACE}", {})
        openbao.api(
            "POST",
            "sys/mounts/secret",
            {"type": "kv", "options": {"version": "2"}},
            namespace=NAMESPACE,
        )
    openbao.api(
        "POST",
        "secret/data/alphacast/ns",
        {"data": {"api_key": KEY_IN_NAMESPACE}},
        namespace=NAMESPACE,
    )
    openbao.put_kv2("alphacast/ns", {"api_key": KEY_AT_ROOT})
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    return openbao


def _has_namespaces(bao: OpenBao) -> bool:
    try:
        bao.api("LIST", "sys/namespaces")
    except RuntimeError:
        return False  # none yet: LIST answers 404
    return True


def test_vault_namespace_reads_the_namespaced_secret(bao, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    credential = VaultProvider().resolve("ns")
    assert credential is not None and credential.api_key == KEY_AT_ROOT
    monkeypatch.setenv("VAULT_NAMESPACE", NAMESPACE)
    credential = VaultProvider().resolve("ns")
    assert credential is not None and credential.api_key == KEY_IN_NAMESPACE
    assert f"(namespace {NAMESPACE})" in credential.source


def test_bao_namespace_and_an_approle_login_in_the_namespace(bao, monkeypatch, home):
    monkeypatch.setenv("BAO_NAMESPACE", NAMESPACE)
    auths = bao.api("GET", "sys/auth", namespace=NAMESPACE)
    if "approle/" not in auths.get("data", auths):
        bao.api("POST", "sys/auth/approle", {"type": "approle"}, namespace=NAMESPACE)
    bao.api(
        "PUT",
        "sys/policies/acl/ns-reader",
        {"policy": 'path "secret/data/alphacast/ns" { capabilities = ["read"] }'},
        namespace=NAMESPACE,
    )
    bao.api("POST", "auth/approle/role/ns", {"token_policies": ["ns-reader"]}, namespace=NAMESPACE)
    role_id = bao.api("GET", "auth/approle/role/ns/role-id", namespace=NAMESPACE)["data"]
    secret_id = bao.api("POST", "auth/approle/role/ns/secret-id", namespace=NAMESPACE)["data"]
    write_config(
        home,
        f"[profile ns]\nvault_role_id = {role_id['role_id']}\n"
        f"vault_secret_id = {secret_id['secret_id']}\n",
    )
    credential = VaultProvider().resolve("ns")
    assert credential is not None and credential.api_key == KEY_IN_NAMESPACE


def test_a_namespace_that_does_not_exist_is_named(bao, monkeypatch):
    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    monkeypatch.setenv("VAULT_NAMESPACE", "no-such-team")
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("ns")
    assert "(namespace no-such-team)" in str(info.value)
