"""The ``vault`` provider against servers that answer what no Vault should: redirects
to another host (the real OpenBao of ``openbao.py`` among them) and malformed answers.

A redirect is never followed: requests keeps ``X-Vault-Token`` (a header it does not
know to strip) and re-sends an AppRole login's body to wherever the server points, and
would take that host's answer for the server's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from alphacast import Alphacast, CredentialError
from alphacast.emulator._tls import make_certificates, server_context
from alphacast.providers.vault import VaultProvider
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, OpenBao, openbao  # noqa: F401 - a fixture
from tests.recording_server import Reply, Seen, recording_server

pytestmark = pytest.mark.vault

TOKEN = "hvs.CAESIGx8Yk3mQ9pLr2TzW7vN1uB5qXcJ0aHs"
SECRET_ID = "5f2b9c1e-7d3a-4e8b-9c0f-1a2b3c4d5e6f"


def error_of(profile: str = "default") -> str:
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve(profile)
    assert info.value.provider == "vault"
    text = str(info.value)
    assert TOKEN not in text and SECRET_ID not in text
    return text


def redirect_to(target: str, status: int = 307) -> Callable[[Seen], Reply]:
    """An answer sending every request to the same path on ``target``."""
    return lambda seen: Reply(status, {"Location": target + seen.path}, b"")


def assert_explains_the_redirect(text: str, front: str, target: str, status: int) -> None:
    assert f"the Vault server at {front} answered a redirect ({status}) to {target}" in text
    assert "never followed" in text and "nothing was sent there" in text
    assert "standby" in text and "active node" in text and "load-balanced address" in text
    assert f"if {target} is the server to use, set VAULT_ADDR to it" in text


# -- redirects are never followed ---------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_host_sends_it_nothing(monkeypatch, status):
    with recording_server() as other, recording_server(redirect_to(other.url, status)) as front:
        monkeypatch.setenv("VAULT_ADDR", front.url)
        monkeypatch.setenv("VAULT_TOKEN", TOKEN)
        text = error_of()
        assert other.seen == []
    assert len(front.seen) == 1
    assert_explains_the_redirect(text, front.url, other.url, status)


def test_a_redirect_to_a_real_vault_is_not_followed_nor_its_key_taken(openbao, monkeypatch):  # noqa: F811
    # A standby node's answer: 307 to the active node, which holds the secret.
    openbao.put_kv2("alphacast/redirected", {"api_key": "ak_behind_a_redirect_01"})
    before = openbao.reads("secret/data/alphacast/redirected")
    with recording_server(redirect_to(openbao.address)) as front:
        monkeypatch.setenv("VAULT_ADDR", front.url)
        monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
        text = error_of("redirected")
    assert_explains_the_redirect(text, front.url, openbao.address, 307)
    assert openbao.reads("secret/data/alphacast/redirected") == before
    # Set VAULT_ADDR to where it pointed, as the message says, and the key is read.
    monkeypatch.setenv("VAULT_ADDR", openbao.address)
    credential = VaultProvider().resolve("redirected")
    assert credential is not None and credential.api_key == "ak_behind_a_redirect_01"


def test_another_hosts_key_is_never_adopted_through_the_client(monkeypatch):
    def substitute(seen: Seen) -> Reply:
        return Reply(200, {}, b'{"data": {"data": {"api_key": "ak_attacker_0123456789"}}}')

    with recording_server(substitute) as other, recording_server(redirect_to(other.url)) as front:
        monkeypatch.setenv("VAULT_ADDR", front.url)
        monkeypatch.setenv("VAULT_TOKEN", TOKEN)
        monkeypatch.setenv("ALPHACAST_CREDENTIAL_CHAIN", "vault")
        with pytest.raises(CredentialError, match="answered a redirect") as info:
            Alphacast(api_url="http://127.0.0.1:9", workspace_url="http://127.0.0.1:9")
        assert other.seen == []
    assert "ak_attacker" not in str(info.value)


def test_an_approle_login_is_not_resent_to_another_host(monkeypatch):
    with recording_server() as other, recording_server(redirect_to(other.url)) as front:
        monkeypatch.setenv("VAULT_ADDR", front.url)
        monkeypatch.setenv("VAULT_ROLE_ID", "role-1234")
        monkeypatch.setenv("VAULT_SECRET_ID", SECRET_ID)
        text = error_of()
        assert other.seen == []
    assert [(seen.method, seen.path) for seen in front.seen] == [("POST", "/v1/auth/approle/login")]
    assert_explains_the_redirect(text, front.url, other.url, 307)


@contextmanager
def tls_redirector(directory: Path, target: str) -> Iterator[tuple[str, Path]]:
    """An https server on localhost answering 307 to ``target``; its URL and CA file."""
    ca, cert, key = make_certificates(directory)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(307)
            self.send_header("Location", target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = server_context(cert, key).wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}", ca
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_https_is_never_downgraded_to_plain_http_by_a_redirect(monkeypatch, tmp_path):
    with recording_server() as plain:
        with tls_redirector(tmp_path, plain.url) as (front, ca):
            monkeypatch.setenv("VAULT_ADDR", front)
            monkeypatch.setenv("VAULT_CACERT", str(ca))
            monkeypatch.setenv("VAULT_TOKEN", TOKEN)
            text = error_of()
        assert plain.seen == []
    assert_explains_the_redirect(text, front, plain.url, 307)


# -- malformed answers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"{}", b'{"auth": null}', b'{"auth": {"client_token": 5}}', b"<html>login</html>", b"[]"],
)
def test_a_malformed_approle_login_answer_is_a_credential_error(monkeypatch, body):
    with recording_server(lambda seen: Reply(200, {}, body)) as server:
        monkeypatch.setenv("VAULT_ADDR", server.url)
        monkeypatch.setenv("VAULT_ROLE_ID", "role-1234")
        monkeypatch.setenv("VAULT_SECRET_ID", SECRET_ID)
        text = error_of()
        assert [seen.path for seen in server.seen] == ["/v1/auth/approle/login"]
    assert (
        f"the answer to the AppRole login (auth/approle/login) from {server.url} "
        "is not what Vault sends (expected a token in auth.client_token)"
    ) in text
    assert "VAULT_ADDR" in text


@pytest.mark.parametrize(
    ("version", "body", "expected"),
    [
        (2, b"{}", "a JSON object with a data object"),
        (2, b"not json", "a JSON object with a data object"),
        (2, b'{"data": "api_key"}', "a JSON object with a data object"),
        (2, b'{"data": {"data": "api_key"}}', "the secret's fields in a data.data object"),
        (2, b'{"data": {"data": null}}', "the secret's fields in a data.data object"),
        (
            2,
            b'{"data": {"data": {"api_key": "ak_fine_0000000001"}, "metadata": []}}',
            "data.metadata to be an object",
        ),
        (
            2,
            b'{"data": {"data": {"api_key": "ak_fine_0000000001"},'
            b' "metadata": {"custom_metadata": "ttl=1h"}}}',
            "data.metadata.custom_metadata to be an object",
        ),
        (
            1,
            b'{"data": {"api_key": "ak_fine_0000000001"}, "lease_duration": "soon"}',
            "lease_duration in whole seconds",
        ),
        (1, b'{"data": ["api_key"]}', "a JSON object with a data object"),
    ],
)
def test_a_malformed_secret_is_a_credential_error(home, monkeypatch, version, body, expected):
    write_config(home, f"[default]\nvault_kv_version = {version}\n")
    with recording_server(lambda seen: Reply(200, {}, body)) as server:
        monkeypatch.setenv("VAULT_ADDR", server.url)
        monkeypatch.setenv("VAULT_TOKEN", TOKEN)
        text = error_of()
    assert (
        f"the answer for secret/alphacast/default (KV v{version}) from {server.url} "
        f"is not what Vault sends (expected {expected})"
    ) in text


@pytest.mark.parametrize("body", [b"{}", b'{"data": null}', b"[1, 2]"])
def test_a_malformed_mount_answer_is_a_credential_error(monkeypatch, body):
    with recording_server(lambda seen: Reply(200, {}, body)) as server:
        monkeypatch.setenv("VAULT_ADDR", server.url)
        monkeypatch.setenv("VAULT_TOKEN", TOKEN)
        text = error_of()
        assert [seen.path for seen in server.seen] == ["/v1/sys/internal/ui/mounts/secret"]
    assert (
        f"the answer about the mount 'secret' (sys/internal/ui/mounts/secret) from "
        f"{server.url} is not what Vault sends (expected a data object)"
    ) in text
