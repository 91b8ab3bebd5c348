"""A small progress bar for uploads and downloads: bytes, rate and ETA."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress", "human_bytes"]


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"  # pragma: no cover - loop always returns


class Progress:
    """Counts bytes and, when enabled, redraws one line on ``stream``.

    Redraws at most ten times a second, so it costs nothing per chunk.
    """

    def __init__(
        self, label: str, total: int | None, *, enabled: bool, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self.total = total
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.done = 0
        self._started = time.monotonic()
        self._drawn = 0.0

    def update(self, count: int) -> None:
        self.done += count
        if self.enabled and time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def _draw(self, final: bool = False) -> None:
        now = time.monotonic()
        self._drawn = now
        elapsed = max(now - self._started, 1e-6)
        rate = self.done / elapsed
        line = f"{self.label}: {human_bytes(self.done)}"
        if self.total:
            line += f" / {human_bytes(self.total)} ({100 * self.done / self.total:.0f}%)"
        line += f"  {human_bytes(rate)}/s"
        if self.total and rate > 0 and not final:
            line += f"  ETA {max(0.0, (self.total - self.done) / rate):.0f}s"
        if final:
            line += f"  in {elapsed:.1f}s"
        self.stream.write("\r" + line.ljust(70) + ("\n" if final else ""))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(final=True)
