"""Uploads from every kind of source, downloads to paths and files, progress."""

from __future__ import annotations

import gzip
import io
import json
import time
from pathlib import Path

import pytest

from alphacast import Alphacast

from .conftest import ALICE_KEY
from .recording_server import Reply, recording_server

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

    with recording_server(lambda seen: Reply(body=b'{"id": 1, "status": "Requested"}')) as server:
        with Alphacast("ak_stream_test_123456", api_url=server.url, workspace_url=server.url) as client:
            client.datasets.dataset(9).upload_data_from_csv(CSV, dateColumnName="Date", dateFormat="%Y-%m-%d")
        seen = server.seen[0]
    assert seen.method == "PUT"
    assert seen.path.startswith("/datasets/9/data?deleteMissingFromDB=False&onConflictUpdateDB=False")
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
