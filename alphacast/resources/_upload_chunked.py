"""An upload sent while it is compressed: a chunked multipart body fed from a bounded queue.

A producer thread reads the source (or formats the DataFrame) and runs the
parallel deflate of :func:`~alphacast.resources._upload.gzip_blocks`; the
request's thread takes the gzip pieces from a queue of ``QUEUE_DEPTH`` and sends
them as chunks (``Transfer-Encoding: chunked``), so block N goes out while block
N+1 is compressed. The gzip is still one member; memory stays bounded by the
queue and the deflate's blocks in flight.

A chunked request body needs a server that accepts one, which the service's
documentation does not promise: :mod:`~alphacast.resources._upload_send` falls
back to the spooled ``Content-Length`` upload when it is refused.
"""

from __future__ import annotations

import json
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from typing import Any

from alphacast._progress import Progress, human_bytes
from alphacast.resources._upload import CsvSource, gzip_blocks, source_size

#: gzip pieces (about half of a 1 MB block each at level 1) waiting to be sent.
QUEUE_DEPTH = 8

_Item = tuple[int, bytes] | BaseException | None


class _Producer:
    """Compresses one pass over a source into a bounded queue, on its own thread:
    ``(consumed, gzip bytes)`` pairs, then ``None``, or the exception that stopped it."""

    def __init__(self, source: CsvSource) -> None:
        self.queue: queue.Queue[_Item] = queue.Queue(QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(source,), name="alphacast-upload", daemon=True
        )
        self._thread.start()

    def _run(self, source: CsvSource) -> None:
        pieces = gzip_blocks(source)
        try:
            for piece in pieces:
                if not self._put(piece):
                    return
            self._put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the sending thread, which raises it
            self._put(exc)
        finally:
            pieces.close()

    def _put(self, item: _Item) -> bool:
        while not self._stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self) -> _Item:
        return self.queue.get()

    def stop(self) -> None:
        """Stop compressing (the request ended early) and wait for the thread."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self.queue.get(timeout=0.1)
            except queue.Empty:
                pass
        self._thread.join()


class ChunkedUploadBody:
    """A request body factory: each call starts a fresh pass over the source
    (``reopen()``) and gives a generator of multipart pieces, sent chunked.

    ``cut_short`` tells, after a failed request, whether the last body had begun
    to go out (so the connection was made) and was still being sent (so the server
    cannot have received it whole); ``source_error`` is the exception the source
    itself raised, if any.
    """

    def __init__(
        self,
        reopen: Callable[[], CsvSource],
        manifest: list[dict[str, Any]] | None,
        progress: bool,
        size: int | None = None,
    ) -> None:
        self._reopen = reopen
        self._boundary = secrets.token_hex(16)
        head = b""
        if manifest is not None:
            head += (
                f'--{self._boundary}\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n'
                f"{json.dumps(manifest)}\r\n"
            ).encode()
        head += (
            f'--{self._boundary}\r\nContent-Disposition: form-data; name="data"; '
            'filename="data.csv.gz"\r\nContent-Type: application/gzip\r\n\r\n'
        ).encode()
        self._head = head
        self._tail = f"\r\n--{self._boundary}--\r\n".encode()
        self._size = size
        self.progress = Progress("upload", None, enabled=progress)
        self._producer: _Producer | None = None
        self.cut_short = False
        self.source_error: BaseException | None = None
        self._source_bytes = 0
        self._sent = 0

    def __call__(self) -> tuple[str, Any]:
        self._stop()
        producer = _Producer(self._reopen())
        self._producer = producer
        # The first piece is the gzip header, given once the source has shown a
        # first byte: an empty or unreadable source fails here, before any request.
        first = producer.get()
        if isinstance(first, BaseException) or first is None:
            self._stop()
            self.source_error = first if isinstance(first, BaseException) else None
            raise first or ValueError("the CSV to upload is empty")
        self.cut_short = False  # until the connection takes the first piece
        self.progress.phase("compressing and sending", self._size)
        self._source_bytes = self._sent = 0
        return f"multipart/form-data; boundary={self._boundary}", self._pieces(producer, first)

    def _pieces(self, producer: _Producer, first: tuple[int, bytes]) -> Iterator[bytes]:
        self.cut_short = True
        yield self._head + first[1]
        self._sent = len(self._head) + len(first[1])
        while True:
            item = producer.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                self.source_error = item
                raise item
            consumed, data = item
            if consumed:
                self._source_bytes += consumed
                self.progress.update(consumed)
            if data:
                self._sent += len(data)
                yield data
        self.cut_short = False
        self._sent += len(self._tail)
        yield self._tail

    def _stop(self) -> None:
        if self._producer is not None:
            self._producer.stop()
            self._producer = None

    def close(self, sent: bool) -> None:
        """Stop any compression still running; ``sent`` when the server took the body."""
        self._stop()
        if sent:
            # The phase counted source bytes; the request body is the gzip (and
            # the multipart's few lines around it).
            self.progress.close(
                f"{human_bytes(self._source_bytes)} as {human_bytes(self._sent)} gzip, "
                f"sent {self.progress.counted()} chunked"
            )
        else:
            self.progress.abandon()


def replayable(source: CsvSource) -> Callable[[], CsvSource] | None:
    """A function giving ``source`` afresh for another pass, or ``None`` when it
    cannot be read twice (an iterator, a pipe, a file that cannot seek)."""
    if isinstance(source, bytes | str) or hasattr(source, "__fspath__"):
        return lambda: source
    if hasattr(source, "read"):
        handle: Any = source
        try:
            if not handle.seekable():
                return None
            start = handle.tell()
        except (OSError, ValueError, AttributeError):
            return None

        def again() -> CsvSource:
            handle.seek(start)
            return source

        return again
    return None


__all__ = ["ChunkedUploadBody", "replayable", "source_size"]
