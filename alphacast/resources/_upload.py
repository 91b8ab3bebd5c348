"""Uploads in constant memory: gzip into a spooled file, then a streamed multipart body.

The gzip is written to a temporary file (kept in memory up to 8 MB, on disk
beyond), so the multipart body has a known ``Content-Length`` (which any server
accepts) and can be replayed after a 401 re-resolution, while the data itself
is never held whole in memory.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from alphacast._progress import Progress, human_bytes

CsvSource = str | bytes | os.PathLike[str] | IO[str] | IO[bytes] | Iterable[str]

CHUNK = 1 << 20
SPOOL_IN_MEMORY = 8 << 20
GZIP_LEVEL = 6


def _chunks(source: CsvSource) -> Iterator[bytes]:
    """The CSV as UTF-8 byte chunks, whatever form it came in."""
    if isinstance(source, bytes):
        yield source
    elif isinstance(source, str):
        if "\n" not in source and os.path.isfile(source):
            # A one-line string naming an existing file is a path, not CSV text.
            yield from _chunks(Path(source))
        else:
            for start in range(0, len(source), CHUNK):
                yield source[start : start + CHUNK].encode("utf-8")
    elif isinstance(source, os.PathLike):
        with open(source, "rb") as handle:
            yield from _chunks(handle)
    elif hasattr(source, "read"):
        while block := source.read(CHUNK):
            yield block.encode("utf-8") if isinstance(block, str) else block
    else:
        for text in source:
            yield text.encode("utf-8")


def source_size(source: CsvSource) -> int | None:
    """The bytes ``source`` holds (from where a file stands), when known without
    reading it: for the progress bar, which counts source bytes as they are compressed."""
    try:
        if isinstance(source, bytes):
            return len(source)
        if isinstance(source, str):
            if "\n" not in source and os.path.isfile(source):
                return os.path.getsize(source)
            return sum(
                len(source[i : i + CHUNK].encode("utf-8")) for i in range(0, len(source), CHUNK)
            )
        if isinstance(source, os.PathLike):
            return os.path.getsize(source)
        if hasattr(source, "fileno") and hasattr(source, "tell"):
            status = os.fstat(source.fileno())
            if stat.S_ISREG(status.st_mode):  # not a pipe: stdin may be one
                return max(0, status.st_size - source.tell())
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return None


def gzip_to_spool(
    source: CsvSource, bar: Progress | None = None
) -> tempfile.SpooledTemporaryFile[bytes]:
    """Gzip ``source`` into a spooled temporary file, rewound; ``bar`` counts the
    source bytes read."""
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(
        max_size=SPOOL_IN_MEMORY
    )
    empty = True
    with gzip.GzipFile(
        filename="data.csv", mode="wb", fileobj=spool, compresslevel=GZIP_LEVEL
    ) as gz:
        for chunk in _chunks(source):
            empty = empty and not chunk
            gz.write(chunk)
            if bar is not None:
                bar.update(len(chunk))
    if empty:
        spool.close()
        raise ValueError("the CSV to upload is empty")
    spool.seek(0)
    return spool


class MultipartBody:
    """``multipart/form-data`` with an optional ``manifest`` field and the gzip file,
    read in chunks from the spool. ``len()`` is the exact body size.

    Deliberately not an ``io`` class: requests would call ``tell()`` on one and,
    failing, fall back to chunked encoding instead of ``Content-Length``."""

    def __init__(
        self, boundary: str, manifest: str | None, spool: IO[bytes], size: int, bar: Progress
    ) -> None:
        head = b""
        if manifest is not None:
            head += (
                f'--{boundary}\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n'
                f"{manifest}\r\n"
            ).encode()
        head += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="data"; '
            'filename="data.csv.gz"\r\nContent-Type: application/gzip\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        self._parts: list[IO[bytes]] = [io.BytesIO(head), spool, io.BytesIO(tail)]
        self._length = len(head) + size + len(tail)
        self._bar = bar

    def __len__(self) -> int:
        return self._length

    def read(self, size: int | None = -1) -> bytes:
        want = CHUNK if size is None or size < 0 else size
        while self._parts:
            data = self._parts[0].read(want)
            if data:
                self._bar.update(len(data))
                return data
            self._parts.pop(0)
        return b""

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.read(CHUNK), b"")


class UploadBody:
    """A replayable request body: each call gives a fresh stream over the same spool."""

    def __init__(
        self, source: CsvSource, manifest: list[dict[str, Any]] | None, progress: bool
    ) -> None:
        # The bar starts with the first source byte: compressing a large file takes
        # time too, and its size is the one the user knows.
        self.progress = Progress("upload", None, enabled=progress)
        self.progress.phase("compressing", source_size(source))
        try:
            self._spool = gzip_to_spool(source, self.progress)
        except BaseException:
            self.progress.abandon()
            raise
        self._source_bytes = self.progress.done
        self._spool.seek(0, os.SEEK_END)
        self._size = self._spool.tell()
        self._manifest = json.dumps(manifest) if manifest is not None else None
        self._boundary = secrets.token_hex(16)

    def __call__(self) -> tuple[str, Any]:
        self._spool.seek(0)
        body = MultipartBody(self._boundary, self._manifest, self._spool, self._size, self.progress)
        # Sending counts the request body (the gzip); a replay after a 401 counts afresh.
        self.progress.phase("sending", len(body))
        return f"multipart/form-data; boundary={self._boundary}", body

    def close(self) -> None:
        self._spool.close()
        bar = self.progress
        if bar.step == "sending":
            bar.close(
                f"{human_bytes(self._source_bytes)} as {human_bytes(self._size)} gzip, "
                f"sent {bar.counted()}"
            )
        else:  # refused before anything was sent
            bar.close()
