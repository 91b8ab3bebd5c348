"""Uploads in constant memory: the parallel gzip, and the spooled ``Content-Length`` body.

(An upload is first sent chunked while compressed when it can be, see
:mod:`~alphacast.resources._upload_send`; this is the way that works with any server.)
The gzip is written to a temporary file (kept in memory up to 8 MB, on disk
beyond), so the multipart body has a known ``Content-Length`` (which any server
accepts) and can be replayed after a 401 re-resolution, while the data itself
is never held whole in memory.

Compression is the costly part, so it runs on every core: the source is cut into
1 MB blocks, each deflated by a worker thread (zlib releases the GIL) with the
previous block's last 32 KB as its dictionary and ended with a sync flush, as pigz
does. The blocks join into one ordinary gzip member (one header, one CRC-32, one
length), which any decoder reads; the caller's thread meanwhile reads the source
or formats the DataFrame. At most ``2 x workers`` blocks are in flight.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import stat
import struct
import tempfile
import time
import zlib
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any

from alphacast._progress import Progress, human_bytes

CsvSource = str | bytes | os.PathLike[str] | IO[str] | IO[bytes] | Iterable[str | bytes]

CHUNK = 1 << 20
SPOOL_IN_MEMORY = 8 << 20
#: Measured on the benchmark's 200 MB CSV (``bench/``, see docs/performance.rst):
#: level 1 deflates it in 1.6 s to 44.2 %, level 6 in 8.4 s to 41.0 %: 5x the time
#: for 7 % fewer bytes, a loss on any link faster than about 5 MB/s.
GZIP_LEVEL = 1
#: Uncompressed bytes per deflate block (and per worker task).
BLOCK = 1 << 20
#: Deflate's window: each block is primed with the previous block's last 32 KB.
WINDOW = 1 << 15


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
            yield text if isinstance(text, bytes) else text.encode("utf-8")


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
                return max(0, status.st_size - int(source.tell()))
    except (OSError, ValueError, io.UnsupportedOperation):
        pass
    return None


def _blocks(source: CsvSource) -> Iterator[bytes]:
    """The source's bytes regrouped into blocks of ``BLOCK`` (the last one shorter)."""
    pending: list[bytes] = []
    size = 0
    for chunk in _chunks(source):
        while chunk:
            take = chunk[: BLOCK - size]
            chunk = chunk[len(take) :]
            pending.append(take)
            size += len(take)
            if size == BLOCK:
                yield b"".join(pending)
                pending, size = [], 0
    if size:
        yield b"".join(pending)


def _deflate(block: bytes, primer: bytes, last: bool, level: int) -> bytes:
    """``block`` as raw deflate data continuing a stream whose last 32 KB were ``primer``."""
    engine = (
        zlib.compressobj(level, zlib.DEFLATED, -15, zlib.DEF_MEM_LEVEL, 0, primer)
        if primer
        else zlib.compressobj(level, zlib.DEFLATED, -15)
    )
    return engine.compress(block) + engine.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def gzip_header() -> bytes:
    """A gzip member header: deflate, no name, the current time, Unix."""
    return b"\x1f\x8b\x08\x00" + struct.pack("<I", int(time.time())) + b"\x00\x03"


def gzip_blocks(
    source: CsvSource, level: int | None = None, workers: int | None = None
) -> Generator[tuple[int, bytes], None, None]:
    """One gzip member of ``source``, in pieces, deflated in parallel: pairs of
    (source bytes consumed, gzip bytes), in order. Raises ValueError if empty.
    ``level`` is ``GZIP_LEVEL`` unless given (read at each call: the benchmark sets
    it to compare with 0.1.9 at its level)."""
    level = GZIP_LEVEL if level is None else level
    workers = workers or min(8, os.cpu_count() or 1)
    crc = 0
    length = 0
    with ThreadPoolExecutor(workers, thread_name_prefix="alphacast-gzip") as pool:
        queued: deque[tuple[int, Future[bytes]]] = deque()
        try:
            blocks = _blocks(source)
            block = next(blocks, b"")
            if not block:
                raise ValueError("the CSV to upload is empty")
            yield 0, gzip_header()
            primer = b""
            while block:
                following = next(blocks, b"")
                queued.append(
                    (len(block), pool.submit(_deflate, block, primer, not following, level))
                )
                crc = zlib.crc32(block, crc)
                length += len(block)
                primer = block[-WINDOW:]
                block = following
                while queued and (len(queued) > 2 * workers or queued[0][1].done()):
                    size, future = queued.popleft()
                    yield size, future.result()
            while queued:
                size, future = queued.popleft()
                yield size, future.result()
        finally:
            for _, future in queued:
                future.cancel()
    yield 0, struct.pack("<II", crc, length & 0xFFFFFFFF)


def gzip_to_spool(
    source: CsvSource, bar: Progress | None = None
) -> tempfile.SpooledTemporaryFile[bytes]:
    """Gzip ``source`` into a spooled temporary file, rewound; ``bar`` counts the
    source bytes compressed."""
    spool: tempfile.SpooledTemporaryFile[bytes] = tempfile.SpooledTemporaryFile(
        max_size=SPOOL_IN_MEMORY
    )
    try:
        for consumed, data in gzip_blocks(source):
            spool.write(data)
            if bar is not None and consumed:
                bar.update(consumed)
    except BaseException:
        spool.close()
        raise
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
