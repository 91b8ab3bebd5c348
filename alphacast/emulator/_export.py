"""Downloads: rows read from SQLite one by one and encoded as csv, tsv, JSON lines or
xlsx, in pieces of about 64 KB, so no download is ever built whole in memory."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Generator, Iterator
from typing import Any

from alphacast.emulator import _store as store
from alphacast.emulator._model import Column, HttpError, key_columns, render_date

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "json": "application/x-ndjson; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_PIECE = 64 * 1024


class Query:
    """A compiled download: which columns, which rows, in which order."""

    def __init__(
        self,
        db_path: str,
        table: str,
        columns: list[Column],
        where: str,
        params: list[Any],
    ) -> None:
        self.db_path = db_path
        self.columns = columns
        keys = key_columns(columns)
        order = ", ".join(c.internal for c in keys) or "rowid"
        names = ", ".join(c.internal for c in columns) or "NULL"
        self.sql = f"SELECT {names} FROM {table} WHERE {where} ORDER BY {order}"  # noqa: S608
        self.params = params
        self._date_index = next((i for i, c in enumerate(columns) if c.is_date), -1)
        self._exists = bool(columns)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """The rows, each with its date rendered as downloads show it."""
        if not self._exists:
            return
        conn = store.connect(self.db_path)
        try:
            try:
                cursor = conn.execute(self.sql, self.params)
            except sqlite3.OperationalError as exc:  # no data table yet
                if "no such table" in str(exc):
                    return
                raise
            index = self._date_index
            for row in cursor:
                values = tuple(row)
                if index >= 0 and values[index] is not None:
                    values = values[:index] + (render_date(values[index]),) + values[index + 1 :]
                yield values
        finally:
            conn.close()


def _delimited(query: Query, delimiter: str) -> Generator[bytes, None, None]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow([c.source_name for c in query.columns])
    for row in query.rows():
        writer.writerow(row)
        if buffer.tell() >= _PIECE:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def _json_lines(query: Query) -> Generator[bytes, None, None]:
    names = [c.source_name for c in query.columns]
    pieces: list[str] = []
    size = 0
    for row in query.rows():
        line = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False) + "\n"
        pieces.append(line)
        size += len(line)
        if size >= _PIECE:
            yield "".join(pieces).encode("utf-8")
            pieces, size = [], 0
    if pieces:
        yield "".join(pieces).encode("utf-8")


def xlsx_available() -> bool:
    try:
        import openpyxl  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


def _xlsx_file(query: Query, directory: str) -> str:
    """Write the workbook to a temporary file (openpyxl's write-only mode streams)."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([c.source_name for c in query.columns])
    for row in query.rows():
        sheet.append(list(row))
    handle, path = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    os.close(handle)
    workbook.save(path)
    return path


def encode(query: Query, fmt: str, directory: str) -> Generator[bytes, None, None] | str:
    """The body for ``fmt``: an iterator of pieces, or the path of a finished xlsx file."""
    if fmt == "csv":
        return _delimited(query, ",")
    if fmt == "tsv":
        return _delimited(query, "\t")
    if fmt == "json":
        return _json_lines(query)
    if fmt == "xlsx":
        if not xlsx_available():
            raise HttpError(
                400,
                "$format=xlsx needs openpyxl, which this emulator's Python lacks; "
                "install openpyxl or ask for csv, tsv or json.",
            )
        return _xlsx_file(query, directory)
    raise HttpError(400, f"$format must be one of csv, tsv, json, xlsx, not {fmt!r}")
