"""Secret files: reading them without blocking and refusing what others can reach,
writing them atomically under a lock.

Public through :mod:`alphacast.secrets`, whose docstring states the rules
(reading, writing, platforms) this module carries out.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from alphacast.errors import CredentialError

__all__ = [
    "LOCK_TIMEOUT",
    "atomic_write",
    "display_path",
    "locked",
    "read_file_checking_privacy",
    "read_secret_file",
    "read_secret_text",
    "update_secret_file",
]

# Documented where it is public, in alphacast.secrets.
LOCK_TIMEOUT = 60.0

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a FIFO does not wait for a writer
#: Owner and mode checks need POSIX ownership (see the module docstring).
_POSIX_PERMISSIONS = hasattr(os, "geteuid")


def display_path(path: Path) -> str:
    """``path`` with the home directory shown as ``~``, for messages."""
    try:
        return "~/" + str(path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def read_secret_file(
    path: Path, *, provider: str, profile: str | None = None, private: bool = True
) -> bytes | None:
    """The bytes of ``path``, or ``None`` if it does not exist.

    Raises CredentialError if the file is not a regular file (a FIFO, socket,
    device or directory: refused without blocking, on every platform) or cannot
    be read. On POSIX it also raises if the file is accessible by group or others
    or owned by another user than you or root; on Windows these two are not
    checked (see :mod:`alphacast.secrets`). ``private=False`` skips them everywhere,
    for files the platform owns and protects, such as a container's secrets mount
    (often root-owned, mode 0444).
    """
    data, problem = read_file_checking_privacy(path, provider=provider, profile=profile)
    if problem is not None and private:
        raise problem
    return data


def read_secret_text(
    path: Path, *, provider: str, profile: str | None = None, private: bool = True
) -> str | None:
    """:func:`read_secret_file` as UTF-8 text, without one trailing newline (how
    ``echo`` and most tools end a file); ``None`` if it does not exist.

    Text that is not UTF-8 is a CredentialError, which never shows the bytes.
    """
    raw = read_secret_file(path, provider=provider, profile=profile, private=private)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError(
            f"{display_path(path)} is not UTF-8 text; it should hold only the secret",
            provider=provider,
            profile=profile,
        ) from None
    return text.removesuffix("\n").removesuffix("\r")


def read_file_checking_privacy(
    path: Path, *, provider: str, profile: str | None = None
) -> tuple[bytes | None, CredentialError | None]:
    """The bytes of ``path`` (``None`` if missing) and, separately, the error
    :func:`read_secret_file` would raise about its permissions or owner.

    For files that may or may not hold a secret (a project's ``.env``): the caller
    refuses the file only if it turns out to hold one. A file that is not a
    regular file, or cannot be opened, is raised as a CredentialError at once.
    """
    # Symlinks are followed on read: Kubernetes mounts secrets as symlinks.
    # O_NONBLOCK: opening a FIFO would otherwise wait for a writer forever.
    flags = os.O_RDONLY | _O_CLOEXEC | _O_BINARY | _O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        kind = _kind_at(path)
        if kind is not None:  # a socket (ENXIO), a directory on Windows (EACCES)
            raise _not_regular(path, kind, provider=provider, profile=profile) from None
        raise CredentialError(
            f"cannot read {display_path(path)}: {exc.strerror}; check its permissions",
            provider=provider,
            profile=profile,
        ) from None
    try:
        info = os.fstat(fd)
        kind = _kind(info.st_mode)
        if kind is not None:
            raise _not_regular(path, kind, provider=provider, profile=profile)
        with contextlib.suppress(OSError):
            os.set_blocking(fd, True)
        problem = None
        try:
            _check_private(path, info, provider=provider, profile=profile)
        except CredentialError as exc:
            problem = exc
        chunks = []
        try:
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
        except OSError as exc:
            raise CredentialError(
                f"cannot read {display_path(path)}: {exc.strerror}",
                provider=provider,
                profile=profile,
            ) from None
        return b"".join(chunks), problem
    finally:
        os.close(fd)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, for messages; ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _kind_at(path: Path) -> str | None:
    try:
        return _kind(os.stat(path).st_mode)
    except OSError:
        return None


def _not_regular(path: Path, kind: str, *, provider: str, profile: str | None) -> CredentialError:
    shown = display_path(path)
    return CredentialError(
        f"{shown} is {kind}, not a regular file; refusing to read it (reading could "
        f"block forever or never end). Fix: replace it with a regular file, or point "
        f"the setting that names it at one",
        provider=provider,
        profile=profile,
    )


def _check_private(path: Path, info: os.stat_result, *, provider: str, profile: str | None) -> None:
    if not _POSIX_PERMISSIONS:
        return  # Windows: st_mode/st_uid do not reflect the ACL (alphacast.secrets)
    shown = display_path(path)
    # Files owned by root are accepted, as OpenSSH does: root could read them anyway.
    if info.st_uid not in (os.geteuid(), 0):
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
def locked(
    path: Path, *, provider: str = "alphacast", profile: str | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (through ``path.lock``, created 0600) for the block.

    Cross-platform (``filelock``). A symlink at ``path.lock`` is refused,
    never followed; waiting longer than :data:`LOCK_TIMEOUT` is a CredentialError
    naming the lock file.
    """
    from filelock import FileLock, Timeout

    _make_private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    shown = display_path(lock_path)
    if lock_path.is_symlink():
        raise CredentialError(
            f"{shown} is a symbolic link; refusing to follow it (it could make the lock "
            f"write elsewhere). Fix: delete {shown}",
            provider=provider,
            profile=profile,
        )
    lock = FileLock(str(lock_path), timeout=LOCK_TIMEOUT, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise CredentialError(
            f"another process has held {shown} for over {LOCK_TIMEOUT:.0f} s; if no "
            f"alphacast is running, delete {shown} and retry",
            provider=provider,
            profile=profile,
        ) from None
    except OSError as exc:  # ELOOP: a symlink planted after the check above
        raise CredentialError(
            f"cannot lock {shown}: {exc.strerror}; if it is a symbolic link or not a "
            f"regular file, delete it",
            provider=provider,
            profile=profile,
        ) from None
    try:
        yield
    finally:
        lock.release()


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

    The temporary file gets a fresh unpredictable name in the same directory and
    is created exclusively, 0600, without following symlinks
    (``tempfile.mkstemp``), fsynced, then renamed over ``path``; a symlink
    at ``path`` is replaced, not followed. Call it under :func:`locked` when
    read-modify-write.
    """
    import tempfile

    _make_private_dir(path.parent)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
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
    with locked(path, provider=provider, profile=profile):
        current = read_secret_file(path, provider=provider, profile=profile)
        atomic_write(path, change(current))
