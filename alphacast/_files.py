"""Reading and writing secret files safely.

Reads refuse a file that group or others can read or that another user owns,
checked on the opened file descriptor (no race between check and read), as
OpenSSH, libpq and Python's netrc do. Writes create directories 0700 and files
0600 at creation time, write to a temporary file in the same directory and
rename it over the target (never following a symlink), under an exclusive lock
so concurrent writers serialise instead of losing each other's updates.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from alphacast.errors import CredentialError

__all__ = ["atomic_write", "display_path", "locked", "read_secret_file", "update_secret_file"]


def display_path(path: Path) -> str:
    """``path`` with the home directory shown as ``~``, for messages."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def read_secret_file(path: Path, *, provider: str, profile: str | None = None) -> bytes | None:
    """The bytes of ``path``, or ``None`` if it does not exist.

    Raises CredentialError if the file is readable by group or others, owned by
    another user, not a regular file, or unreadable.
    """
    data, problem = read_file_checking_privacy(path, provider=provider, profile=profile)
    if problem is not None:
        raise problem
    return data


def read_file_checking_privacy(
    path: Path, *, provider: str, profile: str | None = None
) -> tuple[bytes | None, CredentialError | None]:
    """The bytes of ``path`` (``None`` if missing) and, separately, the error
    :func:`read_secret_file` would raise about its permissions or owner.

    For files that may or may not hold a secret (a project's ``.env``): the caller
    refuses the file only if it turns out to hold one.
    """
    # Symlinks are followed on read: Kubernetes mounts secrets as symlinks.
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise CredentialError(
            f"cannot read {display_path(path)}: {exc.strerror}; check its permissions",
            provider=provider,
            profile=profile,
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise CredentialError(
                f"{display_path(path)} is not a regular file", provider=provider, profile=profile
            )
        problem = None
        try:
            _check_private(path, info, provider=provider, profile=profile)
        except CredentialError as exc:
            problem = exc
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks), problem
    finally:
        os.close(fd)


def _check_private(path: Path, info: os.stat_result, *, provider: str, profile: str | None) -> None:
    shown = display_path(path)
    if not stat.S_ISREG(info.st_mode):
        raise CredentialError(f"{shown} is not a regular file", provider=provider, profile=profile)
    # Files owned by root are accepted, as OpenSSH does: root could read them anyway.
    if hasattr(os, "geteuid") and info.st_uid not in (os.geteuid(), 0):
        raise CredentialError(
            f"{shown} is owned by uid {info.st_uid}, not by you (uid {os.geteuid()}); "
            f"refusing to read a secret another user controls. Fix: chown $(id -u) {shown}",
            provider=provider,
            profile=profile,
        )
    if info.st_mode & 0o077:
        raise CredentialError(
            f"{shown} is accessible by group or others "
            f"(mode {stat.S_IMODE(info.st_mode):03o}); refusing to read a secret "
            f"others can read. Fix: chmod 600 {shown}",
            provider=provider,
            profile=profile,
        )


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (through ``path.lock``) for the block."""
    _make_private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _make_private_dir(directory: Path) -> None:
    if directory.is_dir():
        return
    old = os.umask(0o077)
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    finally:
        os.umask(old)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: the old content or the new, never a mix.

    The temporary file is created 0600 with ``O_EXCL|O_NOFOLLOW`` in the same
    directory, fsynced, then renamed over ``path``; a symlink at ``path`` is
    replaced, not followed. Call it under :func:`locked` when read-modify-write.
    """
    _make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def update_secret_file(
    path: Path,
    change: Callable[[bytes | None], bytes],
    *,
    provider: str,
    profile: str | None = None,
) -> None:
    """Read ``path`` (or ``None``), apply ``change`` and write the result atomically,
    all under the file's lock so concurrent updates are never lost."""
    with locked(path):
        current = read_secret_file(path, provider=provider, profile=profile)
        atomic_write(path, change(current))
