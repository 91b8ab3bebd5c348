"""``client.series(id)``: one series, as in alphacast 0.1.9."""

from __future__ import annotations

from typing import Any

from alphacast._transport import Transport
from alphacast.resources._base import Resource
from alphacast.resources._download import Destination, download


class Series(Resource):
    """Metadata and data of one series."""

    def __init__(self, transport: Transport, series_id: int) -> None:
        super().__init__(transport)
        self.series_id = series_id

    def metadata(self) -> dict[str, Any]:
        result: dict[str, Any] = self._get_json(f"/series/{self.series_id}")
        return result

    def download_data(
        self,
        format: str = "csv",  # noqa: A002 - 0.1.9's argument name
        *,
        path: Destination | None = None,
        progress: bool = False,
    ) -> Any:
        """The series' data.

        ``format``, ``path`` and ``progress`` work as in
        :meth:`Dataset.download_data <alphacast.resources.datasets.Dataset.download_data>`.
        """
        return download(
            self._transport, f"/series/{self.series_id}/data", format, [], path, progress
        )

    def __repr__(self) -> str:
        return f"<Series {self.series_id}>"
