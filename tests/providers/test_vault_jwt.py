"""The ``vault`` provider's JWT login (workload identity: Kubernetes service-account
tokens, GitHub Actions and GitLab CI ID tokens) against a real OpenBao dev server whose
jwt auth method trusts a public key this module makes; the tokens are signed here.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from alphacast import CredentialError
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import OpenBao, openbao  # noqa: F401 - a fixture

pytestmark = pytest.mark.vault

KEY = "ak_jwt_0123456789abcdefghijklmnopqrstuvwxyz"
AUDIENCE = "alphacast"
ROLE = "etl-worker"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Signer:
    """An RSA key pair; signs RS256 JWTs."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_pem = (
            self._key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwt(self, *, audience: str = AUDIENCE, lifetime: int = 300, **claims: Any) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        now = int(time.time())
        payload = {
            "iss": "https://kubernetes.default.svc",
            "sub": "system:serviceaccount:etl:worker",
            "aud": audience,
            "iat": now - 5,
            "nbf": now - 5,
            "exp": now + lifetime,
            **claims,
        }
        header = {"alg": "RS256", "typ": "JWT"}
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = self._key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64(signature)}"


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


def _role(bao: OpenBao, mount: str, role: str, **settings: str) -> None:
    bao.api(
        "POST",
        f"auth/{mount}/role/{role}",
        {
            "role_type": "jwt",
            "bound_audiences": [AUDIENCE],
            "user_claim": "sub",
            "token_policies": ["jwt-reader"],
            "token_ttl": "5m",
            **settings,
        },
    )


def _jwt_method(bao: OpenBao, signer: Signer, mount: str) -> None:
    auths = bao.api("GET", "sys/auth")
    if f"{mount}/" not in auths.get("data", auths):
        bao.api("POST", f"sys/auth/{mount}", {"type": "jwt"})
    bao.api("POST", f"auth/{mount}/config", {"jwt_validation_pubkeys": [signer.public_pem]})
    bao.policy("jwt-reader", 'path "secret/data/alphacast/*" { capabilities = ["read"] }')
    _role(bao, mount, ROLE)


@pytest.fixture
def bao(openbao: OpenBao, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> OpenBao:  # noqa: F811
    _jwt_method(openbao, signer, "jwt")
    openbao.put_kv2("alphacast/default", {"api_key": KEY})
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    return openbao


@pytest.fixture
def token_file(home: Path) -> Path:
    return home / "jwt"


def configure(home: Path, token_file: Path, extra: str = "") -> None:
    write_config(
        home,
        f"[default]\nvault_auth = jwt\nvault_role = {ROLE}\nvault_jwt_file = {token_file}\n{extra}",
    )


def error_of(*secrets: str) -> str:
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("default")
    text = str(info.value)
    assert text.startswith("vault: ")
    for secret in secrets:
        assert secret not in text and secret.split(".")[2] not in text
    return text


def test_jwt_login_reads_the_key(bao, signer, home, token_file):
    token_file.write_text(signer.jwt() + "\n")
    configure(home, token_file)
    credential = VaultProvider().resolve("default")
    assert credential is not None and credential.api_key == KEY
    assert "secret/alphacast/default" in credential.source


def test_vault_jwt_file_and_another_mount(bao, signer, home, token_file, monkeypatch):
    _jwt_method(bao, signer, "ci-jwt")
    token_file.write_text(signer.jwt())
    monkeypatch.setenv("VAULT_JWT_FILE", str(token_file))
    write_config(
        home, f"[default]\nvault_auth = jwt\nvault_role = {ROLE}\nvault_jwt_mount = ci-jwt\n"
    )
    credential = VaultProvider().resolve("default")
    assert credential is not None and credential.api_key == KEY


def test_the_jwt_file_is_read_again_at_each_login(bao, signer, home, token_file):
    # Tokens of two seconds are never kept: every read logs in.
    _role(bao, "jwt", "short", token_ttl="2s", token_max_ttl="2s")
    write_config(
        home, f"[default]\nvault_auth = jwt\nvault_role = short\nvault_jwt_file = {token_file}\n"
    )
    token_file.write_text(signer.jwt())
    assert VaultProvider().resolve("default") is not None
    now = int(time.time())
    expired = signer.jwt(iat=now - 600, nbf=now - 600, exp=now - 300)
    token_file.write_text(expired)  # the platform rotated it, badly
    assert "JWT login as role 'short'" in error_of(expired)
    token_file.write_text(signer.jwt())  # and then well: tried at once
    credential = VaultProvider().resolve("default")
    assert credential is not None and credential.api_key == KEY


def test_an_expired_token_is_a_clear_error(bao, signer, home, token_file):
    configure(home, token_file)
    now = int(time.time())
    expired = signer.jwt(iat=now - 600, nbf=now - 600, exp=now - 300)
    token_file.write_text(expired)
    text = error_of(expired)
    assert f"JWT login as role 'etl-worker' at {bao.address} (auth/jwt/login) failed" in text
    assert "expired" in text.lower()
    assert "audience, issuer, expiry" in text


def test_a_wrong_audience_is_a_clear_error(bao, signer, home, token_file):
    configure(home, token_file)
    wrong = signer.jwt(audience="someone-else")
    token_file.write_text(wrong)
    text = error_of(wrong)
    assert "JWT login as role 'etl-worker'" in text and "aud" in text.lower()


def test_a_wrong_role_is_a_clear_error(bao, signer, home, token_file):
    token_file.write_text(signer.jwt())
    write_config(
        home, f"[default]\nvault_auth = jwt\nvault_role = nobody\nvault_jwt_file = {token_file}\n"
    )
    text = error_of(token_file.read_text())
    assert "JWT login as role 'nobody'" in text and "nobody" in text.split("failed", 1)[1]


def test_a_token_signed_by_another_key_is_refused(bao, home, token_file):
    forged = Signer().jwt()
    token_file.write_text(forged)
    configure(home, token_file)
    assert "JWT login as role 'etl-worker'" in error_of(forged)


def test_the_default_file_is_the_kubernetes_service_account_token(bao, home):
    write_config(home, f"[default]\nvault_auth = jwt\nvault_role = {ROLE}\n")
    text = error_of()
    assert "the JWT file /var/run/secrets/kubernetes.io/serviceaccount/token does not exist" in text
    assert "vault_jwt_file" in text and "VAULT_JWT_FILE" in text


def test_an_empty_jwt_file_is_named(bao, home, token_file):
    token_file.write_text("\n")
    configure(home, token_file)
    assert "the JWT file ~/jwt is empty" in error_of()


def test_jwt_without_a_role_is_a_clear_error(bao, home, token_file):
    write_config(home, f"[default]\nvault_auth = jwt\nvault_jwt_file = {token_file}\n")
    assert "vault_auth = jwt in" in error_of() and "needs vault_role" in error_of()


def test_vault_auth_is_validated(bao, home):
    write_config(home, "[default]\nvault_auth = kerberos\n")
    assert "vault_auth = 'kerberos'" in error_of() and "token, approle, jwt" in error_of()


def test_vault_auth_token_ignores_a_configured_approle(bao, home, monkeypatch):
    from tests.providers.openbao import ROOT_TOKEN

    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    write_config(home, "[default]\nvault_auth = token\nvault_role_id = r\nvault_secret_id = s\n")
    credential = VaultProvider().resolve("default")
    assert credential is not None and credential.api_key == KEY


def test_vault_auth_approle_without_an_approle_is_a_clear_error(bao, home, monkeypatch):
    from tests.providers.openbao import ROOT_TOKEN

    monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
    write_config(home, "[default]\nvault_auth = approle\n")
    assert "vault_auth = approle in" in error_of() and "no role id or secret id" in error_of()


def test_one_login_serves_many_reads(bao, signer, home, token_file):
    token_file.write_text(signer.jwt())
    configure(home, token_file)
    before = bao.requests_to("auth/jwt/login")
    for _ in range(5):
        assert VaultProvider().resolve("default") is not None
    assert bao.requests_to("auth/jwt/login") - before <= 1
    assert bao.requests_to("auth/jwt/login") >= 1
