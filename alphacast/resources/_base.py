"""What every resource class shares: a transport and JSON decoding."""

from __future__ import annotations

import json
from typing import Any

from alphacast.transport import Transport


class Resource:
    """Builds requests for one part of the API and shapes their results."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def _get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return json.loads(self._transport.request("GET", path, params=params).content)

    def _get_bytes(self, path: str) -> bytes:
        return self._transport.request("GET", path).content

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
