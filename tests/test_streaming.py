"""Uploads from every kind of source, downloads to paths and files, progress."""

from __future__ import annotations

import gzip
import io
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from alphacast import Alphacast

from .conftest import ALICE_KEY
from .recording_server import Reply, raw_server, recording_server

CSV = "Date,country,value\n2020-01-01,AR,1\n2021-01-01,AR,2\n2022-01-01,UY,3\n"


@pytest.fixture
def dataset(emulator):
    client = Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    repo = client.repository.create(f"streaming {time.monotonic_ns()}")
    ds = client.datasets.dataset(client.datasets.create("stream", repo["id"])["id"])
    yield ds
    client.close()


def upload_and_wait(ds, source, **kwargs):
    process = json.loads(ds.upload_data_from_csv(source, deleteMissingFromDB=True, **kwargs))
    for _ in range(200):
        state = json.loads(ds.process(process["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.05)
    raise AssertionError("never processed")


def sources(tmp_path: Path):
    path = tmp_path / "data.csv"
    path.write_text(CSV)
    yield "text", CSV
    yield "bytes", CSV.encode()
    yield "Path", path
    yield "str path", str(path)
    yield "binary file", open(path, "rb")  # noqa: SIM115 - closed below
    yield "text file", open(path, encoding="utf-8")  # noqa: SIM115
    yield "iterable of lines", iter(CSV.splitlines(keepends=True))


def test_every_kind_of_source_uploads_the_same_rows(dataset, tmp_path: Path):
    for label, source in sources(tmp_path):
        state = upload_and_wait(dataset, source)
        if hasattr(source, "close"):
            source.close()
        assert state["status"] == "Processed", (label, state)
        rows = dataset.download_data(format="json")
        assert sorted(r["value"] for r in rows) == [1, 2, 3], label


def test_upload_sends_gzip_multipart_with_a_content_length():
    # chunked_uploads=False: never chunked (the default tries chunked first, see
    # tests/test_upload_chunked.py); this server reads bodies by Content-Length only.
    with recording_server(lambda seen: Reply(body=b'{"id": 1, "status": "Requested"}')) as server:
        with Alphacast(
            "ak_stream_test_123456",
            api_url=server.url,
            workspace_url=server.url,
            chunked_uploads=False,
        ) as client:
            client.datasets.dataset(9).upload_data_from_csv(
                CSV, dateColumnName="Date", dateFormat="%Y-%m-%d"
            )
        seen = server.seen[0]
    assert seen.method == "PUT"
    assert seen.path.startswith(
        "/datasets/9/data?deleteMissingFromDB=False&onConflictUpdateDB=False"
    )
    assert int(seen.headers["Content-Length"]) > 0
    assert "Transfer-Encoding" not in seen.headers
    assert seen.headers["Content-Type"].startswith("multipart/form-data; boundary=")


def test_progress_is_shown_when_asked(dataset, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    dataset.upload_data_from_csv(CSV, progress=True)
    err = capsys.readouterr().err
    assert "upload:" in err and "100%" in err
    target = tmp_path / "out.csv"
    dataset.download_data(path=target, progress=True)
    assert "download:" in capsys.readouterr().err
    dataset.download_data(format="csv")
    assert capsys.readouterr().err == ""  # quiet by default


def test_download_to_a_path_or_a_file_object(dataset, tmp_path: Path):
    upload_and_wait(dataset, CSV)
    target = tmp_path / "out.csv"
    assert dataset.download_data(path=target) == target
    assert target.read_bytes() == dataset.download_data(format="csv")
    assert not (tmp_path / "out.csv.part").exists()
    buffer = io.BytesIO()
    dataset.download_data(format="tsv", path=buffer)
    assert buffer.getvalue().splitlines()[0].count(b"\t") == 2
    with pytest.raises(ValueError, match="format='csv'"):
        dataset.download_data(format="pandas", path=target)
    with pytest.raises(ValueError, match="format must be one of"):
        dataset.download_data(format="parquet")


def test_empty_csv_is_refused_before_sending(dataset):
    with pytest.raises(ValueError, match="empty"):
        dataset.upload_data_from_csv("")


def test_gzip_spool_round_trips():
    from alphacast.resources._upload import gzip_to_spool

    spool = gzip_to_spool(iter(["a,b\n", "1,2\n"]))
    assert gzip.decompress(spool.read()) == b"a,b\n1,2\n"
    spool.close()


def _texts(chunks) -> list[str]:
    """The chunks as text (pyarrow's writer gives bytes, pandas' text)."""
    return [c.decode() if isinstance(c, bytes) else c for c in chunks]


@pytest.mark.parametrize(("columns", "index"), [(64, True), (64, False), (3, True), (1, False)])
def test_dataframe_chunks_are_sized_by_cells_and_join_to_the_whole_csv(
    monkeypatch: pytest.MonkeyPatch, columns: int, index: bool
):
    pd = pytest.importorskip("pandas")
    from alphacast.resources import datasets

    monkeypatch.setattr(datasets, "DF_CHUNK_CELLS", 1000)
    df = pd.DataFrame({f"c{i}": range(i, i + 250) for i in range(columns)})
    chunks = _texts(datasets._df_csv_chunks(df, index))
    assert "".join(chunks) == df.to_csv(index=index)
    width = columns + (1 if index else 0)
    rows = [chunk.count("\n") for chunk in chunks]
    rows[0] -= 1  # the header
    assert sum(rows) == 250
    assert max(rows) * width <= 1000 or max(rows) == 1
    assert len(chunks) == -(-250 // max(1, 1000 // width))


def test_a_dataframe_wider_than_the_chunk_goes_one_row_at_a_time(monkeypatch: pytest.MonkeyPatch):
    pd = pytest.importorskip("pandas")
    from alphacast.resources import datasets

    monkeypatch.setattr(datasets, "DF_CHUNK_CELLS", 10)
    df = pd.DataFrame({f"c{i}": [i, i + 1, i + 2] for i in range(40)})
    chunks = _texts(datasets._df_csv_chunks(df, False))
    assert len(chunks) == 3
    assert "".join(chunks) == df.to_csv(index=False)


def test_a_wide_dataframe_uploads_in_many_chunks_and_round_trips(
    dataset, monkeypatch: pytest.MonkeyPatch
):
    pd = pytest.importorskip("pandas")
    from alphacast.resources import datasets

    monkeypatch.setattr(datasets, "DF_CHUNK_CELLS", 100)
    df = pd.DataFrame(
        {"Date": [f"20{y:02d}-01-01" for y in range(30)], "country": ["AR"] * 30}
        | {f"v{i}": range(i, i + 30) for i in range(20)}
    )
    process = json.loads(
        dataset.upload_data_from_df(
            df,
            deleteMissingFromDB=True,
            uploadIndex=False,
            dateColumnName="Date",
            dateFormat="%Y-%m-%d",
            entitiesColumnNames=["country"],
        )
    )
    for _ in range(200):
        state = json.loads(dataset.process(process["id"]))
        if state["status"] not in ("Requested", "Processing"):
            break
        time.sleep(0.05)
    assert state["status"] == "Processed", state
    rows = dataset.download_data(format="json")
    assert len(rows) == 30
    assert sorted(r["v19"] for r in rows) == list(range(19, 49))


# -- a body cut short, a planted partial file ------------------------------------------


@contextmanager
def cutting_server(head: bytes, body: bytes) -> Iterator[str]:
    """A real HTTP server that answers every request with ``head`` and ``body`` and
    then closes the connection: a body cut short, as a dying proxy or server leaves it."""

    def cut(conn: socket.socket) -> None:
        conn.sendall(head + body)
        conn.shutdown(socket.SHUT_RDWR)

    with raw_server(cut) as url:
        yield url


_ROWS = b"Date,country,value\n" + b"2020-01-01,AR,1\n" * 200
CUT_BODIES = {
    # one whole chunk, then the announced next chunk stops half way: ChunkedEncodingError
    "chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"%x\r\n%s\r\n1000\r\n2021-01-01,AR" % (len(_ROWS), _ROWS),
    ),
    # fewer bytes than Content-Length promised: urllib3 ProtocolError (IncompleteRead)
    "content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n"
        % (len(_ROWS) + 5000),
        _ROWS,
    ),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("cut", sorted(CUT_BODIES))
def test_a_body_cut_short_is_a_connection_error_and_leaves_nothing(tmp_path: Path, cut: str):
    from alphacast import AlphacastError, ConnectionFailedError

    head, body = CUT_BODIES[cut]
    tmp_path = tmp_path / "downloads"
    tmp_path.mkdir()
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous download\n")
    with cutting_server(head, body) as url:
        with Alphacast("ak_stream_test_123456", api_url=url, workspace_url=url) as client:
            ds = client.datasets.dataset(9)
            with pytest.raises(ConnectionFailedError, match="failed while streaming") as caught:
                ds.download_data(path=target)
            assert f"the download of {url}/datasets/9/data" in str(caught.value)
            assert "ak_stream_test_123456" not in str(caught.value)
            assert caught.value.__context__ is None and caught.value.__cause__ is None
            assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"], (
                "a partial file is left"
            )
            assert target.read_bytes() == b"previous download\n"
            with pytest.raises(ConnectionFailedError):
                ds.download_data(path=io.BytesIO())
            pytest.importorskip("pandas")
            with pytest.raises(AlphacastError, match="failed while streaming"):
                ds.download_data(format="pandas")


def test_a_planted_partial_file_symlink_is_never_followed(dataset, tmp_path: Path):
    upload_and_wait(dataset, CSV)
    tmp_path = tmp_path / "downloads"
    tmp_path.mkdir()
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    target = tmp_path / "out.csv"
    planted = tmp_path / "out.csv.part"
    planted.symlink_to(victim)
    dataset.download_data(path=target)
    assert victim.read_bytes() == b"precious\n"
    assert planted.is_symlink() and planted.readlink() == victim
    assert target.read_bytes() == dataset.download_data(format="csv")
    assert not target.is_symlink()
    leftovers = [
        p.name for p in tmp_path.iterdir() if p.name not in ("victim", "out.csv", "out.csv.part")
    ]
    assert leftovers == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("length", ["12abc", "\xb2", "-5"])
def test_a_malformed_content_length_is_never_a_raw_value_error(tmp_path: Path, length: str):
    from alphacast import AlphacastError

    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nConnection: close\r\nContent-Length: "
        + length.encode("latin-1")
        + b"\r\n\r\n"
    )
    target = tmp_path / "out.csv"
    with cutting_server(head, _ROWS) as url:
        with Alphacast("ak_stream_test_123456", api_url=url, workspace_url=url) as client:
            try:
                client.datasets.dataset(9).download_data(path=target)
            except AlphacastError as exc:  # refused by the HTTP layer: fine, but ours
                assert "ak_stream_test_123456" not in str(exc)
                assert sorted(p.name for p in tmp_path.iterdir()) == []
            else:
                assert target.read_bytes() == _ROWS
