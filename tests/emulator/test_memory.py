"""A large upload and download through an emulator process keep its memory bounded:
the body is spooled to disk, the CSV parsed incrementally, the download streamed."""

from __future__ import annotations

import datetime as dt
import json
import signal
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
import requests

KEY = "ak_memory_000000000001"
ROWS = 400_000


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def gzip_csv_pieces():
    compressor = zlib.compressobj(1, zlib.DEFLATED, 31)  # gzip framing
    yield compressor.compress(b"Date,country,a,b,c\n")
    start = dt.date(1900, 1, 1)
    days = [str(start + dt.timedelta(days=n)) for n in range(ROWS // 50 + 1)]
    batch = []
    for i in range(ROWS):  # 50 countries a day: every row has its own key
        batch.append(f"{days[i // 50]},C{i % 50},{i * 1.5},{i},x{i % 7}\n")
        if len(batch) == 20000:
            yield compressor.compress("".join(batch).encode())
            batch = []
    yield compressor.compress("".join(batch).encode()) + compressor.flush()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_large_upload_and_download_keep_memory_bounded():
    proc = subprocess.Popen([sys.executable, "-m", "alphacast.emulator", "--json", "--account", f"m={KEY}"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        url = info["api_url"]
        with requests.Session() as session:
            session.auth = (KEY, "")
            repo = session.post(url + "/repositories", data={"name": "big"}).json()["id"]
            dataset = session.post(url + "/datasets", data={"name": "big", "repositoryId": repo}).json()["id"]
            body = {"dateColumnName": "Date", "entitiesColumnNames": ["country"], "dateFormat": "%Y-%m-%d"}
            session.put(f"{url}/datasets/{dataset}/columns/initializer", json=body).raise_for_status()
            baseline = peak_rss_mb(proc.pid)
            # a raw chunked gzip body (no multipart), so neither side ever holds it whole
            r = session.put(f"{url}/datasets/{dataset}/data?deleteMissingFromDB=False", data=gzip_csv_pieces(),
                            headers={"Content-Type": "application/gzip"})
            process = r.json()
            for _ in range(1200):
                state = session.get(f"{url}/datasets/{dataset}/processes/{process['id']}").json()
                if state["status"] not in ("Requested", "Processing"):
                    break
                time.sleep(0.05)
            assert state["status"] == "Processed", state
            size = 0
            with session.get(f"{url}/datasets/{dataset}/data?$format=csv", stream=True) as download:
                for piece in download.iter_content(256 * 1024):
                    size += len(piece)
            lines = 0
            with session.get(f"{url}/datasets/{dataset}/data?$format=json", stream=True) as download:
                for _ in download.iter_lines(chunk_size=256 * 1024):
                    lines += 1
        growth = peak_rss_mb(proc.pid) - baseline
        assert size > 7_000_000 and lines == ROWS
        assert growth < 60, f"the emulator grew by {growth:.0f} MB for a {size / 1e6:.0f} MB dataset"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
