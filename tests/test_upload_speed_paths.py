"""The fast upload paths: parallel deflate into one gzip member, and the DataFrame's CSV.

Speed itself is measured in ``bench/``; these tests hold what speed must not change:
the bytes a decoder reads back, the gzip's shape, and the rows the emulator stores.
"""

from __future__ import annotations

import gzip
import json
import random
import shutil
import subprocess
import time
import zlib
from pathlib import Path

import pytest

from alphacast import Alphacast
from alphacast.resources import _upload
from alphacast.resources._upload import gzip_to_spool

from .conftest import ALICE_KEY


def _csv(rows: int, seed: int = 6) -> bytes:
    rng = random.Random(seed)
    lines = ["Date,country,value\n"]
    for i in range(rows):
        day = f"{1900 + i // 365:04d}-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"{day},C{i:06d},{rng.uniform(0, 1000):.4f}\n")
    return "".join(lines).encode()


def _one_member(data: bytes) -> bytes:
    """The content of ``data``, which must be exactly one gzip member."""
    engine = zlib.decompressobj(31)
    content = engine.decompress(data)
    assert engine.eof and engine.unused_data == b"", "not exactly one gzip member"
    return content


@pytest.mark.parametrize("block", [1000, 4096, 1 << 15, 100_000])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_parallel_deflate_makes_one_member_that_decodes_to_the_source(
    monkeypatch: pytest.MonkeyPatch, block: int, workers: int
):
    monkeypatch.setattr(_upload, "BLOCK", block)
    source = _csv(5000)
    pieces = list(_upload.gzip_blocks(source, workers=workers))
    assert sum(consumed for consumed, _ in pieces) == len(source)
    data = b"".join(piece for _, piece in pieces)
    assert _one_member(data) == source
    assert gzip.decompress(data) == source


def test_blocks_keep_the_ratio_of_one_stream(monkeypatch: pytest.MonkeyPatch):
    """Each block is primed with the previous block's window, so cutting the source
    costs almost nothing in size."""
    source = _csv(40_000)
    monkeypatch.setattr(_upload, "BLOCK", 1 << 16)
    spool = gzip_to_spool(source)
    blocked = len(spool.read())
    spool.close()
    whole = len(gzip.compress(source, compresslevel=_upload.GZIP_LEVEL))
    assert blocked < whole * 1.02


def test_standard_gzip_tool_accepts_the_upload(tmp_path: Path):
    tool = shutil.which("gzip")
    if tool is None:
        pytest.skip("no gzip tool")
    source = _csv(150_000)  # several real blocks
    assert len(source) > 3 * _upload.BLOCK
    spool = gzip_to_spool(source)
    target = tmp_path / "data.csv.gz"
    target.write_bytes(spool.read())
    spool.close()
    subprocess.run([tool, "-t", str(target)], check=True)
    assert (
        subprocess.run([tool, "-dc", str(target)], capture_output=True, check=True).stdout == source
    )


def test_empty_sources_are_refused():
    for empty in (b"", "", iter([]), iter(["", ""])):
        with pytest.raises(ValueError, match="empty"):
            gzip_to_spool(empty)


def test_a_failing_source_stops_the_upload():
    def lines():
        yield "a,b\n"
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        gzip_to_spool(lines())


@pytest.fixture
def dataset(emulator):
    client = Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    repo = client.repository.create(f"speed paths {time.monotonic_ns()}")
    ds = client.datasets.dataset(client.datasets.create("speed", repo["id"])["id"])
    yield ds
    client.close()


def _wait(ds, response: bytes) -> dict:
    process = json.loads(response)
    for _ in range(600):
        state = json.loads(ds.process(process["id"]))
        if state["status"] not in ("Requested", "Processing"):
            return state
        time.sleep(0.05)
    raise AssertionError("never processed")


def test_a_multi_block_upload_is_ingested_whole(dataset, tmp_path: Path):
    source = _csv(150_000)
    path = tmp_path / "big.csv"
    path.write_bytes(source)
    state = _wait(
        dataset,
        dataset.upload_data_from_csv(
            path, dateColumnName="Date", dateFormat="%Y-%m-%d", entitiesColumnNames="country"
        ),
    )
    assert state["status"] == "Processed", state
    assert dataset.download_data(format="csv").count(b"\n") == 150_001


# -- a DataFrame's CSV: pyarrow's writer and pandas' store the same data ----------------


def _frame():
    pd = pytest.importorskip("pandas")
    days = pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01", None, "2020-05-01"])
    return pd.DataFrame(
        {
            "Date": days.fillna(pd.Timestamp("2020-04-01")),
            "country": ["AR", 'Say "hi", then', "UY", "a,b", "BR"],
            "price": [1.0, 1e-05, float("nan"), 0.1 + 0.2, -2.5e20],
            "count": [1, 2, 3, 4, 5],
            "note": ["plain", None, "x", "", "y"],
            "seen": days,
        },
        index=pd.Index([10, 11, 12, 13, 14], name="row"),
    )


@pytest.mark.parametrize("index", [False, True])
def test_pyarrow_and_pandas_csv_are_stored_identically(emulator, index: bool):
    pytest.importorskip("pyarrow")
    from alphacast.resources._frame_csv import frame_csv_chunks

    frame = _frame()
    client = Alphacast(ALICE_KEY, api_url=emulator.api_url, workspace_url=emulator.workspace_url)
    repo = client.repository.create(f"frame csv {time.monotonic_ns()}")
    stored = {}
    with client:
        for engine in ("pandas", "pyarrow"):
            ds = client.datasets.dataset(client.datasets.create(engine, repo["id"])["id"])
            chunks = list(frame_csv_chunks(frame, index, rows=2, engine=engine))
            assert len(chunks) == 3
            state = _wait(
                ds,
                ds.upload_data_from_csv(
                    iter(chunks),
                    dateColumnName="Date",
                    dateFormat="%Y-%m-%d",
                    entitiesColumnNames="country",
                    stringColumnNames="note",
                ),
            )
            assert state["status"] == "Processed", (engine, state)
            stored[engine] = sorted(ds.download_data(format="json"), key=lambda r: r["country"])
    assert stored["pyarrow"] == stored["pandas"]
    assert len(stored["pandas"]) == 5
    assert {r["country"] for r in stored["pandas"]} >= {'Say "hi", then', "a,b"}


def _text(chunks) -> str:
    return "".join(c.decode() if isinstance(c, bytes) else c for c in chunks)


@pytest.mark.parametrize("rows", [1, 2, 5])
@pytest.mark.parametrize("index", [False, True])
def test_pyarrow_writes_pandas_bytes(index: bool, rows: int):
    """Byte for byte: the service infers a column's type from its text (``1.0`` is a
    float, ``1`` an integer), so "the same values" is not enough."""
    pytest.importorskip("pyarrow")
    from alphacast.resources._frame_csv import frame_csv_chunks

    frame = _frame()
    assert _text(frame_csv_chunks(frame, index, rows, engine="pyarrow")) == frame.to_csv(
        index=index
    )


def test_pyarrow_writes_the_chunks_it_can_and_pandas_the_others():
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    from alphacast.resources._frame_csv import frame_csv_chunks

    numbers = [1.0, -0.0, 0.0, 123456.789, 0.1 + 0.2, float("nan"), 9_999_999_999.5, 2.0]
    # "b,c" is quoted by pyarrow's path; a control character that the path uses as
    # a stand-in ("\x01") sends its chunk through pandas.
    strings = ["a"] * 4 + ['b,c', 'say "hi"', "x\ny", "r\rs"] + ["d\x01e"] * 4
    frame = pd.DataFrame({"v": numbers + [1e-05, 3.0, 1e20, 4.0], "s": strings})
    chunks = list(frame_csv_chunks(frame, False, rows=4, engine="pyarrow"))
    assert [type(c) for c in chunks] == [bytes, bytes, str]
    assert _text(chunks) == frame.to_csv(index=False)
    assert chunks[0].startswith(b"v,s\n1.0,a\n-0.0,a\n0.0,a\n")
    assert chunks[1].startswith(b'0.30000000000000004,"b,c"\n,"say ""hi"""\n9999999999.5,"x\ny"\n')



@pytest.mark.parametrize("engine", ["pyarrow", "pandas"])
def test_lines_end_in_newline_whatever_the_platform_line_separator(monkeypatch, engine):
    """pandas ends lines with os.linesep (\r\n on Windows) unless told otherwise; the
    pyarrow path and the pandas chunks of one upload must not mix two line endings."""
    if engine == "pyarrow":
        pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    from alphacast.resources._frame_csv import frame_csv_chunks

    frame = pd.DataFrame({"v": [1.5, 2.0, 3.25, 4.0], "s": ["a", "b,c", "d\x01e", "f"]})
    expected = _text(frame_csv_chunks(frame, False, rows=2, engine=engine))
    monkeypatch.setattr("os.linesep", "\r\n")
    windows = _text(frame_csv_chunks(frame, False, rows=2, engine=engine))
    assert windows == expected
    assert "\r\n" not in windows and windows.count("\n") == len(frame) + 1

def wide_frame(rows: int, seed: int = 64):
    """64 columns as a panel holds them: a date and an entity, then dates (some
    missing), floats of every size (some NaN), integers, nullable integers, and
    strings with commas, quotes, line breaks, empty and missing values."""
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    words = np.array(
        ["plain", "a, b", 'say "hi"', 'both, "q"', "line\nbreak", "", "x" * 30, "ünï", "r\rn"],
        dtype=object,
    )
    columns: dict[str, object] = {
        "Date": pd.date_range("1990-01-01", periods=rows, freq="D"),
        "Entity": [f"E{i % 997:04d}" for i in range(rows)],
    }
    for i in range(62):
        kind = i % 6
        missing = rng.random(rows) < 0.03
        if kind == 0:
            values = rng.normal(0, 1, rows) * 10.0 ** rng.integers(-6, 12, rows)
            values[missing] = np.nan
            columns[f"float{i}"] = values.round(rng.integers(0, 8))
        elif kind == 1:
            columns[f"int{i}"] = rng.integers(-(10**9), 10**9, rows)
        elif kind == 2:
            ints = pd.array(rng.integers(0, 10**6, rows), dtype="Int64")
            ints[missing] = pd.NA
            columns[f"intna{i}"] = ints
        elif kind == 3:
            text = words[rng.integers(0, len(words), rows)].copy()
            text[missing] = None
            columns[f"text{i}"] = text
        elif kind == 4:
            days = pd.Series(pd.to_datetime("2000-01-01") + pd.to_timedelta(rng.integers(0, 9000, rows), "D"))
            days[missing] = pd.NaT
            columns[f"day{i}"] = days
        else:
            columns[f"price{i}"] = rng.uniform(1, 1000, rows).round(4)
    return pd.DataFrame(columns)


@pytest.mark.parametrize("index", [False, True])
def test_a_64_column_frame_is_written_by_pyarrow_byte_for_byte_as_pandas(index: bool):
    pytest.importorskip("pyarrow")
    from alphacast.resources import datasets
    from alphacast.resources._frame_csv import frame_csv_chunks

    frame = wide_frame(3000)
    assert frame.shape[1] == 64
    expected = frame.to_csv(index=index)
    arrow = list(frame_csv_chunks(frame, index, rows=700, engine="pyarrow"))
    assert all(isinstance(c, bytes) for c in arrow), "a chunk fell back to pandas"
    assert _text(arrow) == expected
    assert _text(frame_csv_chunks(frame, index, rows=700, engine="pandas")) == expected
    # the upload's own chunking (by cells) gives the same text
    assert _text(datasets._df_csv_chunks(frame, index)) == expected


def test_columns_pyarrow_would_write_differently_go_through_pandas():
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    from alphacast.resources._frame_csv import frame_csv_chunks

    for frame in (
        pd.DataFrame({"flag": [True, False]}),
        pd.DataFrame({"at": pd.to_datetime(["2020-01-01 10:30", "2020-01-02 00:00"])}),
        pd.DataFrame({"mixed": ["a", 1]}),
        pd.DataFrame({"kind": pd.Categorical(["a", "b"])}),
    ):
        chunks = list(frame_csv_chunks(frame, False, rows=10))
        assert chunks == [frame.to_csv(index=False)]
        with pytest.raises(ValueError, match="differently"):
            list(frame_csv_chunks(frame, False, rows=10, engine="pyarrow"))


def test_a_dataframe_upload_takes_the_pyarrow_path_when_installed(dataset):
    pytest.importorskip("pyarrow")
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(
        {
            "Date": pd.to_datetime(["2020-01-01", "2021-01-01"]),
            "country": ["AR", "UY"],
            "v": [1.5, 2.0],
        }
    )
    from alphacast.resources import datasets

    assert all(isinstance(c, bytes) for c in datasets._df_csv_chunks(frame, False))
    state = _wait(
        dataset,
        dataset.upload_data_from_df(
            frame,
            uploadIndex=False,
            dateColumnName="Date",
            dateFormat="%Y-%m-%d",
            entitiesColumnNames="country",
        ),
    )
    assert state["status"] == "Processed", state
    assert sorted(r["v"] for r in dataset.download_data(format="json")) == [1.5, 2.0]


def test_floats_of_every_magnitude_are_written_as_pandas_writes_them():
    pytest.importorskip("pyarrow")
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    from alphacast.resources._frame_csv import frame_csv_chunks

    rng = np.random.default_rng(2)
    values = rng.uniform(-1, 1, 20_000) * 10.0 ** rng.integers(-12, 25, 20_000)
    extremes = [0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 1.7976931348623157e308, 1e16, 1e-4]
    frame = pd.DataFrame({"v": np.concatenate([values, extremes])})
    with np.errstate(over="ignore"):  # rounding 1.8e308 overflows to inf, as pandas does
        frame["rounded"] = frame["v"].round(3)
    chunks = list(frame_csv_chunks(frame, False, 3000, engine="pyarrow"))
    assert all(isinstance(c, bytes) for c in chunks)
    assert _text(chunks) == frame.to_csv(index=False)
