"""Upload processing: one background thread takes spooled uploads in order, reads the
gzip CSV incrementally into a temporary staging table, then merges it into the
dataset's rows in one transaction and records the outcome on the process."""

from __future__ import annotations

import csv
import gzip
import io
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from alphacast.emulator import _store as store
from alphacast.emulator._model import (
    DATE,
    NUMBER,
    STRING,
    Column,
    DateParser,
    IngestError,
    key_columns,
    now_iso,
    value_columns,
)

log = logging.getLogger("alphacast.emulator")
_BATCH = 5000


@dataclass(frozen=True)
class Job:
    process_id: int
    dataset_id: int
    path: str
    manifest: list[dict[str, Any]] | None
    delete_missing: bool
    on_conflict_update: bool
    accept_new_columns: bool


class Worker:
    """Processes uploads one at a time on its own thread and connection."""

    def __init__(self, db_path: str) -> None:
        self._db_path = db_path
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._thread = threading.Thread(
            target=self._run, name="alphacast-emulator-ingest", daemon=True
        )
        self._stopping = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._queue.put(job)

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join()
        while True:  # uploads never processed: remove their spooled files
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                break
            if job is not None:
                _remove(job.path)

    def _run(self) -> None:
        conn = store.connect(self._db_path)
        try:
            while (job := self._queue.get()) is not None:
                try:
                    self._process(conn, job)
                finally:
                    _remove(job.path)
        finally:
            conn.close()

    def _process(self, conn: sqlite3.Connection, job: Job) -> None:
        _set_status(conn, job.process_id, "Processing", None)
        try:
            description = apply_upload(conn, job, self._stopping.is_set)
        except IngestError as exc:
            _set_status(conn, job.process_id, "Failed", str(exc))
        except Exception as exc:
            log.exception("upload process %s failed", job.process_id)
            _set_status(conn, job.process_id, "Failed", f"Internal emulator error: {exc}")
        else:
            _set_status(conn, job.process_id, "Processed", description)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _set_status(conn: sqlite3.Connection, process_id: int, status: str, text: str | None) -> None:
    done = now_iso() if status in ("Processed", "Failed") else None
    conn.execute(
        "UPDATE processes SET status = ?, status_description = ?, processed_at = ? WHERE id = ?",
        (status, text, done, process_id),
    )


def _open_csv(path: str) -> IO[str]:
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    if gzipped:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115


def _from_manifest(manifest: list[dict[str, Any]], existing: list[Column]) -> list[Column]:
    """The definitions after applying an upload's manifest to ``existing``."""
    by_name = {c.source_name: c for c in existing}
    position = max((c.position for c in existing), default=-1)
    for entry in manifest:
        name = str(entry.get("sourceName", ""))
        kind = str(entry.get("dataType") or STRING)
        if not name or kind not in (DATE, STRING, NUMBER):
            raise IngestError(f"Manifest entry {entry!r} needs a sourceName and a dataType.")
        old = by_name.get(name)
        if old is None:
            position += 1
        is_entity = bool(entry.get("isEntity")) and kind != DATE
        by_name[name] = Column(
            old.position if old else position,
            name,
            kind,
            is_entity,
            entry.get("dateFormat") if kind == DATE else None,
        )
    dates = [c for c in by_name.values() if c.is_date]
    if len(dates) > 1:  # the manifest's date column replaces an earlier one
        newest = [n for n in (str(e.get("sourceName")) for e in manifest) if by_name[n].is_date]
        for column in dates:
            if column.source_name not in newest[-1:]:
                by_name[column.source_name] = Column(
                    column.position, column.source_name, NUMBER, False
                )
    return sorted(by_name.values(), key=lambda c: c.position)


def _plan(job: Job, header: list[str], existing: list[Column]) -> list[Column]:
    """The dataset's definitions once this upload's header is taken into account."""
    columns = _from_manifest(job.manifest, existing) if job.manifest else list(existing)
    if not any(c.is_date for c in columns):
        guess = [name for name in header if name.strip().lower() == "date"]
        if not guess:
            raise IngestError(
                "No date column: initialize the dataset's columns or send a manifest."
            )
        columns = _from_manifest([{"sourceName": guess[0], "dataType": DATE}], columns)
    known = {c.source_name for c in columns}
    new = [name for name in header if name and name not in known]
    if new and value_columns(existing) and not job.accept_new_columns:
        raise IngestError(
            f"The upload has columns the dataset lacks ({', '.join(new[:5])}); "
            "upload with acceptNewColumns=True to add them."
        )
    position = max((c.position for c in columns), default=-1)
    for offset, name in enumerate(dict.fromkeys(new), start=1):
        columns.append(Column(position + offset, name, NUMBER, False))
    missing = [c.source_name for c in key_columns(columns) if c.source_name not in header]
    if missing:
        raise IngestError(f"The upload lacks the key column(s) {', '.join(missing)}.")
    return columns


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return text
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _dates(parse: DateParser) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        return parse(text) if text else None

    return convert


def _converters(columns: list[Column]) -> list[Callable[[str], Any]]:
    result: list[Callable[[str], Any]] = []
    for column in columns:
        if column.is_date:
            result.append(_dates(DateParser(column.date_format)))
        elif column.is_entity:
            result.append(str)
        elif column.data_type == STRING:
            result.append(lambda text: text or None)
        else:
            result.append(lambda text: _number(text) if text else None)
    return result


def _batches(
    reader: Iterator[list[str]],
    indexes: list[int],
    convert: list[Callable[[str], Any]],
    stopping: Callable[[], bool],
) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    width = max(indexes) + 1
    line = 1
    for line, row in enumerate(reader, start=2):
        if len(row) < width:
            if not any(row):
                continue
            row = row + [""] * (width - len(row))
        try:
            batch.append(tuple(f(row[i]) for f, i in zip(convert, indexes, strict=True)))
        except ValueError as exc:
            raise IngestError(f"Line {line}: {exc}") from None
        if batch[-1][0] is None:
            raise IngestError(f"Line {line}: the date is empty.")
        if len(batch) >= _BATCH:
            if stopping():
                raise IngestError("The emulator stopped while processing this upload.")
            yield batch
            batch = []
    if batch:
        yield batch


def apply_upload(conn: sqlite3.Connection, job: Job, stopping: Callable[[], bool]) -> str:
    """Apply one upload; the process description on success."""
    try:
        text = _open_csv(job.path)
    except OSError as exc:
        raise IngestError(f"Cannot read the upload: {exc}") from None
    with text:
        try:
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None:
                raise IngestError("The uploaded CSV is empty.")
            return _merge(conn, job, reader, header, stopping)
        except (OSError, EOFError, UnicodeDecodeError, csv.Error, gzip.BadGzipFile) as exc:
            raise IngestError(f"The upload is not a readable gzip CSV: {exc}") from None


def _merge(
    conn: sqlite3.Connection,
    job: Job,
    reader: Iterator[list[str]],
    header: list[str],
    stopping: Callable[[], bool],
) -> str:
    existing = store.load_columns(conn, job.dataset_id)
    columns = _plan(job, header, existing)
    conn.execute("BEGIN IMMEDIATE")
    try:
        store.save_columns(conn, job.dataset_id, columns)
    except ValueError as exc:
        conn.execute("ROLLBACK")
        raise IngestError(str(exc)) from None
    conn.execute("COMMIT")
    by_name = {c.source_name: c for c in columns}
    keys = key_columns(columns)
    present = keys + [
        by_name[n] for n in dict.fromkeys(header) if n in by_name and not by_name[n].is_key
    ]
    indexes = [header.index(c.source_name) for c in present]
    names = [c.internal for c in present]
    stage = f"temp.stage_{job.process_id}"
    conn.execute(f"CREATE TABLE {stage} ({', '.join(names)})")
    try:
        insert = f"INSERT INTO {stage} VALUES ({', '.join('?' * len(names))})"  # noqa: S608
        for batch in _batches(reader, indexes, _converters(present), stopping):
            conn.execute("BEGIN")
            conn.executemany(insert, batch)
            conn.execute("COMMIT")
        key_sql = ", ".join(c.internal for c in keys)
        conn.execute(f"CREATE INDEX {stage}_key ON stage_{job.process_id} ({key_sql})")
        return _apply(conn, job, stage, keys, present[len(keys) :])
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {stage}")


def _apply(
    conn: sqlite3.Connection, job: Job, stage: str, keys: list[Column], values: list[Column]
) -> str:
    table = store.data_table(job.dataset_id)
    match = " AND ".join(f"d.{c.internal} = s.{c.internal}" for c in keys)
    fresh = " + ".join(f"(s.{c.internal} IS NOT NULL)" for c in values) or "0"
    filled = (
        " + ".join(f"(d.{c.internal} IS NULL AND s.{c.internal} IS NOT NULL)" for c in values)
        or "0"
    )
    changed = (
        " + ".join(
            f"(d.{c.internal} IS NOT NULL AND s.{c.internal} IS NOT NULL "
            f"AND d.{c.internal} IS NOT s.{c.internal})"
            for c in values
        )
        or "0"
    )
    conn.execute("BEGIN IMMEDIATE")
    try:
        deleted = 0
        if job.delete_missing:
            deleted = conn.execute(
                f"DELETE FROM {table} AS d WHERE NOT EXISTS "  # noqa: S608
                f"(SELECT 1 FROM {stage} AS s WHERE {match})"
            ).rowcount
        counts = conn.execute(
            f"SELECT total(CASE WHEN d.rowid IS NULL THEN {fresh} ELSE {filled} END), "  # noqa: S608
            f"total(CASE WHEN d.rowid IS NULL THEN 0 ELSE {changed} END) "
            f"FROM {stage} AS s LEFT JOIN {table} AS d ON {match}"
        ).fetchone()
        added, updated = int(counts[0]), int(counts[1]) if job.on_conflict_update else 0
        names = ", ".join(c.internal for c in keys + values)
        key_sql = ", ".join(c.internal for c in keys)
        if values:
            pick = "excluded.{0}, {0}" if job.on_conflict_update else "{0}, excluded.{0}"
            sets = ", ".join(f"{c.internal} = coalesce({pick.format(c.internal)})" for c in values)
            action = f"DO UPDATE SET {sets}"
        else:
            action = "DO NOTHING"
        conn.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} WHERE true "  # noqa: S608
            f"ORDER BY rowid ON CONFLICT ({key_sql}) {action}"
        )
        _register_series(conn, job.dataset_id, keys, store.load_columns(conn, job.dataset_id))
        conn.execute("UPDATE datasets SET updated_at = ? WHERE id = ?", (now_iso(), job.dataset_id))
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    description = f"{added} values added to database."
    if updated:
        description += f" {updated} values updated."
    if deleted:
        description += f" {deleted} rows deleted."
    return description


def _register_series(
    conn: sqlite3.Connection, dataset_id: int, keys: list[Column], columns: list[Column]
) -> None:
    """Give an id to every (value column, entity combination) the dataset now holds."""
    values = value_columns(columns)
    if not values:
        return
    entities = ", ".join(c.internal for c in keys[1:])
    combos = f"json_array({entities})"
    names = " UNION ALL ".join("SELECT ? AS name" for _ in values)
    conn.execute(
        "INSERT OR IGNORE INTO series (dataset_id, column_name, entity_key) "  # noqa: S608
        f"SELECT ?, v.name, e.k FROM (SELECT DISTINCT {combos} AS k "
        f"FROM {store.data_table(dataset_id)}) AS e CROSS JOIN ({names}) AS v "
        "ORDER BY e.k, v.name",
        (dataset_id, *[c.source_name for c in values]),
    )


def parse_manifest(text: str) -> list[dict[str, Any]]:
    """The ``manifest`` form field; raises ``ValueError`` when it is not a JSON list."""
    manifest = json.loads(text)
    if not isinstance(manifest, list) or not all(isinstance(e, dict) for e in manifest):
        raise ValueError("manifest must be a JSON list of column definitions")
    return manifest
