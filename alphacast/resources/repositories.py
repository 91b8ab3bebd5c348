"""``client.repository``: repositories, as in alphacast 0.1.9."""

from __future__ import annotations

from typing import Any

from alphacast.resources._args import tested_flag
from alphacast.resources._base import Resource, is_list_of_objects, is_object, json_answer

_LIST = "the JSON list of repositories expected"


class Repository(Resource):
    """Read, create and delete repositories."""

    def read_all(self) -> list[dict[str, Any]]:
        """Every repository the key's account can read."""
        result: list[dict[str, Any]] = self._get_json(
            "/repositories", None, is_list_of_objects, _LIST
        )
        return result

    def read_by_id(self, repository_id: int) -> dict[str, Any]:
        """One repository; raises NotFoundError or PermissionDeniedError."""
        result: dict[str, Any] = self._get_json(f"/repositories/{repository_id}")
        return result

    def read_by_name(self, repo_name: str) -> dict[str, Any] | None:
        """The repository named ``repo_name``, or ``None`` (0.1.9 returned False)."""
        matches = self._get_json("/repositories", {"name": repo_name}, is_list_of_objects, _LIST)
        return matches[0] if matches else None

    def delete(self, repository_id: int) -> bytes:
        """Delete a repository; returns the response body."""
        return self._transport.request("DELETE", f"/repositories/{repository_id}").content

    def create(
        self,
        repo_name: str,
        repo_description: str | None = None,
        privacy: str = "Private",
        slug: str | None = None,
        returnIdIfExists: bool | int | str = False,  # noqa: N803 - 0.1.9's argument name
    ) -> dict[str, Any]:
        """Create a repository and return it.

        If one with that name exists: return it when ``returnIdIfExists``, else
        raise ValueError naming its id.
        """
        return_existing = tested_flag("returnIdIfExists", returnIdIfExists)
        slug = slug or repo_name.lower().replace(" ", "-")
        repo_description = repo_description or repo_name
        existing = self.read_by_name(repo_name)
        if existing:
            if return_existing:
                return existing
            raise ValueError(f"Repository already exists: {existing['id']}")
        form = {
            "name": repo_name,
            "description": repo_description,
            "privacy": privacy,
            "slug": slug,
        }
        response = self._transport.request("POST", "/repositories", data=form)
        created: dict[str, Any] = json_answer(
            response, is_object, "the JSON object of the new repository expected"
        )
        return created
