"""Downloads: the formats of 0.1.9, streamed to a path or file when asked.

A download to a path is written to a fresh file beside it, named unpredictably
and created exclusively (``O_EXCL|O_NOFOLLOW``, so nothing planted there, a
symlink included, is ever followed or overwritten), then renamed over the
path; if the transfer fails, the partial file is removed and the path is left
as it was. A failure of the connection while the body streams (cut short,
reset, timed out) is a :class:`~alphacast.ConnectionFailedError`, never a
``requests`` or ``urllib3`` exception.

The read timeout bounds each wait for data, and a download also fails when it
stalls: fewer than :data:`MIN_PROGRESS` bytes arriving within one read timeout
(like curl's ``--speed-limit``/``--speed-time``). A server that trickles a byte at
a time cannot hold the caller forever; a slow but moving download of a large
file is not killed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

import requests
import urllib3

from alphacast._auth import shown_url
from alphacast._progress import Progress
from alphacast._transport import Transport
from alphacast.errors import ConnectionFailedError
from alphacast.redact import redact_text
from alphacast.resources._base import unexpected

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Destination = str | os.PathLike[str] | IO[bytes]

FORMATS = ("csv", "tsv", "xlsx", "json", "pandas")
CHUNK = 1 << 20
#: Fewer bytes than this within one read timeout is a stalled download.
MIN_PROGRESS = 1024
T = TypeVar("T")

#: What requests and urllib3 raise while a response body streams: a body cut
#: short (ChunkedEncodingError, ProtocolError, IncompleteRead), a reset, a timeout.
_STREAM_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError)


def download(
    transport: Transport,
    path: str,
    format: str,  # noqa: A002 - 0.1.9's argument name
    params: list[tuple[str, str]],
    destination: Destination | None,
    progress: bool,
) -> Any:
    """Fetch ``path`` in ``format``.

    Without ``destination``: ``bytes`` for csv/tsv/xlsx, a list of dicts for
    json, a DataFrame for pandas (parsed from the stream). With a path or a
    binary file object: the data is streamed there in constant memory and the
    destination is returned.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    wire = "csv" if format == "pandas" else format
    query = [*params, ("$format", wire)]
    if destination is not None:
        if format == "pandas":
            raise ValueError("path= writes the raw data: use format='csv' with it, not 'pandas'")
        return _to_destination(transport, path, query, destination, progress)
    if format == "pandas":
        return _to_dataframe(transport, path, query, progress)
    response = transport.request("GET", path, params=query)
    content = response.content
    if format == "json":
        try:  # one JSON object a line
            return [json.loads(line) for line in content.splitlines() if line.strip()]
        except (ValueError, RecursionError):
            raise unexpected(response, "the JSON expected") from None
    return content


def _to_destination(
    transport: Transport,
    path: str,
    query: list[tuple[str, str]],
    destination: Destination,
    progress: bool,
) -> Destination:
    response = transport.request("GET", path, params=query, stream=True)
    length = response.headers.get("Content-Length", "").strip()
    # Only for the progress bar: a malformed header (the body is read to its end
    # either way) just leaves the total unknown.
    total = int(length) if length.isascii() and length.isdigit() else None
    bar = Progress("download", total, enabled=progress)
    guard = _StallGuard(response, transport.sender.read_timeout)

    def read() -> None:
        if isinstance(destination, str | os.PathLike):
            _to_path(guard.chunks(), Path(destination), bar)
        else:
            _copy(guard.chunks(), destination, bar)

    try:
        _streamed(response, read)
    finally:
        bar.close()
    return destination


def _streamed(response: requests.Response, read: Callable[[], T]) -> T:
    """``read()`` the body of ``response`` (then close it); a transport failure
    while the body streams becomes a ConnectionFailedError naming the URL."""
    failure: ConnectionFailedError | None = None
    try:
        with response:
            return read()
    except _STREAM_ERRORS as exc:
        failure = ConnectionFailedError(
            f"the download of {shown_url(response.url)} failed while streaming: "
            f"{redact_text(str(exc))}; retry it"
        )
    # Raised outside the except block, so the requests exception is not kept as
    # the error's __context__.
    raise failure


def _to_path(chunks: Any, target: Path, bar: Progress) -> None:
    """Write ``chunks`` into a fresh file beside ``target``, then rename it over."""
    fd, partial = _create_partial(target)
    try:
        with os.fdopen(fd, "wb") as out:
            _copy(chunks, out, bar)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _create_partial(target: Path) -> tuple[int, Path]:
    """A new file ``TARGET.<random>.part`` beside ``target``, created exclusively.

    Mode 0666 before the umask, like ``open(path, "wb")``; ``O_EXCL`` (and
    ``O_NOFOLLOW``) mean a file or symlink already there is never opened.
    """
    flags = (
        os.O_WRONLY
        | os.O_CREAT
        | os.O_EXCL
        | getattr(os, "O_NOFOLLOW", 0)
        | getattr(os, "O_CLOEXEC", 0)
        | getattr(os, "O_BINARY", 0)
    )
    for _ in range(100):
        partial = target.with_name(f"{target.name}.{secrets.token_hex(8)}.part")
        try:
            return os.open(partial, flags, 0o666), partial
        except FileExistsError:
            continue
    raise FileExistsError(f"could not create a temporary file beside {target}")


def _copy(chunks: Any, out: IO[bytes], bar: Progress) -> None:
    for chunk in chunks:
        out.write(chunk)
        bar.update(len(chunk))


class _StallGuard:
    """Reads a streamed body, failing it when it stalls (see the module docstring)."""

    def __init__(self, response: requests.Response, read_timeout: float | None) -> None:
        self.response = response
        self.raw = response.raw
        self.window = read_timeout
        self._started = time.monotonic()
        self._received = 0

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes of the decoded body (``b""`` at its end)."""
        raw = self.raw
        if self.window is None or not hasattr(raw, "read1"):  # urllib3 1.x: no read1
            data: bytes = raw.read(size, decode_content=True)
            return data
        data = raw.read1(size, decode_content=True)
        self._received += len(data)
        now = time.monotonic()
        if data and now - self._started >= self.window:
            if self._received < MIN_PROGRESS:
                raw.close()
                raise ConnectionFailedError(
                    f"the download of {shown_url(self.response.url)} stalled: "
                    f"{self._received} bytes in {now - self._started:.1f} s, fewer than "
                    f"{MIN_PROGRESS} within the read timeout of {self.window:g} s; retry it"
                )
            self._started, self._received = now, 0
        return data

    def chunks(self) -> Any:
        while data := self.read(CHUNK):
            yield data


class _CountingReader(io.RawIOBase):
    """A read-only file view of a response that reports progress as it is read."""

    def __init__(self, guard: _StallGuard, bar: Progress) -> None:
        super().__init__()
        self._guard = guard
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data = self._guard.read(len(view))
        view[: len(data)] = data
        self._bar.update(len(data))
        return len(data)


def _to_dataframe(
    transport: Transport, path: str, query: list[tuple[str, str]], progress: bool
) -> Any:
    try:
        import pandas as pd
    except ImportError:
        raise ImportError("format='pandas' needs pandas: pip install 'alphacast[pandas]'") from None
    response = transport.request("GET", path, params=query, stream=True)
    bar = Progress("download", None, enabled=progress)
    guard = _StallGuard(response, transport.sender.read_timeout)

    def read() -> Any:
        return pd.read_csv(io.BufferedReader(_CountingReader(guard, bar), CHUNK))

    try:
        return _streamed(response, read)
    finally:
        bar.close()
