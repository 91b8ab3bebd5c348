"""The sink server (``workers/sink.py``) in its own process, for the transfer cases.

Uploads and downloads are measured against it rather than the emulator, whose
ingest and CSV export cost more CPU than the client being measured.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _common import PYTHON, WORKERS, log, neutral_dir, worker_env

KEY = "ak_bench_0123456789abcdef"


@contextmanager
def sink(served: Path) -> Iterator[str]:
    """A sink serving ``served`` to GETs; its base URL."""
    proc = subprocess.Popen(
        [PYTHON, str(WORKERS / "sink.py"), str(served)],
        cwd=neutral_dir(),
        env=worker_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = f"http://127.0.0.1:{int(proc.stdout.readline())}"
        log(f"sink at {url} (discards uploads, serves {served.name})")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def endpoint_args(url: str) -> list[str]:
    return ["--api-url", url, "--workspace-url", url, "--key", KEY, "--dataset", "1"]
