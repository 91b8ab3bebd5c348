"""The streaming multipart reader, fed in pieces of every size."""

from __future__ import annotations

import io
import os

import pytest

from alphacast.emulator._multipart import MultipartError, MultipartReader, boundary_of, parse_header

BOUNDARY = b"----x7Boundary"


def document(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = b"preamble to ignore\r\n"
    for name, filename, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n\r\n" + data + b"\r\n"
    return out + b"--" + BOUNDARY + b"--\r\nepilogue"


def read_all(body: bytes, piece: int) -> list[tuple[str, str | None, bytes]]:
    stream = io.BytesIO(body)
    parts = []
    for part in MultipartReader(lambda n: stream.read(min(n, piece)), BOUNDARY):
        parts.append((part.name, part.filename, b"".join(part.chunks())))
    return parts


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 16, 65536])
def test_parts_survive_any_split(piece):
    binary = os.urandom(3000) + b"\r\n--" + BOUNDARY[:-1] + b"\r\n"  # almost a delimiter
    parts = [("manifest", None, b'[{"a": 1}]'), ("data", "data.csv.gz", binary), ("empty", None, b"")]
    assert read_all(document(parts), piece) == parts


def test_a_skipped_part_is_drained():
    body = document([("skip", None, b"x" * 100000), ("data", "d", b"keep")])
    stream = io.BytesIO(body)
    reader = MultipartReader(stream.read, BOUNDARY)
    names = []
    for part in reader:
        names.append(part.name)
        if part.name == "data":
            assert b"".join(part.chunks()) == b"keep"
    assert names == ["skip", "data"]


def test_truncated_bodies_raise():
    body = document([("data", "d", b"abc")])
    with pytest.raises(MultipartError):
        read_all(body[:-20], 5)
    with pytest.raises(MultipartError):
        read_all(b"no boundary here", 5)


def test_read_all_limit_and_headers():
    stream = io.BytesIO(document([("manifest", None, b"x" * 50)]))
    part = next(iter(MultipartReader(stream.read, BOUNDARY)))
    with pytest.raises(MultipartError):
        part.read_all(10)
    assert parse_header('form-data; name="a;b"; filename="q\\"x"') == ("form-data", {"name": "a;b", "filename": 'q"x'})
    assert boundary_of("multipart/form-data; boundary=abc") == b"abc"
    with pytest.raises(MultipartError):
        boundary_of("application/json")
