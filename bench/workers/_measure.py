"""Measuring inside a worker process: peak RSS growth, and the JSON result line.

Standard library only: the workers run under this SDK's interpreter and under
the reference 0.1.9 virtual environment alike.
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from typing import Any

MB = 1024 * 1024


def _status(field: str) -> int:
    """A ``/proc/self/status`` memory field, in bytes."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss() -> int:
    return _status("VmRSS")


def _reset_high_water_mark() -> bool:
    """Reset the kernel's VmHWM to the current RSS (Linux >= 4.0), if allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return _status("VmHWM") <= rss() + 64 * 1024


class PeakRSS:
    """Peak resident memory between ``__enter__`` and ``__exit__``.

    The baseline is taken on entry (after a garbage collection). The peak is the
    kernel's high-water mark, reset on entry through ``/proc/self/clear_refs``,
    cross-checked by a thread sampling VmRSS every 2 ms (the only source if the
    reset is not permitted).
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.baseline = 0
        self.peak = 0
        self.method = ""
        self._stop = threading.Event()
        self._sampled = 0
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            self._sampled = max(self._sampled, rss())

    def __enter__(self) -> PeakRSS:
        gc.collect()
        self.baseline = rss()
        self._sampled = self.baseline
        self.reset = _reset_high_water_mark()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        peaks = [self._sampled, rss()]
        if self.reset:
            peaks.append(_status("VmHWM"))
            self.method = "VmHWM after clear_refs, and 2 ms VmRSS sampling"
        else:
            self.method = "2 ms VmRSS sampling"
        self.peak = max(peaks)

    @property
    def growth(self) -> int:
        return self.peak - self.baseline

    def as_dict(self) -> dict[str, Any]:
        return {
            "baseline_rss": self.baseline,
            "peak_rss": self.peak,
            "rss_growth": self.growth,
            "rss_method": self.method,
        }


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.seconds = time.perf_counter() - self.started


def emit(result: dict[str, Any]) -> None:
    """Print the worker's result as the last line of its output."""
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
