"""The routing tables of both hosts: method, path pattern, route function."""

from __future__ import annotations

import re
from collections.abc import Callable

from alphacast.emulator import _api_data as api_data
from alphacast.emulator import _api_meta as api_meta
from alphacast.emulator._model import HttpError
from alphacast.emulator._wire import Request, Response

Route = tuple[str, re.Pattern[str], Callable[[Request], Response]]


def _table(*routes: tuple[str, str, Callable[[Request], Response]]) -> list[Route]:
    return [
        # ASCII digits only: \d would take other scripts' digits, which int() reads.
        (method, re.compile(pattern.replace("{id}", r"([0-9]+)")), func)
        for method, pattern, func in routes
    ]


API: list[Route] = _table(
    ("GET", "/repositories", api_meta.list_repositories),
    ("POST", "/repositories", api_meta.create_repository),
    ("GET", "/repositories/{id}", api_meta.get_repository),
    ("DELETE", "/repositories/{id}", api_meta.delete_repository),
    ("GET", "/datasets", api_meta.list_datasets),
    ("POST", "/datasets", api_meta.create_dataset),
    ("GET", "/datasets/{id}", api_meta.get_dataset),
    ("DELETE", "/datasets/{id}", api_meta.delete_dataset),
    ("GET", "/datasets/{id}/columns", api_meta.get_columns),
    ("PUT", "/datasets/{id}/columns/initializer", api_meta.initialize_columns),
    ("POST", "/datasets/{id}/columns/initializer", api_meta.initialize_columns),
    ("GET", "/datasets/{id}/processes", api_meta.list_processes),
    ("GET", "/datasets/{id}/processes/{id}", api_meta.get_process),
    ("POST", "/datasets/{id}/connector/runs", api_meta.run_connector),
    ("GET", "/datasets/{id}/connector/runs/{id}", api_meta.get_connector_run),
    ("PUT", "/datasets/{id}/data", api_data.upload),
    ("POST", "/datasets/{id}/data", api_data.upload),
    ("GET", "/datasets/{id}/data", api_data.download),
    ("GET", "/datasets/{id}/date-stats", api_data.date_stats),
    ("GET", "/series/{id}", api_data.series_metadata),
    ("GET", "/series/{id}/data", api_data.series_data),
)

WORKSPACE: list[Route] = _table(("GET", "/api/search", api_data.search))


def dispatch(routes: list[Route], req: Request) -> Response:
    """Call the route for ``req``; ``HttpError`` 404 or 405 when there is none."""
    allowed: list[str] = []
    for method, pattern, func in routes:
        match = pattern.fullmatch(req.path)
        if match is None:
            continue
        if method == req.method:
            req.params = match.groups()
            return func(req)
        allowed.append(method)
    if allowed:
        raise HttpError(405, f"{req.method} is not allowed here.", {"Allow": ", ".join(allowed)})
    raise HttpError(404, f"No such endpoint: {req.method} {req.path}")
