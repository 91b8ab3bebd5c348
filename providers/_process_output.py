"""A credential command's run, bounded: its stdout and stderr read until closed, up
to a deadline and a size limit, and its whole process group killed when the run
must end (see :mod:`alphacast.providers.process`).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when a command is run
    import subprocess

#: Bytes read at most from each of the command's stdout and stderr.
OUTPUT_LIMIT = 1 << 20
WINDOWS = sys.platform == "win32"
_CHUNK = 65536


class Output:
    """What a command prints on stdout and stderr, read until both are closed
    (:attr:`complete`), the deadline passes, or one exceeds :data:`OUTPUT_LIMIT`
    (named by :attr:`overflow`).

    POSIX: one loop over both pipes with :mod:`selectors`, as
    :meth:`subprocess.Popen.communicate` does, but bounded. Windows, where pipes
    cannot be selected: a reader thread per pipe, as ``communicate`` does there.
    """

    def __init__(self, process: subprocess.Popen[bytes], deadline: float) -> None:
        assert process.stdout is not None and process.stderr is not None
        self._pipes = {process.stdout.fileno(): "stdout", process.stderr.fileno(): "stderr"}
        self._buffers = {"stdout": bytearray(), "stderr": bytearray()}
        self._lock = threading.Lock()
        self.overflow: str | None = None
        self.complete = False
        if WINDOWS:
            self._read_with_threads(deadline)
        else:
            self._read_with_select(deadline)
        with self._lock:
            self.stdout = bytes(self._buffers["stdout"])
            self.stderr = bytes(self._buffers["stderr"])

    def _keep(self, name: str, chunk: bytes) -> bool:
        """Add ``chunk`` to what ``name`` printed; False once over the limit."""
        with self._lock:
            buffer = self._buffers[name]
            room = OUTPUT_LIMIT - len(buffer)
            buffer += chunk[:room]
            if len(chunk) > room:
                self.overflow = self.overflow or name
                return False
            return self.overflow is None

    def _read_with_select(self, deadline: float) -> None:
        import selectors

        with selectors.DefaultSelector() as selector:
            for fd, name in self._pipes.items():
                selector.register(fd, selectors.EVENT_READ, name)
            while selector.get_map():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                for key, _ in selector.select(remaining):
                    chunk = os.read(key.fd, _CHUNK)
                    if not chunk:
                        selector.unregister(key.fd)
                    elif not self._keep(key.data, chunk):
                        return
        self.complete = True

    def _read_with_threads(self, deadline: float) -> None:
        done = threading.Event()
        readers = [
            threading.Thread(target=self._drain, args=(fd, name, done), daemon=True)
            for fd, name in self._pipes.items()
        ]
        for reader in readers:
            reader.start()
        while any(reader.is_alive() for reader in readers) and self.overflow is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            done.wait(min(remaining, 0.05))
            done.clear()
        self.complete = self.overflow is None

    def _drain(self, fd: int, name: str, done: threading.Event) -> None:
        try:
            while (chunk := os.read(fd, _CHUNK)) and self._keep(name, chunk):
                pass
        except OSError:  # the pipe was closed after the deadline
            pass
        finally:
            done.set()


def has_exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the command has exited, without reaping it where the platform allows:
    its pid, which names its process group, stays reserved until it is killed."""
    waitid = getattr(os, "waitid", None)
    if waitid is None:
        return process.poll() is not None
    try:
        return waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # already reaped
        return True


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill the command and every process in its group, then reap the command."""
    import signal
    import subprocess

    if WINDOWS:
        taskkill = os.path.join(
            os.environ.get("SystemRoot", r"C:\Windows"), "System32", "taskkill.exe"
        )
        subprocess.run(
            [taskkill, "/F", "/T", "/PID", str(process.pid)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
    else:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        process.kill()
    process.wait()
