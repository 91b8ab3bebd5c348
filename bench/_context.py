"""What every benchmark case shares: settings, the emulator, and the results.

The orchestrator talks to the emulator through this SDK only to set things up
(repositories, datasets, waiting for upload processing), never inside a timed
section: timed work happens in the worker processes.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from _common import log
from _report import Results

KEY = "ak_bench_0123456789abcdef"
ACCOUNT = "bench"

#: Process states that mean "not finished yet" (anything else is final).
PENDING = {"requested", "pending", "queued", "processing", "running", "inprogress", "started"}
#: Final states that mean success.
SUCCEEDED = {"processed", "success", "succeeded", "completed", "complete", "done", "finished", "ok"}


@dataclass
class Context:
    results: Results
    quick: bool
    size_mb: int
    calls: int
    reps_metadata: int
    reps_import: int
    reps_transfer: int
    api_url: str = ""
    workspace_url: str = ""
    ca_file: str = ""
    client: Any = None
    repository_id: int = 0
    #: A dataset holding the generated CSV, kept by the upload case for downloads.
    download_dataset: int | None = None
    _names: int = field(default=0, repr=False)

    def endpoint_args(self, dataset_id: int) -> list[str]:
        args = ["--api-url", self.api_url, "--workspace-url", self.workspace_url]
        args += ["--key", KEY, "--dataset", str(dataset_id)]
        return args + (["--ca-file", self.ca_file] if self.ca_file else [])

    def create_dataset(self, name: str) -> int:
        self._names += 1
        created = self.client.datasets.create(f"{name}-{self._names}", self.repository_id)
        return int(created["id"])

    def delete_dataset(self, dataset_id: int) -> None:
        self.client.datasets.dataset(dataset_id).delete()

    def wait_processed(self, dataset_id: int, process: Any, timeout: float = 1800) -> float:
        """Wait until the emulator has processed an upload; the seconds it took.

        Raises RuntimeError if the processing failed: the upload measured would
        not have been a valid one.
        """
        process_id = process.get("id") if isinstance(process, dict) else None
        if process_id is None:
            raise RuntimeError(f"the upload returned no process id: {process!r}")
        started = time.monotonic()
        dataset = self.client.datasets.dataset(dataset_id)
        while True:
            record = json.loads(dataset.process(process_id))
            status = str(record.get("status", "")).replace(" ", "").replace("_", "").lower()
            if status not in PENDING:
                break
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"upload process {process_id} still {status} after {timeout} s")
            time.sleep(0.2)
        elapsed = time.monotonic() - started
        if status not in SUCCEEDED:
            raise RuntimeError(f"upload process {process_id} ended {record!r}")
        log(
            f"  emulator processed upload {process_id} ({status}) {elapsed:.1f} s after it returned"
        )
        return elapsed
