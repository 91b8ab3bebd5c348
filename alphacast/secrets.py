"""The kit for credential providers: what the built-ins use, public for plugins.

Every built-in provider imports only public modules, and what it needs to read
and write secrets safely is here, so a third-party plugin can do all it does.

Reading (:func:`read_secret_file`, :func:`read_secret_text`): the file is opened
without blocking (``O_NONBLOCK``) and anything but a regular file is refused, so a
named pipe, socket, device or directory planted where a secret belongs is an
error at once, never a hang. On POSIX a file that group or others can access, or
that another user (other than root) owns, is refused too, checked on the opened
file descriptor (no race between check and read), as OpenSSH, libpq and Python's
netrc do.

Writing (:func:`update_secret_file`, :func:`atomic_write`, :func:`locked`):
directories are created 0700 and files 0600 at creation time; the data goes to a
temporary file with a fresh random name in the same directory, renamed over the
target (never following a symlink), under an exclusive lock so concurrent
writers serialise instead of losing each other's updates.

Platforms: the lock is ``filelock``'s (``flock`` on POSIX, ``LockFileEx`` on
Windows). On Windows the permission bits and owner of a file do not reflect its
ACL (``st_mode`` only carries the read-only flag and ``st_uid`` is always 0), so
the owner and mode checks are skipped there; the SDK's files live in the user's
profile directory (``%USERPROFILE%\\.alphacast``), whose inherited ACL gives
access to the user, SYSTEM and Administrators only. The regular-file check, the
atomic rename and the lock apply everywhere.

Every function raises :class:`~alphacast.CredentialError` naming the
``provider`` and ``profile`` it is given, with a message that says how to fix
the problem and never contains a key.
"""

from __future__ import annotations

import math
import os
import re
import sys
from collections.abc import Mapping

from alphacast import _secret_files
from alphacast._auth import connect_origin, is_loopback
from alphacast._credentials import DEFAULT_PROFILE, validate_key
from alphacast._secret_files import (
    atomic_write,
    display_path,
    locked,
    read_file_checking_privacy,
    read_secret_file,
    read_secret_text,
    update_secret_file,
)
from alphacast.errors import CredentialError

__all__ = [
    "DEFAULT_PROFILE",
    "LOCK_TIMEOUT",
    "SECRET_VARIABLES",
    "atomic_write",
    "check_profile_name",
    "connect_origin",
    "display_path",
    "environment_without_secrets",
    "interactive",
    "is_loopback",
    "locked",
    "parse_seconds",
    "read_file_checking_privacy",
    "read_secret_file",
    "read_secret_text",
    "seconds_setting",
    "update_secret_file",
    "validate_key",
]

#: Seconds :func:`locked` waits for another process to release a file's lock.
LOCK_TIMEOUT = _secret_files.LOCK_TIMEOUT

#: The SDK's environment variables that hold a secret, or name a file that holds
#: one. A program the SDK starts on the user's behalf (a credential helper, the
#: command of ``alphacast exec``) does not inherit them: it gets what it is meant to
#: have and nothing that would unlock other profiles. Other tools' variables
#: (``VAULT_TOKEN``, ``AWS_*``) are the user's to pass on and are kept.
SECRET_VARIABLES = frozenset(
    {
        "ALPHACAST_API_KEY",
        "ALPHACAST_API_KEY_FILE",
        "ALPHACAST_PASSPHRASE",
        "ALPHACAST_PASSPHRASE_FILE",
    }
)


def environment_without_secrets(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """``environ`` (by default this process's environment) without :data:`SECRET_VARIABLES`,
    compared without regard to case (Windows' variable names have none)."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if name.upper() not in SECRET_VARIABLES}


def check_profile_name(profile: str, *, provider: str = "config") -> str:
    """``profile``, if it can name a profile in messages, files and stores.

    Raises CredentialError for a name that looks like an API key (a key typed
    where a profile goes would be shown in messages and written as a section
    name; the message does not show it), and for one that cannot be an INI
    section name: empty, with surrounding whitespace, ``[``, ``]`` or a
    non-printable character. The same on every platform.
    """
    from alphacast.redact import redact_text

    if redact_text(profile) != profile:
        raise CredentialError(
            "the profile name looks like an API key (not shown). A profile is a name "
            "such as 'prod'; pass a key as Alphacast(api_key), or store it under a "
            "profile with `alphacast auth set PROFILE --store STORE`",
            provider=provider,
        )
    if (
        not profile
        or profile != profile.strip()
        or any(ch in "[]" or not ch.isprintable() for ch in profile)
    ):
        raise CredentialError(
            f"profile name {profile!r} cannot be stored or looked up: use letters, "
            "digits, '-', '_' or '.'",
            provider=provider,
            profile=profile,
        )
    return profile


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(h|m|s)")
_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0}


def parse_seconds(text: str) -> float | None:
    """Seconds in ``30``, ``2.5``, ``90s``, ``15m``, ``1h`` or ``1h30m`` (Vault's
    and Go's style); ``None`` unless it is a finite number greater than zero."""
    text = text.strip()
    try:
        seconds = float(text)
    except ValueError:
        if not text or _DURATION.sub("", text):
            return None
        seconds = sum(float(n) * _UNITS[unit] for n, unit in _DURATION.findall(text))
    return seconds if 0 < seconds and math.isfinite(seconds) else None


def seconds_setting(text: str, *, what: str, provider: str, profile: str | None = None) -> float:
    """:func:`parse_seconds`, or a CredentialError saying ``what`` (the setting
    and where it is, such as ``"ALPHACAST_KEYRING_TIMEOUT='soon'"``) is not a
    duration. The message is redacted: a key pasted there is not shown."""
    seconds = parse_seconds(text)
    if seconds is None:
        from alphacast.redact import redact_text

        raise CredentialError(
            redact_text(f"{what} must be a positive number of seconds (such as 30, 90s or 15m)"),
            provider=provider,
            profile=profile,
        )
    return seconds


def interactive() -> bool:
    """Whether a person can answer a prompt: standard input is a terminal."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except (ValueError, OSError):  # closed or detached
        return False
