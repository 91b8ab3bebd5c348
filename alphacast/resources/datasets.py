"""``client.datasets`` and ``client.datasets.dataset(id)``, as in alphacast 0.1.9."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, overload

from alphacast._transport import Transport
from alphacast.resources._args import column_names, sent_flag, tested_flag, values_of
from alphacast.resources._base import (
    Resource,
    has_list_of_objects,
    is_list_of_objects,
    is_object,
    json_answer,
    transport_for_key,
)
from alphacast.resources._download import Destination, download
from alphacast.resources._frame_csv import frame_csv_chunks
from alphacast.resources._upload import CsvSource
from alphacast.resources._upload_chunked import replayable
from alphacast.resources._upload_send import send_upload

#: ``upload_data_from_df`` writes the DataFrame as CSV this many cells at a time
#: (rows per chunk = cells / columns, at least one row), so a wide frame's chunk
#: takes no more memory than a narrow one's.
DF_CHUNK_CELLS = 200_000

_LIST = "the JSON list of datasets expected"


def _quote(value: object) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + str(value).replace("'", "''") + "'"


def _date_text(value: dt.date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _df_csv_chunks(df: Any, index: bool) -> Iterator[str | bytes]:
    """``df`` as CSV (header first), in chunks of about ``DF_CHUNK_CELLS`` cells
    (pyarrow's writer when installed, see ``_frame_csv``)."""
    columns = df.shape[1] + (df.index.nlevels if index else 0)
    rows = max(1, DF_CHUNK_CELLS // max(1, columns))
    yield from frame_csv_chunks(df, index, rows)


Columns = str | Iterable[str]


def build_manifest(
    dateColumnName: str | None,  # noqa: N803 - 0.1.9's argument names
    dateFormat: str | None,  # noqa: N803
    entitiesColumnNames: Columns | None,  # noqa: N803
    stringColumnNames: Columns | None,  # noqa: N803
) -> list[dict[str, Any]] | None:
    """The upload manifest 0.1.9 sends, or ``None`` when nothing is declared.

    A string names one column (0.1.9 made one column per character of it).
    """
    entitiesColumnNames = column_names("entitiesColumnNames", entitiesColumnNames)
    stringColumnNames = column_names("stringColumnNames", stringColumnNames)
    if not ((dateColumnName and dateFormat) or entitiesColumnNames or stringColumnNames):
        return None
    manifest: list[dict[str, Any]] = []
    if dateColumnName and dateFormat:
        manifest.append(
            {
                "sourceName": dateColumnName,
                "isEntity": True,
                "dataType": "Date",
                "dateFormat": dateFormat,
            }
        )
    manifest += [
        {"sourceName": c, "isEntity": True, "dataType": "String"} for c in entitiesColumnNames or ()
    ]
    manifest += [
        {"sourceName": c, "isEntity": False, "dataType": "String"} for c in stringColumnNames or ()
    ]
    return manifest


class Dataset(Resource):
    """One dataset: metadata, data, uploads and processes."""

    def __init__(self, transport: Transport, dataset_id: int) -> None:
        super().__init__(transport)
        self.dataset_id = dataset_id

    @property
    def _path(self) -> str:
        return f"/datasets/{self.dataset_id}"

    def __repr__(self) -> str:
        return f"<Dataset {self.dataset_id}>"

    def metadata(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get_json(self._path)
        return result

    def get_column_definitions(self) -> list[dict[str, Any]]:
        answer = self._get_json(
            f"{self._path}/columns",
            check=has_list_of_objects("columnDefinitions"),
            expected="a JSON object with a list in columnDefinitions",
        )
        result: list[dict[str, Any]] = answer["columnDefinitions"]
        return result

    def _filter(
        self,
        startDate: dt.date | str | None,  # noqa: N803
        endDate: dt.date | str | None,  # noqa: N803
        filterEntities: Mapping[str, object] | None,  # noqa: N803
    ) -> str | None:
        parts: list[str] = []
        if startDate or endDate:
            dates = [
                c["sourceName"]
                for c in self.get_column_definitions()
                if c.get("dataType") == "Date"
            ]
            if not dates:
                raise ValueError(f"dataset {self.dataset_id} has no Date column to filter on")
            column = _quote(dates[-1])
            if startDate:
                parts.append(f"{column} ge {_date_text(startDate)}")
            if endDate:
                parts.append(f"{column} le {_date_text(endDate)}")
        for entity, values in (filterEntities or {}).items():
            alternatives = " or ".join(
                f"{_quote(entity)} eq {_quote(v)}" for v in values_of(values)
            )
            parts.append(f"({alternatives})")
        return " and ".join(parts) if parts else None

    def download_data(
        self,
        format: str = "csv",  # noqa: A002 - 0.1.9's argument name
        startDate: dt.date | str | None = None,  # noqa: N803
        endDate: dt.date | str | None = None,  # noqa: N803
        filterVariables: Columns | None = None,  # noqa: N803
        filterEntities: Mapping[str, object] | None = None,  # noqa: N803
        *,
        path: Destination | None = None,
        progress: bool = False,
    ) -> Any:
        """The dataset's data.

        ``format``: ``csv``, ``tsv``, ``xlsx`` (bytes), ``json`` (list of dicts) or
        ``pandas`` (DataFrame). ``startDate``/``endDate`` bound the date column,
        ``filterVariables`` selects columns, ``filterEntities`` maps an entity
        column to the values to keep (a string is one column, or one value).
        With ``path`` (a path or a binary file) the data streams there in
        constant memory and ``path`` is returned.
        """
        params: list[tuple[str, str]] = []
        condition = self._filter(startDate, endDate, filterEntities)
        if condition:
            params.append(("$filter", condition))
        selected = column_names("filterVariables", filterVariables)
        if selected:
            params.append(("$select", ",".join(selected)))
        return download(self._transport, f"{self._path}/data", format, params, path, progress)

    def upload_data_from_df(
        self,
        df: Any,
        deleteMissingFromDB: bool | int | str = False,  # noqa: N803
        onConflictUpdateDB: bool | int | str = False,  # noqa: N803
        uploadIndex: bool | int | str = True,  # noqa: N803
        dateColumnName: str | None = None,  # noqa: N803
        dateFormat: str | None = None,  # noqa: N803
        entitiesColumnNames: Columns | None = None,  # noqa: N803
        stringColumnNames: Columns | None = None,  # noqa: N803
        acceptNewColumns: bool | int | str | None = None,  # noqa: N803
        *,
        progress: bool = False,
    ) -> bytes:
        """Upload a pandas DataFrame, written as CSV in row chunks (constant memory).

        Flags take ``True``/``False``, ``1``/``0`` or the strings ``"True"``/``"False"``
        with 0.1.9's meaning; an ambiguous value raises ValueError before anything
        is sent (see :doc:`/migration`).
        """
        index = tested_flag("uploadIndex", uploadIndex)
        if df.empty:
            raise ValueError("Dataframe is empty.")
        return self._upload(
            _df_csv_chunks(df, index),
            lambda: _df_csv_chunks(df, index),
            deleteMissingFromDB,
            onConflictUpdateDB,
            build_manifest(dateColumnName, dateFormat, entitiesColumnNames, stringColumnNames),
            acceptNewColumns,
            progress,
        )

    def upload_data_from_csv(
        self,
        csv: CsvSource,
        deleteMissingFromDB: bool | int | str = False,  # noqa: N803
        onConflictUpdateDB: bool | int | str = False,  # noqa: N803
        dateColumnName: str | None = None,  # noqa: N803
        dateFormat: str | None = None,  # noqa: N803
        entitiesColumnNames: Columns | None = None,  # noqa: N803
        stringColumnNames: Columns | None = None,  # noqa: N803
        acceptNewColumns: bool | int | str | None = None,  # noqa: N803
        *,
        progress: bool = False,
    ) -> bytes:
        """Upload CSV: text, bytes, a path, or a text/binary file object.

        The data is gzip-compressed as it is sent (chunked), or into a temporary
        file sent with a ``Content-Length`` when the server refuses chunked bodies or
        the source can be read only once (see ``Alphacast(chunked_uploads=...)``);
        memory stays constant either way. Returns the process record the service
        creates (as bytes, like 0.1.9). Follow it with :meth:`process`.
        """
        return self._upload(
            csv,
            replayable(csv),
            deleteMissingFromDB,
            onConflictUpdateDB,
            build_manifest(dateColumnName, dateFormat, entitiesColumnNames, stringColumnNames),
            acceptNewColumns,
            progress,
        )

    def _upload(
        self,
        source: CsvSource,
        reopen: Callable[[], CsvSource] | None,
        delete_missing: object,
        on_conflict_update: object,
        manifest: list[dict[str, Any]] | None,
        accept_new_columns: object,
        progress: bool,
    ) -> bytes:
        # Every flag is read (and may be refused) before any data is read or sent.
        params = [
            ("deleteMissingFromDB", str(sent_flag("deleteMissingFromDB", delete_missing))),
            ("onConflictUpdateDB", str(sent_flag("onConflictUpdateDB", on_conflict_update))),
        ]
        if sent_flag("acceptNewColumns", accept_new_columns, allow_none=True):
            params.append(("acceptNewColumns", "True"))
        return send_upload(
            self._transport, f"{self._path}/data", params, source, reopen, manifest, progress
        )

    def processes(self) -> bytes:
        """The dataset's upload processes (JSON list, as bytes like 0.1.9)."""
        return self._get_bytes(
            f"{self._path}/processes", is_list_of_objects, "the JSON list of processes expected"
        )

    def process(self, process_id: int) -> bytes:
        """One upload process (JSON object, as bytes like 0.1.9)."""
        return self._get_bytes(
            f"{self._path}/processes/{process_id}", is_object, "the JSON process expected"
        )

    def datestats(self) -> bytes:
        """Inferred frequency, first and last date (JSON, as bytes like 0.1.9)."""
        return self._get_bytes(f"{self._path}/date-stats")

    def delete(self) -> bytes:
        return self._transport.request("DELETE", self._path).content

    def initialize_columns(
        self,
        dateColumnName: str,  # noqa: N803
        entitiesColumnNames: Columns,  # noqa: N803
        dateFormat: str,  # noqa: N803
    ) -> bytes:
        """Declare the date and entity columns before the first upload.

        ``entitiesColumnNames`` is a list of names, or one name as a string.
        """
        body = {
            "dateColumnName": dateColumnName,
            "entitiesColumnNames": column_names("entitiesColumnNames", entitiesColumnNames) or [],
            "dateFormat": dateFormat,
        }
        path = f"{self._path}/columns/initializer"
        return self._transport.request("PUT", path, json_body=body).content

    def run_connector(self, executionParam: str) -> Any:  # noqa: N803
        response = self._transport.request(
            "POST", f"{self._path}/connector/runs", data={"executionParam": executionParam}
        )
        return json_answer(response)

    def get_connector_run(self, runId: int) -> bytes:  # noqa: N803
        return self._get_bytes(f"{self._path}/connector/runs/{runId}")


_Dataset = Dataset


class _DatasetAttribute:
    """``Datasets.Dataset``: the dataset class, as in 0.1.9.

    Read from a client's ``datasets`` it is 0.1.9's constructor,
    ``client.datasets.Dataset(dataset_id, api_key)``: the dataset on that client's
    hosts, sending ``api_key`` (the client's key when ``api_key`` is ``None``).
    """

    @overload
    def __get__(self, instance: None, owner: type[Datasets]) -> type[Dataset]: ...

    @overload
    def __get__(self, instance: Datasets, owner: type[Datasets]) -> Callable[..., Dataset]: ...

    def __get__(
        self, instance: Datasets | None, owner: type[Datasets]
    ) -> type[Dataset] | Callable[..., Dataset]:
        if instance is None:
            return Dataset
        return instance._dataset_with_key


class Datasets(Resource):
    """List, find and create datasets; ``dataset(id)`` for one."""

    Dataset = _DatasetAttribute()

    def read_all(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._get_json("/datasets", None, is_list_of_objects, _LIST)
        return result

    def read_by_name(self, dataset_name: str, repo_id: int | None = None) -> dict[str, Any] | None:
        """The dataset named ``dataset_name`` (in ``repo_id``), or ``None``."""
        params: dict[str, Any] = {"name": dataset_name}
        if repo_id is not None:
            params["repositoryId"] = repo_id
        matches = self._get_json("/datasets", params, is_list_of_objects, _LIST)
        return matches[0] if matches else None

    def create(
        self,
        dataset_name: str,
        repo_id: int,
        description: str = "",
        returnIdIfExists: bool | int | str = False,  # noqa: N803
    ) -> dict[str, Any]:
        """Create a dataset in repository ``repo_id`` and return it.

        If one with that name exists there: return it when ``returnIdIfExists``,
        else raise ValueError naming its id.
        """
        return_existing = tested_flag("returnIdIfExists", returnIdIfExists)
        existing = self.read_by_name(dataset_name, repo_id)
        if existing:
            if return_existing:
                return existing
            raise ValueError(f"Dataset already exists: {existing['id']}")
        form = {"name": dataset_name, "repositoryId": repo_id, "description": description}
        created: dict[str, Any] = json_answer(
            self._transport.request("POST", "/datasets", data=form),
            is_object,
            "the JSON object of the new dataset expected",
        )
        return created

    def dataset(self, dataset_id: int) -> _Dataset:
        return Dataset(self._transport, dataset_id)

    def _dataset_with_key(self, dataset_id: int, api_key: str | None = None) -> _Dataset:
        transport = self._transport
        if api_key is not None and api_key != self.api_key:
            transport = transport_for_key(transport, api_key, "datasets.Dataset(id, api_key)")
        return Dataset(transport, dataset_id)
