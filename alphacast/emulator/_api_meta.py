"""API routes for metadata: repositories, datasets, column definitions, processes and
connector runs."""

from __future__ import annotations

import json
from typing import Any

from alphacast.emulator import _store as store
from alphacast.emulator._model import DATE, MAX_ID, STRING, Column, HttpError, now_iso
from alphacast.emulator._wire import Request, Response, json_response

_PRIVACY = {"private": "Private", "public": "Public"}


def _text(form: dict[str, Any], name: str, default: str | None = None) -> str:
    value = form.get(name, default)
    if value is None or (isinstance(value, str) and not value.strip() and default is None):
        raise HttpError(400, f"{name} is required.")
    return str(value)


def _int(value: Any, name: str) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise HttpError(400, f"{name} must be a number.") from None


# repositories ------------------------------------------------------------------------


def list_repositories(req: Request) -> Response:
    sql, params = "SELECT * FROM repositories WHERE account = ?", [req.account]
    if "name" in req.query:
        sql, params = sql + " AND name = ?", [*params, req.query["name"]]
    rows = req.core.store.query(sql + " ORDER BY id", tuple(params))
    return json_response([store.repository_json(r) for r in rows])


def create_repository(req: Request) -> Response:
    form = req.form()
    name = _text(form, "name").strip()
    privacy = _PRIVACY.get(str(form.get("privacy") or "Private").lower())
    if privacy is None:
        raise HttpError(400, "privacy must be Private or Public.")
    slug = str(form.get("slug") or name.lower().replace(" ", "-"))
    description = str(form.get("description") or "")
    row = req.core.store.create_repository(req.account, name, description, privacy, slug)
    return json_response(store.repository_json(row))


def get_repository(req: Request) -> Response:
    return json_response(store.repository_json(req.core.repository(req.account, req.param())))


def delete_repository(req: Request) -> Response:
    row = req.core.repository(req.account, req.param(), write=True)
    req.core.store.delete_repository(row["id"])
    return json_response({"id": row["id"], "message": "Repository deleted."})


# datasets ----------------------------------------------------------------------------


def list_datasets(req: Request) -> Response:
    sql = (
        "SELECT d.*, r.account, r.privacy FROM datasets d "
        "JOIN repositories r ON r.id = d.repository_id WHERE "
    )
    params: list[Any] = []
    if "repositoryId" in req.query:
        repository_id = _int(req.query["repositoryId"], "repositoryId")
        if abs(repository_id) > MAX_ID:  # no repository has it
            return json_response([])
        sql += "d.repository_id = ? AND (r.account = ? OR r.privacy = 'Public')"
        params += [repository_id, req.account]
    else:
        sql += "r.account = ?"
        params.append(req.account)
    if "name" in req.query:
        sql += " AND d.name = ?"
        params.append(req.query["name"])
    rows = req.core.store.query(sql + " ORDER BY d.id", tuple(params))
    return json_response([store.dataset_json(r, r["account"] == req.account) for r in rows])


def create_dataset(req: Request) -> Response:
    form = req.form()
    name = _text(form, "name").strip()
    repository = req.core.repository(
        req.account, _int(_text(form, "repositoryId"), "repositoryId"), write=True
    )
    description = str(form.get("description") or "")
    row = req.core.store.create_dataset(repository["id"], name, description)
    return json_response(store.dataset_json(row, True))


def get_dataset(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    return json_response(store.dataset_json(row, row["account"] == req.account))


def delete_dataset(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param(), write=True)
    req.core.store.delete_dataset(row["id"])
    return json_response({"id": row["id"], "message": "Dataset deleted."})


# columns -----------------------------------------------------------------------------


def get_columns(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    columns = req.core.store.columns(row["id"])
    return json_response({"id": row["id"], "columnDefinitions": [c.as_json() for c in columns]})


def _initialized(
    old: list[Column], date: str, entities: list[str], fmt: str | None
) -> list[Column]:
    """``old`` with ``date`` as the date column and ``entities`` as the entity columns;
    former key columns no longer named become String value columns."""
    by_name = {c.source_name: c for c in old}
    position = max((c.position for c in old), default=-1)
    result: dict[str, Column] = {}
    for c in old:
        demoted = c.is_key and c.source_name != date and c.source_name not in entities
        result[c.source_name] = Column(c.position, c.source_name, STRING, False) if demoted else c
    for name in [date, *entities]:
        existing = by_name.get(name)
        if existing is None:
            position += 1
        number = existing.position if existing else position
        if name == date:
            result[name] = Column(number, name, DATE, False, fmt)
        else:
            result[name] = Column(number, name, STRING, True)
    return sorted(result.values(), key=lambda c: c.position)


def initialize_columns(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param(), write=True)
    form = req.form()
    date = _text(form, "dateColumnName").strip()
    entities = form.get("entitiesColumnNames") or []
    if isinstance(entities, str):
        entities = [e.strip() for e in entities.split(",") if e.strip()]
    if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
        raise HttpError(400, "entitiesColumnNames must be a list of column names.")
    if date in entities or len(set(entities)) != len(entities):
        raise HttpError(400, "The date and entity columns must be distinct.")
    fmt = form.get("dateFormat") or None
    with req.core.store.transaction() as conn:
        columns = _initialized(
            store.load_columns(conn, row["id"]), date, entities, str(fmt) if fmt else None
        )
        try:
            store.save_columns(conn, row["id"], columns)
        except ValueError as exc:
            raise HttpError(409, str(exc)) from None
        req.core.store.touch_dataset(conn, row["id"])
    return json_response(
        {
            "id": row["id"],
            "columnDefinitions": [c.as_json() for c in columns],
            "updateAt": now_iso(),
        }
    )


# processes and connector runs ----------------------------------------------------------


def list_processes(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    rows = req.core.store.query(
        "SELECT * FROM processes WHERE dataset_id = ? ORDER BY id", (row["id"],)
    )
    return json_response([store.process_json(r) for r in rows])


def get_process(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    process = req.core.store.one(
        "SELECT * FROM processes WHERE dataset_id = ? AND id = ?", (row["id"], req.param(1))
    )
    if process is None:
        raise HttpError(404, f"Process {req.param(1)} not found.")
    return json_response(store.process_json(process))


def _run_json(row: Any, status: str | None = None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "datasetId": row["dataset_id"],
        "executionParam": row["execution_param"],
        "status": status or row["status"],
        "statusDescription": None if status else row["status_description"],
        "createdAt": row["created_at"],
    }


def run_connector(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param(), write=True)
    form = req.form()
    param = form.get("executionParam")
    if param is not None and not isinstance(param, str):
        param = json.dumps(param)
    run = req.core.store.create_run(row["id"], param)
    return json_response(_run_json(run, status="Requested"))


def get_connector_run(req: Request) -> Response:
    row = req.core.dataset(req.account, req.param())
    run = req.core.store.one(
        "SELECT * FROM connector_runs WHERE dataset_id = ? AND id = ?", (row["id"], req.param(1))
    )
    if run is None:
        raise HttpError(404, f"Connector run {req.param(1)} not found.")
    return json_response(_run_json(run))
