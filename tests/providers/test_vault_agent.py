"""The ``vault`` provider through a real local ``bao agent`` (AppRole auto-auth, API
proxy with ``use_auto_auth_token``): with ``VAULT_AGENT_ADDR`` set, or ``vault_auth =
agent``, requests go to the agent and carry no token of our own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest
import requests

from alphacast import CredentialError
from alphacast.providers.vault import VaultProvider
from tests.conftest import require_tool
from tests.providers.helpers import write_config
from tests.providers.openbao import ROOT_TOKEN, OpenBao, openbao  # noqa: F401 - a fixture
from tests.recording_server import Reply, recording_server

pytestmark = pytest.mark.vault

KEY = "ak_agent_0123456789abcdefghijklmnopqrstuvw"


@pytest.fixture(scope="module")
def agent(openbao: OpenBao, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:  # noqa: F811
    """A ``bao agent`` logged in with AppRole, proxying to the dev server; its address."""
    binary = require_tool("bao")
    workdir = tmp_path_factory.mktemp("agent")
    openbao.put_kv2("alphacast/agent", {"api_key": KEY})
    openbao.policy("agent", 'path "secret/data/alphacast/agent" { capabilities = ["read"] }')
    role_id, secret_id = openbao.approle("agent", "agent")
    (workdir / "role-id").write_text(role_id)
    (workdir / "secret-id").write_text(secret_id)
    sink = workdir / "token"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    (workdir / "agent.hcl").write_text(
        f"vault {{\n  address = {json.dumps(openbao.address)}\n}}\n"
        'auto_auth {\n  method "approle" {\n    config = {\n'
        f"      role_id_file_path = {json.dumps(str(workdir / 'role-id'))}\n"
        f"      secret_id_file_path = {json.dumps(str(workdir / 'secret-id'))}\n"
        "      remove_secret_id_file_after_reading = false\n    }\n  }\n"
        f'  sink "file" {{\n    config = {{\n      path = {json.dumps(str(sink))}\n    }}\n  }}\n}}\n'
        "api_proxy {\n  use_auto_auth_token = true\n}\n"
        f'listener "tcp" {{\n  address = "127.0.0.1:{port}"\n  tls_disable = true\n}}\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    env["HOME"] = str(workdir)
    with (workdir / "agent.log").open("ab") as log:
        process = subprocess.Popen(
            [binary, "agent", f"-config={workdir / 'agent.hcl'}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )
        try:
            address = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert process.poll() is None, (workdir / "agent.log").read_text()
                try:
                    if sink.exists() and sink.read_text().strip():
                        requests.get(f"{address}/v1/sys/health", timeout=1)
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            else:
                raise RuntimeError((workdir / "agent.log").read_text()[-2000:])
            yield address
        finally:
            process.terminate()
            process.wait(timeout=10)


def test_vault_agent_addr_reads_through_the_agent_with_no_token_of_our_own(
    agent,
    openbao,  # noqa: F811
    monkeypatch,
):
    monkeypatch.setenv("VAULT_AGENT_ADDR", agent)
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:1")  # the agent comes first
    reads = openbao.reads("secret/data/alphacast/agent")
    credential = VaultProvider().resolve("agent")
    assert credential is not None and credential.api_key == KEY
    assert agent in credential.source
    assert openbao.reads("secret/data/alphacast/agent") == reads + 1


def test_vault_auth_agent_with_the_agent_in_vault_addr(agent, home):
    write_config(home, f"[profile agent]\nvault_addr = {agent}\nvault_auth = agent\n")
    credential = VaultProvider().resolve("agent")
    assert credential is not None and credential.api_key == KEY


def test_through_an_agent_no_token_of_ours_is_sent(monkeypatch, home):
    body = json.dumps({"data": {"data": {"api_key": KEY}, "metadata": {}}}).encode()
    with recording_server(
        lambda seen: Reply(200, {"Content-Type": "application/json"}, body)
    ) as fake:
        monkeypatch.setenv("VAULT_AGENT_ADDR", fake.url)
        monkeypatch.setenv("VAULT_TOKEN", ROOT_TOKEN)
        write_config(
            home, "[profile agent]\nvault_kv_version = 2\nvault_role_id = r\nvault_secret_id = s\n"
        )
        credential = VaultProvider().resolve("agent")
    assert credential is not None and credential.api_key == KEY
    assert fake.seen and all(
        "x-vault-token" not in {name.lower() for name in seen.headers} for seen in fake.seen
    )
    assert all("login" not in seen.path for seen in fake.seen)


def test_an_agent_refusing_the_read_says_so(agent, home):
    write_config(home, f"[profile elsewhere]\nvault_addr = {agent}\nvault_auth = agent\n")
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("elsewhere")
    text = str(info.value)
    assert "auto-auth token of the agent at" in text and "secret/alphacast/elsewhere" in text


def test_an_agent_address_must_be_loopback_for_plain_http(monkeypatch):
    monkeypatch.setenv("VAULT_AGENT_ADDR", "http://agent.example.com:8100")
    with pytest.raises(CredentialError) as info:
        VaultProvider().resolve("default")
    assert "(VAULT_AGENT_ADDR=http://agent.example.com:8100)" in str(info.value)
