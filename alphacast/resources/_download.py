"""Downloads: the formats of 0.1.9, streamed to a path or file when asked."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from alphacast._progress import Progress
from alphacast.transport import Transport

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

Destination = str | os.PathLike[str] | IO[bytes]

FORMATS = ("csv", "tsv", "xlsx", "json", "pandas")
CHUNK = 1 << 20


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
    content = transport.request("GET", path, params=query).content
    if format == "json":
        return [json.loads(line) for line in content.splitlines() if line.strip()]
    return content


def _to_destination(
    transport: Transport,
    path: str,
    query: list[tuple[str, str]],
    destination: Destination,
    progress: bool,
) -> Destination:
    response = transport.request("GET", path, params=query, stream=True)
    length = response.headers.get("Content-Length")
    bar = Progress("download", int(length) if length else None, enabled=progress)
    with response:
        if isinstance(destination, str | os.PathLike):
            target = Path(destination)
            partial = target.with_name(target.name + ".part")
            with open(partial, "wb") as out:
                _copy(response.iter_content(CHUNK), out, bar)
            os.replace(partial, target)
        else:
            _copy(response.iter_content(CHUNK), destination, bar)
    bar.close()
    return destination


def _copy(chunks: Any, out: IO[bytes], bar: Progress) -> None:
    for chunk in chunks:
        out.write(chunk)
        bar.update(len(chunk))


class _CountingReader(io.RawIOBase):
    """A read-only file view of a response that reports progress as it is read."""

    def __init__(self, raw: Any, bar: Progress) -> None:
        super().__init__()
        self._raw = raw
        self._bar = bar

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer, /) -> int:
        view = memoryview(buffer).cast("B")
        data: bytes = self._raw.read(len(view))
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
    with response:
        response.raw.decode_content = True
        frame = pd.read_csv(io.BufferedReader(_CountingReader(response.raw, bar), CHUNK))
    bar.close()
    return frame
