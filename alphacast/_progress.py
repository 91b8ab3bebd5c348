"""A small progress bar for uploads and downloads: bytes, rate and ETA.

One line on a terminal, redrawn in place: cut to the terminal's width (a line that
wraps cannot be redrawn with ``\\r``), padded so a shorter line hides a longer one.
An operation may have phases (an upload compresses, then sends): each has its own
count, rate and ETA, while the elapsed time shown at the end is the whole operation's.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO

__all__ = ["Progress", "human_bytes", "terminal_width"]

#: Width used when the stream is not a terminal and ``COLUMNS`` is not set.
DEFAULT_WIDTH = 80


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GB"  # pragma: no cover - loop always returns


def terminal_width(stream: TextIO) -> int:
    """``COLUMNS`` when set (as ``shutil.get_terminal_size`` honours it), else the width
    of the terminal ``stream`` writes to (stderr, not stdout), else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
        if columns > 0:
            return columns
    except ValueError:
        pass
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_WIDTH
    except (AttributeError, ValueError, OSError):
        return DEFAULT_WIDTH


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
        self.step = ""
        self._started = time.monotonic()
        self._step_started = self._started
        self._drawn = 0.0

    @property
    def elapsed(self) -> float:
        """Seconds since the operation started (every phase)."""
        return time.monotonic() - self._started

    def phase(self, step: str, total: int | None) -> None:
        """Start a phase (``compressing``, ``sending``): its own count, rate and ETA."""
        self.step = step
        self.total = total
        self.done = 0
        self._step_started = time.monotonic()
        if self.enabled:
            self._draw()

    def update(self, count: int) -> None:
        self.done += count
        if self.enabled and time.monotonic() - self._drawn >= 0.1:
            self._draw()

    def counted(self) -> str:
        """``1.5 MB / 3.0 MB (50%)``: this phase's bytes, of its total when known."""
        text = human_bytes(self.done)
        if self.total:
            percent = min(100.0, 100 * self.done / self.total)
            text += f" / {human_bytes(self.total)} ({percent:.0f}%)"
        return text

    def _line(self) -> str:
        step_elapsed = max(time.monotonic() - self._step_started, 1e-6)
        rate = self.done / step_elapsed
        line = f"{self.label}: {self.step + ' ' if self.step else ''}{self.counted()}"
        line += f"  {human_bytes(rate)}/s"
        if self.total and rate > 0:
            line += f"  ETA {max(0.0, (self.total - self.done) / rate):.0f}s"
        return line

    def _write(self, line: str, end: str = "") -> None:
        width = max(terminal_width(self.stream) - 1, 10)  # the last column would wrap
        self.stream.write("\r" + line[:width].ljust(width) + end)
        self.stream.flush()

    def _draw(self) -> None:
        self._drawn = time.monotonic()
        self._write(self._line())

    def abandon(self) -> None:
        """End the line drawn so far (the operation failed; its error follows)."""
        if self.enabled and self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def close(self, summary: str | None = None) -> None:
        """The final line: ``summary`` (default: :meth:`counted`) and the elapsed time
        since the start."""
        if self.enabled:
            what = summary if summary is not None else self.counted()
            self._write(f"{self.label}: {what} in {self.elapsed:.1f}s", "\n")
