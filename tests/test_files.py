"""alphacast.secrets, its files: permission checks, private creation, locking, atomic writes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from alphacast import CredentialError
from alphacast.secrets import atomic_write, read_secret_file, update_secret_file

SECRET = b"ak_files_0123456789abcdef"


def _secret(path, mode=0o600, data=SECRET):
    path.write_bytes(data)
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666, 0o700 | 0o010])
def test_group_or_other_access_is_refused_with_the_fix(tmp_path, mode):
    path = _secret(tmp_path / "secret", mode)
    with pytest.raises(CredentialError) as caught:
        read_secret_file(path, provider="test")
    message = str(caught.value)
    assert f"chmod 600 {path}" in message
    assert f"mode {mode:03o}" in message
    assert SECRET.decode() not in message


def test_home_is_shown_as_tilde(isolated_env):
    path = _secret(isolated_env / "secret", 0o644)
    with pytest.raises(CredentialError, match="chmod 600 ~/secret"):
        read_secret_file(path, provider="test")


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_private_file_is_read(tmp_path, mode):
    assert read_secret_file(_secret(tmp_path / "secret", mode), provider="test") == SECRET


def test_missing_file_is_none(tmp_path):
    assert read_secret_file(tmp_path / "absent", provider="test") is None


def test_directory_is_refused(tmp_path):
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(CredentialError, match="not a regular file"):
        read_secret_file(directory, provider="test")


def test_symlink_to_private_file_is_followed(tmp_path):
    target = _secret(tmp_path / "target")
    link = tmp_path / "link"
    link.symlink_to(target)
    assert read_secret_file(link, provider="test") == SECRET


def test_file_of_another_user_is_refused(tmp_path, monkeypatch):
    path = _secret(tmp_path / "secret")
    if os.geteuid() == 0:
        os.chown(path, 12345, -1)  # root can give the file away
        owner = 12345
    else:
        owner = os.geteuid()  # others cannot: pretend to be someone else instead
        monkeypatch.setattr(os, "geteuid", lambda: owner + 1000)
    with pytest.raises(CredentialError, match=f"owned by uid {owner}, not by you") as caught:
        read_secret_file(path, provider="test")
    assert "chown" in str(caught.value)


def test_atomic_write_creates_0700_dirs_and_0600_files_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        target = tmp_path / "a" / "b" / "credentials"
        atomic_write(target, SECRET)
    finally:
        os.umask(old)
    assert target.read_bytes() == SECRET
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o700
    assert [p.name for p in target.parent.iterdir()] == ["credentials"]


def test_atomic_write_replaces_a_symlink_instead_of_following_it(tmp_path):
    elsewhere = _secret(tmp_path / "elsewhere", data=b"untouched")
    link = tmp_path / "credentials"
    link.symlink_to(elsewhere)
    atomic_write(link, SECRET)
    assert not link.is_symlink() and link.read_bytes() == SECRET
    assert elsewhere.read_bytes() == b"untouched"


def test_update_refuses_an_insecure_file_and_leaves_it(tmp_path):
    path = _secret(tmp_path / "secret", 0o644)
    with pytest.raises(CredentialError, match="chmod 600"):
        update_secret_file(path, lambda current: b"new", provider="test")
    assert path.read_bytes() == SECRET


_ADD_PROFILE = textwrap.dedent(
    """
    import configparser, io, sys, time
    from pathlib import Path
    from alphacast.secrets import update_secret_file

    path, name, start = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    while time.time() < start:
        time.sleep(0.001)

    def add(current):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string((current or b"").decode())
        time.sleep(0.01)  # widen the read-modify-write window
        parser[name] = {"api_key": "ak_" + name + "_0123456789abcdef"}
        out = io.StringIO()
        parser.write(out)
        return out.getvalue().encode()

    update_secret_file(path, add, provider="test")
    """
)


def test_twenty_concurrent_processes_lose_no_update(tmp_path):
    path = tmp_path / "home" / ".alphacast" / "credentials"
    start = time.time() + 1.5
    workers = [
        subprocess.Popen([sys.executable, "-c", _ADD_PROFILE, str(path), f"p{i}", str(start)])
        for i in range(20)
    ]
    assert [w.wait(60) for w in workers] == [0] * 20
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(path.read_text())
    assert sorted(parser.sections()) == sorted(f"p{i}" for i in range(20))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


_WRITE_FOREVER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from alphacast.secrets import atomic_write

    path = Path(sys.argv[1])
    size = 4 * 1024 * 1024
    i = 0
    print("ready", flush=True)
    while True:
        atomic_write(path, bytes([65 + i % 26]) * size)
        i += 1
    """
)


def test_sigkill_mid_write_leaves_old_or_new_content(tmp_path):
    path = tmp_path / "credentials"
    size = 4 * 1024 * 1024
    atomic_write(path, b"@" * size)
    for delay in (0.05, 0.1, 0.17, 0.25, 0.33, 0.41):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITE_FOREVER, str(path)], stdout=subprocess.PIPE
        )
        assert writer.stdout is not None
        assert writer.stdout.readline() == b"ready\n"
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        writer.stdout.close()
        data = path.read_bytes()
        assert len(data) == size
        assert data == data[:1] * size, "the file holds a mix of two writes"
        assert read_secret_file(path, provider="test") == data
    # A killed writer may leave its temporary file behind, never a broken target.
    for leftover in tmp_path.glob(".credentials.*.tmp"):
        assert stat.S_IMODE(leftover.stat().st_mode) == 0o600


# -- FIFOs and other non-regular files: refused at once, never a hang ---------------------

KEY = "ak_fifo_test_0123456789abcdef"


def _plant(path, kind):
    """Put a ``kind`` (fifo, directory, socket) at ``path``; return what keeps it alive."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(path, 0o600)
        return None
    if kind == "directory":
        path.mkdir(mode=0o700)
        return None
    import socket

    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    return server


def _fails_fast(action, shown, kind_text):
    started = time.monotonic()
    with pytest.raises(CredentialError) as caught:
        action()
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert shown in message and kind_text in message and "not a regular file" in message
    assert "Fix:" in message and KEY not in message
    return caught.value


KINDS = {"fifo": "named pipe (FIFO)", "directory": "a directory", "socket": "a socket"}


@pytest.mark.timeout(15)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_config_that_is_not_a_regular_file_fails_the_client_fast(isolated_env, kind):
    from alphacast import Alphacast

    keep = _plant(isolated_env / ".alphacast" / "config", kind)
    try:
        error = _fails_fast(lambda: Alphacast(KEY), "~/.alphacast/config", KINDS[kind])
        assert error.provider == "config"
    finally:
        if keep is not None:
            keep.close()


def _encrypted_file_with_passphrase_fifo(home, monkeypatch):
    from alphacast.providers.encrypted_file import Entry, encrypt

    path = home / ".alphacast" / "credentials.enc"
    path.parent.mkdir(mode=0o700)
    path.write_bytes(encrypt({"default": Entry(KEY)}, "pass phrase", log2_n=4))
    path.chmod(0o600)
    fifo = home / "passphrase"
    os.mkfifo(fifo, 0o600)
    monkeypatch.setenv("ALPHACAST_PASSPHRASE_FILE", str(fifo))
    return "~/passphrase"


@pytest.mark.timeout(15)
@pytest.mark.parametrize(
    ("location", "provider"),
    [
        (".env", "dotenv"),
        ("~/.alphacast/credentials", "shared-file"),
        ("~/.alphacast/credentials.enc", "encrypted-file"),
        ("passphrase file", "encrypted-file"),
        ("ALPHACAST_API_KEY_FILE", "env"),
        ("ALPHACAST_CONFIG_FILE", "config"),
    ],
)
def test_a_fifo_at_every_secret_or_config_file_fails_fast(isolated_env, monkeypatch, location, provider):
    from alphacast import Alphacast
    from alphacast.plugins import registry

    home = isolated_env
    monkeypatch.setenv("ALPHACAST_PASSPHRASE", "pass phrase")
    if location == ".env":
        os.mkfifo(Path.cwd() / ".env", 0o600)
        shown = str(Path.cwd() / ".env")
    elif location == "passphrase file":
        shown = _encrypted_file_with_passphrase_fifo(home, monkeypatch)
    elif location.startswith("ALPHACAST_"):
        fifo = home / "named"
        os.mkfifo(fifo, 0o600)
        monkeypatch.setenv(location, str(fifo))
        shown = "~/named"
    else:
        path = home / location.removeprefix("~/")
        _plant(path, "fifo")
        shown = location
    # The chain as the client runs it (Alphacast() with no key), then the provider alone.
    error = _fails_fast(lambda: Alphacast(), shown, "named pipe")
    assert error.provider == provider
    if provider != "config":
        found = registry().providers[provider]
        _fails_fast(lambda: found.resolve("default"), shown, "named pipe")
        if hasattr(found, "store") and location != "passphrase file":
            _fails_fast(lambda: found.store("default", KEY), shown, "named pipe")


# -- the lock file ------------------------------------------------------------------------


@pytest.mark.parametrize("target_exists", [False, True])
def test_a_symlink_planted_at_the_lock_file_is_never_followed(isolated_env, tmp_path, target_exists):
    from alphacast.providers.shared_file import SharedFileProvider

    directory = isolated_env / ".alphacast"
    directory.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    if target_exists:
        victim.write_bytes(b"precious\n")
        victim.chmod(0o644)
    (directory / "credentials.lock").symlink_to(victim)
    with pytest.raises(CredentialError, match="credentials.lock is a symbolic link") as caught:
        SharedFileProvider().store("default", KEY)
    assert "delete ~/.alphacast/credentials.lock" in str(caught.value)
    assert KEY not in str(caught.value)
    if target_exists:
        assert victim.read_bytes() == b"precious\n"
        assert stat.S_IMODE(victim.stat().st_mode) == 0o644
    else:
        assert not victim.exists(), "the lock followed the symlink and created its target"
    assert not (directory / "credentials").exists()


def test_the_lock_file_is_private_and_stays_out_of_the_way(isolated_env):
    from alphacast.secrets import locked

    path = isolated_env / ".alphacast" / "credentials"
    with locked(path, provider="test"):
        lock = path.with_name("credentials.lock")
        assert stat.S_IMODE(lock.stat().st_mode) & 0o077 == 0
    update_secret_file(path, lambda current: b"[default]\n", provider="test")
    assert read_secret_file(path, provider="test") == b"[default]\n"
