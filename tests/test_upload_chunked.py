"""Uploads sent chunked while compressed, and the fall back to a ``Content-Length``.

Real sockets throughout: the emulator (which accepts chunked bodies, or refuses
them with 411 when started with ``chunked_uploads=False``) and a small server of
our own that drops the connection on a chunked body, as some proxies do.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from alphacast import Alphacast, APIError
from alphacast.emulator import Emulator
from alphacast.emulator._wire import BodyReader

KEY = "ak_chunked_uploads_0123456789"
ROWS = 60_000  # about 2 MB: several deflate blocks


def _csv(rows: int = ROWS) -> bytes:
    lines = ["Date,country,value,note\n"]
    for i in range(rows):
        lines.append(f"{1900 + i // 365:04d}-01-{1 + i % 28:02d},C{i:06d},{i * 0.37:.4f},\"a, b\"\n")
    return "".join(lines).encode()


def _wait(ds: Any, response: bytes) -> dict[str, Any]:
    process = json.loads(response)
    for _ in range(600):
        state = json.loads(ds.process(process["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.05)
    raise AssertionError("never processed")


MANIFEST = {"dateColumnName": "Date", "dateFormat": "%Y-%m-%d", "entitiesColumnNames": "country"}


@contextmanager
def emulator_dataset(**options: Any) -> Iterator[tuple[Emulator, Alphacast, Any]]:
    chunked = options.pop("emulator_chunked", True)
    with Emulator(accounts={"u": KEY}, chunked_uploads=chunked) as emu:
        with Alphacast(KEY, api_url=emu.api_url, workspace_url=emu.workspace_url, **options) as client:
            repo = client.repository.create(f"chunked {time.monotonic_ns()}")
            ds = client.datasets.dataset(client.datasets.create("d", repo["id"])["id"])
            emu.clear_request_log()
            yield emu, client, ds


def _puts(emu: Emulator) -> list[tuple[int | None, str | None]]:
    return [(e["status"], e["body"]) for e in emu.request_log if e["method"] == "PUT"]


def test_a_chunked_upload_is_stored_as_the_content_length_one(tmp_path: Path):
    path = tmp_path / "data.csv"
    path.write_bytes(_csv())
    stored = {}
    for chunked in (None, False):
        with emulator_dataset(chunked_uploads=chunked) as (emu, _, ds):
            assert _wait(ds, ds.upload_data_from_csv(path, **MANIFEST))["status"] == "Processed"
            stored[chunked] = ds.download_data(format="csv")
            assert _puts(emu) == [(200, "chunked" if chunked is None else "length")]
    assert stored[None] == stored[False]
    assert stored[None].count(b"\n") == ROWS + 1


def test_a_refused_chunked_upload_is_sent_again_with_a_length_and_remembered(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    path = tmp_path / "data.csv"
    path.write_bytes(_csv())
    with emulator_dataset(emulator_chunked=False) as (emu, client, ds):
        with caplog.at_level(logging.INFO, logger="alphacast.upload"):
            assert _wait(ds, ds.upload_data_from_csv(path, **MANIFEST))["status"] == "Processed"
            first = ds.download_data(format="csv")
            assert _puts(emu) == [(411, "chunked"), (200, "length")]
            # the same client goes straight to Content-Length
            assert _wait(ds, ds.upload_data_from_csv(path, **MANIFEST))["status"] == "Processed"
            assert _puts(emu) == [(411, "chunked"), (200, "length"), (200, "length")]
        refusals = [r for r in caplog.records if "refused a chunked upload" in r.getMessage()]
        assert len(refusals) == 1 and "411" in refusals[0].getMessage()
        assert KEY not in caplog.text
        assert ds.download_data(format="csv") == first
        assert first.count(b"\n") == ROWS + 1
        # another client starts afresh: the refusal belongs to the client that saw it
        with Alphacast(KEY, api_url=emu.api_url, workspace_url=emu.workspace_url) as fresh:
            emu.clear_request_log()
            fresh.datasets.dataset(ds.dataset_id).upload_data_from_csv(path, **MANIFEST)
            assert _puts(emu) == [(411, "chunked"), (200, "length")]


def test_every_re_readable_source_falls_back_from_where_it_stood(tmp_path: Path):
    data = _csv(2000)
    path = tmp_path / "data.csv"
    path.write_bytes(b"junk before the CSV\n" + data)
    with emulator_dataset(emulator_chunked=False, retry=None) as (emu, _, ds):
        handle = open(path, "rb")  # noqa: SIM115 - closed below
        handle.readline()  # the upload starts where the file stands
        sources = [("text", data.decode()), ("bytes", data), ("seekable file", handle)]
        for label, source in sources:
            state = _wait(ds, ds.upload_data_from_csv(source, deleteMissingFromDB=True, **MANIFEST))
            assert state["status"] == "Processed", (label, state)
            assert ds.download_data(format="csv").count(b"\n") == 2001, label
        handle.close()
        assert _puts(emu) == [(411, "chunked")] + [(200, "length")] * 3


def test_a_dataframe_is_formatted_again_for_the_fallback():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2020-01-01", "2021-01-01", "2022-01-01"]),
            "country": ["AR", 'say "hi", then', "UY"],
            "value": [1.5, None, 3.0],
        }
    )
    with emulator_dataset(emulator_chunked=False) as (emu, _, ds):
        state = _wait(ds, ds.upload_data_from_df(frame, uploadIndex=False, **MANIFEST))
        assert state["status"] == "Processed", state
        assert _puts(emu) == [(411, "chunked"), (200, "length")]
        rows = ds.download_data(format="json")
        assert sorted(r["country"] for r in rows) == ["AR", "UY", 'say "hi", then']


def test_a_source_read_once_goes_straight_to_content_length():
    data = _csv(500)
    read_fd, write_fd = os.pipe()
    threading.Thread(target=lambda: (os.write(write_fd, data), os.close(write_fd)), daemon=True).start()
    with emulator_dataset() as (emu, _, ds), open(read_fd, "rb") as pipe:
        for label, source in (("iterator", iter([data])), ("pipe", pipe)):
            state = _wait(ds, ds.upload_data_from_csv(source, deleteMissingFromDB=True, **MANIFEST))
            assert state["status"] == "Processed", (label, state)
        assert _puts(emu) == [(200, "length"), (200, "length")]


def test_chunked_uploads_true_does_not_fall_back():
    with emulator_dataset(emulator_chunked=False, chunked_uploads=True) as (emu, _, ds):
        with pytest.raises(APIError) as caught:
            ds.upload_data_from_csv(_csv(100))
        assert caught.value.status_code == 411
        assert _puts(emu) == [(411, "chunked")]


def test_chunked_uploads_must_be_a_choice():
    with pytest.raises(TypeError, match="chunked_uploads"):
        Alphacast(KEY, api_url="http://127.0.0.1:9", chunked_uploads="no")  # type: ignore[arg-type]


# -- a server of our own: what arrives on the wire ---------------------------------------


@dataclass
class Received:
    framing: str
    body: bytes


@dataclass
class WireServer:
    url: str
    received: list[Received] = field(default_factory=list)


@contextmanager
def wire_server(drop_chunked: bool) -> Iterator[WireServer]:
    """Reads each request body whole (chunked or by length) and answers a process
    record; with ``drop_chunked`` a chunked request's connection is reset at once,
    before any answer, as a proxy that cannot take chunked bodies may do."""
    state = WireServer("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_PUT(self) -> None:  # noqa: N802
            body = BodyReader(self.rfile, self.headers)
            if body.chunked and drop_chunked:
                state.received.append(Received("dropped", b""))
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                self.close_connection = True
                return
            data = body.read_all(1 << 30)
            state.received.append(Received("chunked" if body.chunked else "length", data))
            answer = b'{"id": 1, "status": "Requested"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _gzip_part(body: bytes) -> bytes:
    start = body.index(b"application/gzip\r\n\r\n") + len(b"application/gzip\r\n\r\n")
    end = body.rindex(b"\r\n--")
    return body[start:end]


def _one_member(data: bytes) -> bytes:
    engine = zlib.decompressobj(31)
    content = engine.decompress(data)
    assert engine.eof and engine.unused_data == b"", "not exactly one gzip member"
    return content


def test_the_chunked_gzip_is_one_member_a_standard_gzip_accepts(tmp_path: Path):
    data = _csv()
    with wire_server(drop_chunked=False) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            client.datasets.dataset(9).upload_data_from_csv(data)
    assert [r.framing for r in server.received] == ["chunked"]
    gz = _gzip_part(server.received[0].body)
    assert _one_member(gz) == data
    tool = shutil.which("gzip")
    if tool is not None:
        (tmp_path / "sent.csv.gz").write_bytes(gz)
        subprocess.run([tool, "-t", str(tmp_path / "sent.csv.gz")], check=True)


def test_a_connection_dropped_while_sending_chunked_falls_back(tmp_path: Path):
    data = _csv()
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    with wire_server(drop_chunked=True) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            ds = client.datasets.dataset(9)
            ds.upload_data_from_csv(path)
            ds.upload_data_from_csv(path)
    assert [r.framing for r in server.received] == ["dropped", "length", "length"]
    for received in server.received[1:]:
        assert _one_member(_gzip_part(received.body)) == data


def test_a_failing_source_is_raised_as_itself_not_as_a_refusal():
    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            self.calls = 0

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return True

        def tell(self) -> int:
            return 0

        def seek(self, offset: int, whence: int = 0) -> int:
            return 0

        def read(self, size: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 3:
                raise OSError("disk gone")
            return b"a,b\n" * (1 << 18)

    with wire_server(drop_chunked=False) as server:
        with Alphacast(KEY, api_url=server.url, workspace_url=server.url) as client:
            with pytest.raises(OSError, match="disk gone"):
                client.datasets.dataset(9).upload_data_from_csv(Failing())  # type: ignore[arg-type]
    assert all(r.framing == "chunked" for r in server.received)


_RSS_SCRIPT = """
import resource, sys
from alphacast import Alphacast
url, path = sys.argv[1], sys.argv[2]
with Alphacast("ak_chunked_uploads_0123456789", api_url=url, workspace_url=url) as client:
    ds = client.datasets.dataset(9)
    ds.upload_data_from_csv(path)  # warm: threads, imports, buffers
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ds.upload_data_from_csv(path)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="ru_maxrss is POSIX")
@pytest.mark.timeout(120)
def test_memory_stays_bounded_while_sending_chunked(tmp_path: Path):
    """A 96 MB file is sent with a peak RSS growth of far less than its size."""
    path = tmp_path / "big.csv"
    line = b"2020-01-01,AR,123.4567,some text that compresses\n"
    with open(path, "wb") as out:
        for _ in range(96):
            out.write(line * ((1 << 20) // len(line)))
    with wire_server(drop_chunked=False) as server:
        server.received.clear()
        done = subprocess.run(
            [sys.executable, "-c", _RSS_SCRIPT, server.url, str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
    assert [r.framing for r in server.received] == ["chunked", "chunked"]
    growth_kib = int(done.stdout.strip())
    assert growth_kib < 48 * 1024, f"peak RSS grew by {growth_kib} KiB"


def test_the_choice_follows_a_dataset_switched_to_another_key():
    with emulator_dataset(chunked_uploads=False) as (emu, _, ds):
        ds.api_key = KEY  # a transport of its own for this key, same client settings
        ds.upload_data_from_csv(_csv(100))
        assert _puts(emu) == [(200, "length")]


def test_the_emulator_cli_can_refuse_chunked_bodies():
    from alphacast.emulator.cli import build_parser

    assert build_parser().parse_args(["--account", "a=ak_x_0123456789abcdef"]).chunked_uploads
    refusing = build_parser().parse_args(["--account", "a=ak_x_0123456789abcdef", "--no-chunked-uploads"])
    assert refusing.chunked_uploads is False


def test_a_server_that_is_down_is_not_taken_for_a_refusal(caplog: pytest.LogCaptureFixture):
    from alphacast import ConnectionFailedError, RetryPolicy

    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()  # nothing listens there now: the connection is refused
    with Alphacast(KEY, api_url=url, workspace_url=url, retry=RetryPolicy.disabled()) as client:
        with caplog.at_level(logging.INFO, logger="alphacast.upload"):
            with pytest.raises(ConnectionFailedError):
                client.datasets.dataset(9).upload_data_from_csv(_csv(100))
    assert "refused a chunked upload" not in caplog.text
