"""API routes for data: uploads, downloads, date statistics, series, and the workspace
host's search."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
import tempfile
from collections import Counter
from typing import IO, Any

from alphacast.emulator import _store as store
from alphacast.emulator._export import FORMATS, Query, encode
from alphacast.emulator._filters import compile_filter, select_columns
from alphacast.emulator._ingest import Job, parse_manifest
from alphacast.emulator._model import Column, HttpError, frequency_of, key_columns, render_date
from alphacast.emulator._multipart import MultipartError, MultipartReader, boundary_of
from alphacast.emulator._wire import Request, Response, flag, json_response

_MAX_MANIFEST = 1024 * 1024

# uploads -----------------------------------------------------------------------------


def _receive(req: Request, sink: IO[bytes]) -> tuple[str | None, bool]:
    """Spool the ``data`` field into ``sink``; the ``manifest`` text and whether a
    ``data`` field came. A body that is not multipart is taken as the data itself."""
    content_type = req.headers.get("Content-Type", "")
    if not content_type.lower().startswith("multipart/"):
        received = False
        while chunk := req.body.read():
            sink.write(chunk)
            received = True
        return None, received
    manifest: str | None = None
    received = False
    try:
        for part in MultipartReader(req.body.read, boundary_of(content_type)):
            if part.name == "data":
                for chunk in part.chunks():
                    sink.write(chunk)
                received = True
            elif part.name == "manifest":
                manifest = part.read_all(_MAX_MANIFEST).decode("utf-8", "replace")
    except MultipartError as exc:
        raise HttpError(400, f"The multipart body is malformed: {exc}") from None
    return manifest, received


def upload(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param(), write=True)
    delete_missing = flag(req.query, "deleteMissingFromDB")
    on_conflict = flag(req.query, "onConflictUpdateDB")
    accept_new = flag(req.query, "acceptNewColumns")
    handle, path = tempfile.mkstemp(prefix="upload-", suffix=".gz", dir=req.core.spool_dir)
    try:
        with os.fdopen(handle, "wb") as sink:
            manifest_text, received = _receive(req, sink)
        if not received:
            raise HttpError(400, "The upload needs a file field named 'data'.")
        try:
            manifest = parse_manifest(manifest_text) if manifest_text else None
        except ValueError as exc:
            raise HttpError(400, f"The manifest is not valid: {exc}") from None
        process = req.core.store.create_process(row["id"], delete_missing, on_conflict, accept_new)
    except BaseException:
        os.unlink(path)
        raise
    req.core.worker.submit(
        Job(process["id"], row["id"], path, manifest, delete_missing, on_conflict, accept_new)
    )
    return json_response(
        {
            "id": process["id"],
            "status": process["status"],
            "createdAt": process["created_at"],
            "datasetId": row["id"],
        }
    )


# downloads ---------------------------------------------------------------------------


def _send(
    req: Request, columns: list[Column], table: str, where: str, params: list[Any]
) -> Response:
    fmt = req.query.get("$format", "csv").strip().lower() or "csv"
    query = Query(req.core.db_path, table, columns, where, params)
    body = encode(query, fmt, req.core.spool_dir)
    return Response(200, body, FORMATS[fmt])


def download(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    columns = req.core.store.columns(row["id"])
    shown = select_columns(req.query.get("$select"), columns)
    where, params = compile_filter(req.query.get("$filter", ""), columns)
    return _send(req, shown, store.data_table(row["id"]), where, params)


def date_stats(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    dates = [c for c in req.core.store.columns(row["id"]) if c.is_date]
    first = last = previous = None
    gaps: Counter[int] = Counter()
    count = 0
    if dates:
        conn = store.connect(req.core.db_path)
        try:
            name, table = dates[0].internal, store.data_table(row["id"])
            for (value,) in conn.execute(f"SELECT DISTINCT {name} FROM {table} ORDER BY {name}"):  # noqa: S608
                current = dt.datetime.fromisoformat(value)
                if previous is not None:
                    gaps[(current - previous).days] += 1
                first = first or value
                last, previous, count = value, current, count + 1
        except sqlite3.OperationalError:
            pass  # no rows yet
        finally:
            conn.close()
    return json_response(
        {
            "datasetId": row["id"],
            "frequency": frequency_of(dict(gaps)),
            "firstDate": render_date(first) if first else None,
            "lastDate": render_date(last) if last else None,
            "numberOfDates": count,
        }
    )


# series ------------------------------------------------------------------------------


def _series(req: Request) -> tuple[dict[str, Any], list[Column], str, list[Any]]:
    """The series' metadata, the columns its data shows, and the SQL that picks it."""
    series = req.core.store.one("SELECT * FROM series WHERE id = ?", (req.param(),))
    if series is None:
        raise HttpError(404, f"Series {req.param()} not found.")
    dataset = req.core.dataset(req.account, series["dataset_id"])
    columns = req.core.store.columns(dataset["id"])
    keys = key_columns(columns)
    value = next(c for c in columns if c.source_name == series["column_name"])
    entities = json.loads(series["entity_key"])
    tests = [*(f"{c.internal} = ?" for c in keys[1:]), f"{value.internal} IS NOT NULL"]
    where = " AND ".join(tests)
    label = ", ".join(str(e) for e in entities)
    meta = {
        "id": series["id"],
        "datasetId": dataset["id"],
        "repositoryId": dataset["repository_id"],
        "name": f"{dataset['name']} - {value.source_name}" + (f" - {label}" if label else ""),
        "column": value.source_name,
        "entities": {c.source_name: e for c, e in zip(keys[1:], entities, strict=False)},
    }
    return meta, [*keys, value], where, entities


def series_metadata(req: Request) -> Response:
    meta, columns, where, params = _series(req)
    date = columns[0].internal
    table = store.data_table(meta["datasetId"])
    stats = req.core.store.one(
        f"SELECT min({date}), max({date}), count(*) FROM {table} WHERE {where}",  # noqa: S608
        tuple(params),
    )
    assert stats is not None
    meta.update(
        firstDate=render_date(stats[0]) if stats[0] else None,
        lastDate=render_date(stats[1]) if stats[1] else None,
        numberOfValues=stats[2],
    )
    return json_response(meta)


def series_data(req: Request) -> Response:
    meta, columns, where, params = _series(req)
    return _send(req, columns, store.data_table(meta["datasetId"]), where, params)


# search (workspace host) ---------------------------------------------------------------


def _bounded(query: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(query.get(name, default))
    except ValueError:
        raise HttpError(400, f"{name} must be a number.") from None
    if not low <= value <= high:
        raise HttpError(400, f"{name} must be between {low} and {high}.")
    return value


def search(req: Request) -> Response:
    asset = req.query.get("asset", "datasets")
    if asset != "datasets":
        raise HttpError(400, "The emulator searches datasets only (asset=datasets).")
    offset = _bounded(req.query, "offset", 0, 0, 10**9)
    length = _bounded(req.query, "length", 10, 1, 1000)
    visible = "r.account = ?"
    if flag(req.query, "searchAllAlphacast"):
        visible += " OR r.privacy = 'Public'"
    where, params = [f"({visible})"], [req.account]
    if req.query.get("repositoryId"):
        where.append("d.repository_id = ?")
        params.append(str(_bounded(req.query, "repositoryId", 0, 0, 2**62)))
    if flag(req.query, "excludeDeprecated"):
        where.append("d.deprecated = 0")
    text = req.query.get("q", "").lower()
    for token in text.split():
        escaped = token.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("lower(d.name || ' ' || d.description || ' ' || r.name) LIKE ? ESCAPE '\\'")
        params.append(f"%{escaped}%")
    base = (
        "FROM datasets d JOIN repositories r ON r.id = d.repository_id WHERE "  # noqa: S608
        + " AND ".join(where)
    )
    total_row = req.core.store.one(f"SELECT count(*) {base}", tuple(params))  # noqa: S608
    total = int(total_row[0]) if total_row else 0
    rows = req.core.store.query(
        f"SELECT d.*, r.account, r.privacy, r.name AS repository_name {base} "  # noqa: S608
        "ORDER BY lower(d.name) = ? DESC, d.id LIMIT ? OFFSET ?",
        (*params, text.strip(), length, offset),
    )
    data = []
    for row in rows:
        item = store.dataset_json(row, row["account"] == req.account)
        item["repositoryName"] = row["repository_name"]
        data.append(item)
    return json_response(
        {
            "data": data,
            "totalItems": total,
            "totalPages": math.ceil(total / length),
            "currentPage": offset // length + 1,
            "offset": offset,
        }
    )
