"""The public ``Emulator``: two loopback listeners over one store, started and stopped
as a unit (use it as a context manager)."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from alphacast.emulator._core import Accounts, Core, RequestLog
from alphacast.emulator._faults import Faults
from alphacast.emulator._server import EmulatorServer


class Emulator:
    """A local Alphacast-compatible API (and workspace search) for tests and demos.

    ``accounts`` maps account names to API keys. ``db`` is an SQLite file to keep the
    data in; without it the data lives in a temporary file removed on :meth:`stop`.
    Faults (``fail_rate``, ``fail_status``, ``reset_rate``, ``latency``) follow
    ``seed``. ``tls=True`` serves HTTPS with a throwaway CA (see :attr:`ca_file`).
    ``chunked_uploads=False`` answers any request whose body is sent chunked
    (``Transfer-Encoding: chunked``) with 411 Length Required and closes the
    connection, as a server or proxy that wants a ``Content-Length`` does.
    """

    def __init__(
        self,
        accounts: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        workspace_port: int = 0,
        db: str | Path | None = None,
        tls: bool = False,
        fail_rate: float = 0.0,
        fail_status: int = 503,
        reset_rate: float = 0.0,
        latency: float = 0.0,
        seed: int | None = None,
        chunked_uploads: bool = True,
    ) -> None:
        self.host = host
        self.chunked_uploads = chunked_uploads
        self.port = port
        self.workspace_port = workspace_port
        self.db = Path(db) if db is not None else None
        self.tls = tls
        self._faults = Faults(fail_rate, fail_status, reset_rate, latency, seed)
        self._accounts = Accounts()
        for name, key in (accounts or {}).items():
            self._accounts.add(name, key)
        self._log = RequestLog()
        self._core: Core | None = None
        self._servers: list[EmulatorServer] = []
        self._threads: list[threading.Thread] = []
        self._tmp: str | None = None
        #: With ``tls=True``, the PEM file of the throwaway certificate authority that
        #: signed the server certificate (give it to the client as ``verify=``);
        #: ``None`` without TLS or once stopped.
        self.ca_file: Path | None = None

    # lifecycle ---------------------------------------------------------------------

    def start(self) -> Emulator:
        if self._core is not None:
            raise RuntimeError("the emulator is already running")
        self._tmp = tempfile.mkdtemp(prefix="alphacast-emulator-")
        try:
            self._start(Path(self._tmp))
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, tmp: Path) -> None:
        context = None
        if self.tls:
            from alphacast.emulator._tls import make_certificates, server_context

            self.ca_file, cert, key = make_certificates(tmp)
            context = server_context(cert, key)
        db_path = str(self.db) if self.db is not None else str(tmp / "emulator.sqlite3")
        spool = tmp / "spool"
        spool.mkdir()
        try:
            self._core = Core(db_path, str(spool), self._faults, self._accounts, self._log)
        except sqlite3.Error as exc:
            raise ValueError(_db_problem(Path(db_path), exc)) from None
        self._core.worker.start()
        for kind, port in (("api", self.port), ("workspace", self.workspace_port)):
            server = EmulatorServer(
                (self.host, port), self._core, kind, context, accept_chunked=self.chunked_uploads
            )
            self._servers.append(server)
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"alphacast-emulator-{kind}-listener",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def close_connections(self) -> None:
        """Close every open connection, as a server closes kept-alive connections
        left idle past its timeout: a client's next request must open a new one."""
        for server in self._servers:
            server.close_connections()

    def stop(self) -> None:
        """Stop listening, close every connection, finish the worker, remove temp files."""
        for server in self._servers:
            server.shutdown()
        for server in self._servers:
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join()
        self._servers, self._threads = [], []
        if self._core is not None:
            self._core.close()
            self._core = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
            self.ca_file = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # addresses ---------------------------------------------------------------------

    def _url(self, index: int) -> str:
        if not self._servers:
            raise RuntimeError("the emulator is not running")
        host, port = self._servers[index].server_address[:2]
        host = str(host)
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The API host's base URL, e.g. ``http://127.0.0.1:PORT``."""
        return self._url(0)

    @property
    def workspace_url(self) -> str:
        """The workspace host's base URL (``/api/search``)."""
        return self._url(1)

    # accounts, faults and the log ----------------------------------------------------

    @property
    def core(self) -> Core:
        if self._core is None:
            raise RuntimeError("the emulator is not running")
        return self._core

    def add_account(self, name: str, key: str) -> None:
        """Add an account (or give an existing one this key)."""
        self._accounts.add(name, key)

    def rotate_key(self, account: str, new_key: str | None = None) -> str:
        """Replace ``account``'s key at once (the old one gets 401); the new key."""
        return self._accounts.rotate(account, new_key)

    @property
    def accounts(self) -> list[str]:
        """The account names (never the keys)."""
        return self._accounts.names()

    def set_faults(
        self,
        fail_rate: float = 0.0,
        fail_status: int = 503,
        reset_rate: float = 0.0,
        latency: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Replace the fault plan of a running (or not yet started) emulator."""
        self._faults = Faults(fail_rate, fail_status, reset_rate, latency, seed)
        if self._core is not None:
            self._core.faults = self._faults

    @property
    def request_log(self) -> list[dict[str, Any]]:
        """Every request so far: ``method``, ``path`` (no query string), ``host``
        (``"api"``/``"workspace"``), ``account``, ``key`` (as presented), ``status``
        (``None`` for a connection reset on purpose); a request with a body also has
        ``body``, how it was framed: ``"chunked"`` or ``"length"``."""
        return self._log.entries()

    def clear_request_log(self) -> None:
        self._log.clear()

    def deprecate_dataset(self, dataset_id: int, deprecated: bool = True) -> None:
        """Mark a dataset deprecated (searches with ``excludeDeprecated`` skip it)."""
        with self.core.store.transaction() as conn:
            conn.execute(
                "UPDATE datasets SET deprecated = ? WHERE id = ?", (int(deprecated), dataset_id)
            )

    def __repr__(self) -> str:
        state = f"api={self.api_url}" if self._servers else "stopped"
        return f"<Emulator {state} accounts={self.accounts}>"


def _db_problem(path: Path, exc: sqlite3.Error) -> str:
    """Why ``path`` cannot hold the emulator's data, in one line."""
    prefix = f"cannot keep the data in {path}"
    if path.is_dir():
        return f"{prefix}: it is a folder; name an SQLite file (created if missing)"
    if path.parent.exists() and not path.parent.is_dir():
        return f"{prefix}: {path.parent} is not a folder"
    if not path.parent.is_dir():
        return f"{prefix}: the folder {path.parent} does not exist"
    if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
        return f"{prefix}: it is not an SQLite database"
    return f"{prefix}: it is not the emulator's database, or cannot be opened ({exc})"
