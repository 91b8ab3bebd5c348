"""The emulator's state without any sockets: accounts and their keys, the store, the
upload worker, the fault plan and the request log."""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import deque
from typing import Any

from alphacast.emulator._faults import Faults
from alphacast.emulator._ingest import Worker
from alphacast.emulator._model import MAX_ID, HttpError
from alphacast.emulator._store import Store

#: How many request records the log keeps (the oldest go first).
LOG_LIMIT = 200_000


class PresentedKey(str):
    """A key as a client presented it, kept in the request log.

    It equals the key (tests compare it with the key they expected), but its
    ``repr`` shows only the last four characters, so printing a log entry, or
    the whole log, shows no key.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"<key …{self[-4:]}>" if len(self) >= 12 else "<key ****>"


class Accounts:
    """Account names and their keys; a key change is seen by the next request."""

    def __init__(self) -> None:
        self._keys: dict[str, str] = {}
        self._owners: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, name: str, key: str) -> None:
        if not name or not key:
            raise ValueError("an account needs a name and a key")
        with self._lock:
            owner = self._owners.get(key)
            if owner is not None and owner != name:
                raise ValueError(f"that key already belongs to account {owner!r}")
            old = self._keys.get(name)
            if old is not None:
                del self._owners[old]
            self._keys[name] = key
            self._owners[key] = name

    def rotate(self, name: str, new_key: str | None = None) -> str:
        if name not in self.names():
            raise KeyError(f"no account named {name!r}")
        key = new_key or "ak_" + secrets.token_hex(16)
        self.add(name, key)
        return key

    def owner(self, key: str | None) -> str | None:
        if not key:
            return None
        with self._lock:
            return self._owners.get(key)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._keys)


class RequestLog:
    """One record per request, oldest first; it outlives the listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=LOG_LIMIT)

    def add(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class Core:
    """Shared by both listeners; every method is safe to call from any thread."""

    def __init__(
        self, db_path: str, spool_dir: str, faults: Faults, accounts: Accounts, log: RequestLog
    ) -> None:
        self.db_path = db_path
        self.spool_dir = spool_dir
        self.faults = faults
        self.accounts = accounts
        self.log = log
        self.store = Store(db_path)
        self.worker = Worker(db_path)

    def account_for(self, key: str | None) -> str | None:
        return self.accounts.owner(key)

    def record(self, entry: dict[str, Any]) -> None:
        key = entry.get("key")
        if isinstance(key, str):
            entry["key"] = PresentedKey(key)
        self.log.add(entry)

    # access ------------------------------------------------------------------------

    def repository(self, account: str, repository_id: int, write: bool = False) -> sqlite3.Row:
        """The repository, or ``HttpError`` 404 (none) / 403 (not this account's)."""
        row = self.store.repository(repository_id) if abs(repository_id) <= MAX_ID else None
        if row is None:
            raise HttpError(404, f"Repository {repository_id} not found.")
        self._check(account, row, write, f"repository {repository_id}")
        return row

    def dataset(self, account: str, dataset_id: int, write: bool = False) -> sqlite3.Row:
        """The dataset (with its repository's account and privacy), or 404 / 403."""
        row = self.store.dataset(dataset_id) if abs(dataset_id) <= MAX_ID else None
        if row is None:
            raise HttpError(404, f"Dataset {dataset_id} not found.")
        self._check(account, row, write, f"dataset {dataset_id}")
        return row

    @staticmethod
    def _check(account: str, row: sqlite3.Row, write: bool, what: str) -> None:
        if row["account"] == account:
            return
        if write or row["privacy"] != "Public":
            verb = "modify" if write else "read"
            raise HttpError(403, f"You do not have permission to {verb} {what}.")

    def close(self) -> None:
        self.worker.stop()
        self.store.close()
