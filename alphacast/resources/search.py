"""``client.search``: dataset search on the workspace host."""

from __future__ import annotations

from typing import Any

from alphacast._auth import Host
from alphacast.resources._args import tested_flag
from alphacast.resources._base import Resource, has_list_of_objects, json_answer


class Search(Resource):
    """Search across Alphacast content the key's account can read."""

    def datasets(
        self,
        query: str,
        offset: int = 0,
        length: int = 10,
        repository_id: int | None = None,
        search_all: bool | int | str = False,
        exclude_deprecated: bool | int | str = False,
    ) -> dict[str, Any]:
        """Search datasets by keyword.

        Returns ``{"data": [...], "totalItems", "totalPages", "currentPage",
        "offset"}``. ``search_all=True`` adds every public dataset;
        ``exclude_deprecated=True`` omits deprecated ones.
        """
        params: list[tuple[str, str]] = [
            ("q", query),
            ("asset", "datasets"),
            ("offset", str(offset)),
            ("length", str(length)),
        ]
        if repository_id:
            params.append(("repositoryId", str(repository_id)))
        if tested_flag("search_all", search_all):
            params.append(("searchAllAlphacast", "true"))
        if tested_flag("exclude_deprecated", exclude_deprecated):
            params.append(("excludeDeprecated", "true"))
        response = self._transport.request("GET", "/api/search", host=Host.WORKSPACE, params=params)
        result: dict[str, Any] = json_answer(
            response, has_list_of_objects("data"), "a JSON object with a list of datasets in data"
        )
        return result
