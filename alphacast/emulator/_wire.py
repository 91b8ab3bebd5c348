"""What routes see of HTTP: the request (with a streaming body reader) and the response
they return. Kept apart from the socket handling so routes stay plain functions."""

from __future__ import annotations

import io
import json
from collections.abc import Generator
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from alphacast.emulator._model import MAX_ID, HttpError

if TYPE_CHECKING:
    from alphacast.emulator._core import Core

_MAX_FORM = 4 * 1024 * 1024


class BodyReader:
    """The request body, read on demand: by Content-Length or chunk by chunk."""

    def __init__(self, rfile: io.BufferedIOBase, headers: Message) -> None:
        self._rfile = rfile
        self.chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()
        self._remaining = 0
        self.done = False
        if self.chunked:
            return
        length = headers.get("Content-Length")
        try:
            self._remaining = int(length) if length else 0
        except ValueError:
            raise HttpError(400, "Content-Length is not a number") from None
        if self._remaining < 0:
            raise HttpError(400, "Content-Length is negative")
        self.done = self._remaining == 0

    def _line(self) -> bytes:
        line = self._rfile.readline(1024)
        if not line.endswith(b"\n"):
            raise ConnectionError("the chunked request body was cut short")
        return line

    def _next_chunk(self) -> None:
        size_text = self._line().split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ConnectionError("bad chunk size in a chunked request body") from None
        if size == 0:
            while self._line() not in (b"\r\n", b"\n"):  # trailers
                pass
            self.done = True
        self._remaining = size

    def read(self, size: int = 65536) -> bytes:
        """Up to ``size`` bytes; ``b""`` once the body is finished."""
        if self.done:
            return b""
        if self.chunked and self._remaining == 0:
            self._next_chunk()
            if self.done:
                return b""
        data = self._rfile.read(min(size, self._remaining))
        if not data:
            raise ConnectionError("the request body was cut short")
        self._remaining -= len(data)
        if self._remaining == 0:
            if self.chunked:
                self._line()  # the CRLF after each chunk
            else:
                self.done = True
        return data

    def read_all(self, limit: int = _MAX_FORM) -> bytes:
        data = bytearray()
        while chunk := self.read():
            data += chunk
            if len(data) > limit:
                raise HttpError(413, f"The request body is larger than {limit} bytes.")
        return bytes(data)

    def drain(self, limit: int) -> bool:
        """Read and discard up to ``limit`` bytes; True when the body is finished."""
        seen = 0
        while not self.done and seen <= limit:
            seen += len(self.read())
        return self.done


@dataclass
class Request:
    """One authenticated request as a route sees it."""

    core: Core
    method: str
    path: str
    query: dict[str, str]
    headers: Message
    body: BodyReader
    account: str
    params: tuple[str, ...] = ()

    def param(self, index: int = 0) -> int:
        """The ``index``-th id of the path; ``HttpError`` 404 when no row can have it
        (beyond SQLite's 64-bit integers)."""
        text = self.params[index].lstrip("0") or "0"
        # Compared as text: int() refuses over 4300 digits (ValueError, a 500).
        if len(text) > len(str(MAX_ID)) or int(text) > MAX_ID:
            raise HttpError(404, "No such id: it is beyond any stored id.")
        return int(text)

    def form(self) -> dict[str, Any]:
        """The body as a form (urlencoded or JSON object)."""
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        raw = self.body.read_all()
        if kind == "application/json":
            try:
                data = json.loads(raw or b"{}")
            except ValueError:
                raise HttpError(400, "The body is not valid JSON.") from None
            if not isinstance(data, dict):
                raise HttpError(400, "The body must be a JSON object.")
            return data
        try:
            return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise HttpError(400, "The form is not UTF-8.") from None


@dataclass
class Response:
    """A status, headers and a body: bytes, pieces to send chunked, or a file path
    (sent with its length, then deleted)."""

    status: int = 200
    body: bytes | Generator[bytes, None, None] | str = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data).encode("utf-8"))


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, json.dumps({"message": message}).encode("utf-8"), headers=dict(headers or {})
    )


def flag(query: dict[str, str], name: str) -> bool:
    """A boolean query parameter sent as Python text (``True``/``False``) or JSON text."""
    text = query.get(name, "").strip().lower()
    if text in ("", "false", "0", "no", "none"):
        return False
    if text in ("true", "1", "yes"):
        return True
    raise HttpError(400, f"{name} must be True or False")
