"""A small streaming ``multipart/form-data`` reader: parts arrive as chunks, so a large
file field goes to disk without the body ever being held in memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

_CHUNK = 64 * 1024
_MAX_HEADERS = 16 * 1024


class MultipartError(ValueError):
    """The body is not the multipart document its Content-Type announced."""


def boundary_of(content_type: str) -> bytes:
    """The boundary parameter of a ``multipart/form-data`` Content-Type."""
    kind, params = parse_header(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/form-data" or not boundary or len(boundary) > 200:
        raise MultipartError("expected multipart/form-data with a boundary")
    return boundary.encode("latin-1")


def parse_header(value: str) -> tuple[str, dict[str, str]]:
    """``'form-data; name="data"; filename="x"'`` -> ``('form-data', {...})``."""
    params: dict[str, str] = {}
    head, _, rest = value.partition(";")
    rest = rest.strip()
    while rest:
        name, _, rest = rest.partition("=")
        name = name.strip().lower()
        rest = rest.lstrip()
        if rest.startswith('"'):
            text, index = [], 1
            while index < len(rest) and rest[index] != '"':
                if rest[index] == "\\" and index + 1 < len(rest):
                    index += 1
                text.append(rest[index])
                index += 1
            param, rest = "".join(text), rest[index + 1 :]
            rest = rest.partition(";")[2]
        else:
            param, _, rest = rest.partition(";")
            param = param.strip()
        if name:
            params[name] = param
        rest = rest.strip()
    return head.strip().lower(), params


class Part:
    """One part: its headers, form name and file name; read it with :meth:`chunks`."""

    def __init__(self, reader: MultipartReader, headers: dict[str, str]) -> None:
        self._reader = reader
        self.headers = headers
        _, params = parse_header(headers.get("content-disposition", ""))
        self.name = params.get("name", "")
        self.filename = params.get("filename")
        self.done = False

    def chunks(self) -> Iterator[bytes]:
        while not self.done:
            chunk = self._reader._next_chunk(self)
            if chunk:
                yield chunk

    def read_all(self, limit: int) -> bytes:
        data = bytearray()
        for chunk in self.chunks():
            data += chunk
            if len(data) > limit:
                raise MultipartError(f"form field {self.name!r} is larger than {limit} bytes")
        return bytes(data)


class MultipartReader:
    """Iterate over the parts of a body read through ``read(n)``."""

    def __init__(self, read: Callable[[int], bytes], boundary: bytes) -> None:
        self._read = read
        self._delimiter = b"\r\n--" + boundary
        # The first boundary has no CRLF before it: pretend it had.
        self._buffer = bytearray(b"\r\n")
        self._finished = False

    def _fill(self) -> None:
        data = self._read(_CHUNK)
        if not data:
            raise MultipartError("the multipart body ended before its closing boundary")
        self._buffer += data

    def _after_delimiter(self) -> bool:
        """Consume what follows a delimiter; True when another part follows."""
        while len(self._buffer) < 2:
            self._fill()
        if self._buffer[:2] == b"--":
            self._finished = True
            return False
        end = self._buffer.find(b"\r\n")
        while end < 0:
            if len(self._buffer) > 256:
                raise MultipartError("junk after a multipart boundary")
            self._fill()
            end = self._buffer.find(b"\r\n")
        del self._buffer[: end + 2]
        return True

    def _headers(self) -> dict[str, str]:
        end = self._buffer.find(b"\r\n\r\n")
        while end < 0:
            if len(self._buffer) > _MAX_HEADERS:
                raise MultipartError("multipart part headers are too long")
            self._fill()
            end = self._buffer.find(b"\r\n\r\n")
        block = bytes(self._buffer[:end]).decode("utf-8", "replace")
        del self._buffer[: end + 4]
        headers: dict[str, str] = {}
        for line in block.split("\r\n"):
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return headers

    def _next_chunk(self, part: Part) -> bytes:
        index = self._buffer.find(self._delimiter)
        if index >= 0:
            chunk = bytes(self._buffer[:index])
            del self._buffer[: index + len(self._delimiter)]
            part.done = True
            return chunk
        safe = len(self._buffer) - len(self._delimiter) + 1
        if safe > 0:
            chunk = bytes(self._buffer[:safe])
            del self._buffer[:safe]
            if len(self._buffer) < len(self._delimiter):
                self._fill()
            return chunk
        self._fill()
        return b""

    def __iter__(self) -> Iterator[Part]:
        while True:  # skip the preamble up to the first delimiter
            index = self._buffer.find(self._delimiter)
            if index >= 0:
                del self._buffer[: index + len(self._delimiter)]
                break
            del self._buffer[: max(0, len(self._buffer) - len(self._delimiter))]
            self._fill()
        while self._after_delimiter():
            part = Part(self, self._headers())
            yield part
            for _ in part.chunks():  # the consumer skipped the rest of this part
                pass
