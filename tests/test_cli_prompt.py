"""``alphacast auth set`` on a real terminal: a pseudo-terminal in place of the
user's, the key typed at a prompt that does not echo it."""

from __future__ import annotations

import configparser
import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pty = pytest.importorskip("pty")  # POSIX only

KEY = "Pt7promptQ2mZ9xW4vB8nRk3"
PROMPT = b"Alphacast API key (input hidden): "
DEADLINE_SECONDS = 60.0

# getpass reads the controlling terminal (/dev/tty) when the process has one, else
# stdin when that is a terminal: both are tried. The child always starts a session
# of its own, so /dev/tty can never be the terminal pytest itself runs in.
_WITH_CONTROLLING_TTY = (
    "import fcntl, runpy, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "runpy.run_module('alphacast', run_name='__main__', alter_sys=True)"
)
COMMANDS = {
    "controlling-tty": [sys.executable, "-c", _WITH_CONTROLLING_TTY],
    "stdin-tty-only": [sys.executable, "-m", "alphacast"],
}


class Terminal:
    """The user's side of a pseudo-terminal: what was shown, and typing."""

    def __init__(self, master: int) -> None:
        self.master = master
        self.shown = b""

    def read_until(self, wanted: bytes, process: subprocess.Popen[bytes], deadline: float) -> None:
        while wanted not in self.shown:
            if time.monotonic() > deadline:
                pytest.fail(f"no {wanted!r} on the terminal in time; it showed {self.shown!r}")
            if process.poll() is not None and not self._read(0):
                pytest.fail(f"exited {process.returncode} before {wanted!r}; showed {self.shown!r}")
            self._read(0.1)

    def drain(self) -> None:
        while self._read(0.1):
            pass

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            piece = os.read(self.master, 4096)
        except OSError:  # EIO: no process holds the other side any more
            return False
        self.shown += piece
        return bool(piece)

    def type(self, text: bytes) -> None:
        os.write(self.master, text)


@pytest.mark.parametrize("how", list(COMMANDS))
def test_auth_set_prompts_on_a_terminal_without_echoing_the_key(isolated_env: Path, how: str):
    master, slave = pty.openpty()
    terminal = Terminal(master)
    deadline = time.monotonic() + DEADLINE_SECONDS
    process = subprocess.Popen(
        [*COMMANDS[how], "auth", "set", "prod", "--store", "shared-file"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "HOME": str(isolated_env)},
        start_new_session=True,
    )
    try:
        terminal.read_until(PROMPT, process, deadline)
        # getpass turned echo off before it showed the prompt
        assert not termios.tcgetattr(slave)[3] & termios.ECHO
        terminal.type(KEY.encode() + b"\r")  # Enter sends a carriage return
        terminal.read_until(b"stored the key", process, deadline)
        returncode = process.wait(timeout=max(1.0, deadline - time.monotonic()))
        terminal.drain()
        # and turned it back on before leaving
        assert termios.tcgetattr(slave)[3] & termios.ECHO
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(slave)
        os.close(master)
    assert returncode == 0, terminal.shown
    shown = terminal.shown.decode("utf-8", "replace")
    assert "stored the key for profile 'prod' in ~/.alphacast/credentials [prod]" in shown
    for secret in (KEY, KEY[:8], KEY[-8:]):
        assert secret not in shown, f"the terminal showed the key: {shown!r}"
    stored = configparser.ConfigParser()
    path = isolated_env / ".alphacast" / "credentials"
    stored.read(path)
    assert stored["prod"]["api_key"] == KEY
    assert oct(path.stat().st_mode & 0o777) == "0o600"
