"""The SQLite model: repositories, datasets, column definitions, processes, connector
runs and series, plus one ``data_<id>`` table per dataset holding its rows.

Two shared connections, each guarded by a lock, serve the HTTP threads: one writes,
one reads (WAL mode, so reads never wait behind a long upload merge). The upload worker
and each download open their own connection to the same file.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alphacast.emulator._model import Column, HttpError, key_columns, now_iso

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
    id INTEGER PRIMARY KEY AUTOINCREMENT, account TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL, privacy TEXT NOT NULL, slug TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (account, name));
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, repository_id INTEGER NOT NULL,
    name TEXT NOT NULL, description TEXT NOT NULL, deprecated INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE (repository_id, name));
CREATE TABLE IF NOT EXISTS columns (
    dataset_id INTEGER NOT NULL, position INTEGER NOT NULL, source_name TEXT NOT NULL,
    data_type TEXT NOT NULL, is_entity INTEGER NOT NULL, date_format TEXT,
    PRIMARY KEY (dataset_id, position));
CREATE TABLE IF NOT EXISTS processes (
    id INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id INTEGER NOT NULL, status TEXT NOT NULL,
    status_description TEXT, delete_missing INTEGER NOT NULL, on_conflict_update INTEGER NOT NULL,
    accept_new_columns INTEGER NOT NULL, created_at TEXT NOT NULL, processed_at TEXT);
CREATE TABLE IF NOT EXISTS connector_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id INTEGER NOT NULL, execution_param TEXT,
    status TEXT NOT NULL, status_description TEXT, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id INTEGER NOT NULL,
    column_name TEXT NOT NULL, entity_key TEXT NOT NULL,
    UNIQUE (dataset_id, column_name, entity_key));
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with sane pragmas."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=120)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-8000")
        conn.execute("PRAGMA temp_store=FILE")
    except BaseException:  # not a database: close what was opened
        conn.close()
        raise
    return conn


def data_table(dataset_id: int) -> str:
    return f"data_{int(dataset_id)}"


def load_columns(conn: sqlite3.Connection, dataset_id: int) -> list[Column]:
    rows = conn.execute(
        "SELECT * FROM columns WHERE dataset_id = ? ORDER BY position", (dataset_id,)
    ).fetchall()
    return [
        Column(
            r["position"], r["source_name"], r["data_type"], bool(r["is_entity"]), r["date_format"]
        )
        for r in rows
    ]


def table_has_rows(conn: sqlite3.Connection, dataset_id: int) -> bool:
    table = data_table(dataset_id)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    return bool(exists) and conn.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None  # noqa: S608


def save_columns(conn: sqlite3.Connection, dataset_id: int, columns: list[Column]) -> None:
    """Replace the definitions and bring ``data_<id>`` in line with them.

    Call inside a transaction. When the key changes the table is rebuilt, which the
    callers allow only while it holds no rows.
    """
    table = data_table(dataset_id)
    old = load_columns(conn, dataset_id)
    keys = [c.internal for c in key_columns(columns)]
    if [c.internal for c in key_columns(old)] != keys and table_has_rows(conn, dataset_id):
        raise ValueError(
            "The dataset already holds rows under another date/entity key; "
            "delete it or upload with the same key columns."
        )
    conn.execute("DELETE FROM columns WHERE dataset_id = ?", (dataset_id,))
    conn.executemany(
        "INSERT INTO columns VALUES (?, ?, ?, ?, ?, ?)",
        [
            (dataset_id, c.position, c.source_name, c.data_type, int(c.is_entity), c.date_format)
            for c in columns
        ],
    )
    if [c.internal for c in key_columns(old)] != keys:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    present = {r["name"] for r in conn.execute(f"PRAGMA table_info({table})")}
    if not present:
        names = ", ".join(c.internal for c in columns)
        conn.execute(f"CREATE TABLE {table} ({names})")
        if keys:
            conn.execute(f"CREATE UNIQUE INDEX {table}_key ON {table} ({', '.join(keys)})")
        return
    for column in columns:
        if column.internal not in present:
            conn.execute(f"ALTER TABLE {table} ADD COLUMN {column.internal}")


def repository_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "privacy": row["privacy"],
        "slug": row["slug"],
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
    }


def dataset_json(row: sqlite3.Row, writable: bool) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "repositoryId": row["repository_id"],
        "deprecated": bool(row["deprecated"]),
        "createdAt": row["created_at"],
        "updatedAt": row["updated_at"],
        "permissionLevel": "Write" if writable else "Read",
        "canRead": True,
        "canWrite": writable,
    }


def process_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "datasetId": row["dataset_id"],
        "status": row["status"],
        "statusDescription": row["status_description"],
        "deleteMissingFromDB": bool(row["delete_missing"]),
        "onConflictUpdateDB": bool(row["on_conflict_update"]),
        "acceptNewColumns": bool(row["accept_new_columns"]),
        "createdAt": row["created_at"],
        "processedAt": row["processed_at"],
    }


class Store:
    """Metadata operations on the shared connection. Access checks live in the routes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._conn = connect(path)
        self._lock = threading.RLock()
        self._read_lock = threading.Lock()
        try:
            self._conn.executescript(_SCHEMA)
            self._reader = connect(path)
            with self.transaction() as conn:
                conn.execute(
                    "UPDATE processes SET status = 'Failed', status_description = ?, "
                    "processed_at = ? WHERE status IN ('Requested', 'Processing')",
                    ("The emulator stopped before processing this upload.", now_iso()),
                )
        except BaseException:  # a file that is not the emulator's database
            self._conn.close()
            raise

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._conn.close()
            self._reader.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._read_lock:
            return self._reader.execute(sql, params).fetchall()

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    # repositories ------------------------------------------------------------------

    def create_repository(
        self, account: str, name: str, description: str, privacy: str, slug: str
    ) -> sqlite3.Row:
        stamp = now_iso()
        try:
            with self.transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO repositories (account, name, description, privacy, slug, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (account, name, description, privacy, slug, stamp, stamp),
                )
        except sqlite3.IntegrityError:
            raise HttpError(409, f"A repository named {name!r} already exists.") from None
        row = self.one("SELECT * FROM repositories WHERE id = ?", (cursor.lastrowid,))
        assert row is not None
        return row

    def repository(self, repository_id: int) -> sqlite3.Row | None:
        return self.one("SELECT * FROM repositories WHERE id = ?", (repository_id,))

    def delete_repository(self, repository_id: int) -> None:
        ids = [
            r["id"]
            for r in self.query("SELECT id FROM datasets WHERE repository_id = ?", (repository_id,))
        ]
        for dataset_id in ids:
            self.delete_dataset(dataset_id)
        with self.transaction() as conn:
            conn.execute("DELETE FROM repositories WHERE id = ?", (repository_id,))

    # datasets ----------------------------------------------------------------------

    def create_dataset(self, repository_id: int, name: str, description: str) -> sqlite3.Row:
        stamp = now_iso()
        try:
            with self.transaction() as conn:
                cursor = conn.execute(
                    "INSERT INTO datasets (repository_id, name, description, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?)",
                    (repository_id, name, description, stamp, stamp),
                )
        except sqlite3.IntegrityError:
            raise HttpError(409, f"A dataset named {name!r} already exists here.") from None
        row = self.dataset(int(cursor.lastrowid or 0))
        assert row is not None
        return row

    def dataset(self, dataset_id: int) -> sqlite3.Row | None:
        return self.one(
            "SELECT d.*, r.account, r.privacy, r.name AS repository_name FROM datasets d "
            "JOIN repositories r ON r.id = d.repository_id WHERE d.id = ?",
            (dataset_id,),
        )

    def delete_dataset(self, dataset_id: int) -> None:
        with self.transaction() as conn:
            for table in ("columns", "processes", "connector_runs", "series"):
                conn.execute(f"DELETE FROM {table} WHERE dataset_id = ?", (dataset_id,))  # noqa: S608
            conn.execute("DELETE FROM datasets WHERE id = ?", (dataset_id,))
            conn.execute(f"DROP TABLE IF EXISTS {data_table(dataset_id)}")

    def touch_dataset(self, conn: sqlite3.Connection, dataset_id: int) -> None:
        conn.execute("UPDATE datasets SET updated_at = ? WHERE id = ?", (now_iso(), dataset_id))

    def columns(self, dataset_id: int) -> list[Column]:
        with self._read_lock:
            return load_columns(self._reader, dataset_id)

    # processes and connector runs ----------------------------------------------------

    def create_process(
        self, dataset_id: int, delete_missing: bool, on_conflict_update: bool, accept_new: bool
    ) -> sqlite3.Row:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO processes (dataset_id, status, delete_missing, on_conflict_update, "
                "accept_new_columns, created_at) VALUES (?, 'Requested', ?, ?, ?, ?)",
                (
                    dataset_id,
                    int(delete_missing),
                    int(on_conflict_update),
                    int(accept_new),
                    now_iso(),
                ),
            )
        row = self.one("SELECT * FROM processes WHERE id = ?", (cursor.lastrowid,))
        assert row is not None
        return row

    def create_run(self, dataset_id: int, execution_param: str | None) -> sqlite3.Row:
        with self.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO connector_runs (dataset_id, execution_param, status, "
                "status_description, created_at) VALUES (?, ?, 'Failed', ?, ?)",
                (dataset_id, execution_param, "The emulator runs no connectors.", now_iso()),
            )
        row = self.one("SELECT * FROM connector_runs WHERE id = ?", (cursor.lastrowid,))
        assert row is not None
        return row
