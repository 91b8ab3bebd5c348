"""Keeping keys out of text: URLs, log records, exception messages, stderr.

Every key the SDK resolves is remembered (in this process only) so that any
text about to be shown can have it replaced, and anything that looks like an
Alphacast key or an ``apiKey=`` query parameter is masked too.
"""

from __future__ import annotations

import logging
import re

from alphacast._forksafe import ForkSafeLock

__all__ = ["REDACTED", "RedactingFilter", "install_log_filters", "redact_text", "remember_key"]

REDACTED = "***"

_PATTERNS = (
    (re.compile(r"(?i)(apiKey=)[^&\s\"'#]*"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(?i)(authorization:\s*basic\s+)[A-Za-z0-9+/=]+"), rf"\g<1>{REDACTED}"),
    (re.compile(r"\bak_[A-Za-z0-9_\-]+"), f"ak_{REDACTED}"),
)

#: A word of the hex or base64 (standard or URL-safe) alphabet, long enough to be a
#: secret: how keys and tokens from other systems are spelled.
_TOKEN = re.compile(r"[A-Za-z0-9+/_\-]{20,}={0,2}")
_HEX = re.compile(r"[0-9A-Fa-f]{16,}")

_keys_lock = ForkSafeLock()
_known_keys: set[str] = set()
_key_pattern: re.Pattern[str] | None = None


def remember_key(key: str) -> None:
    """Add ``key`` to the keys :func:`redact_text` removes from any text."""
    global _key_pattern
    if len(key) < 4:
        return
    with _keys_lock:
        if key in _known_keys:
            return
        _known_keys.add(key)
        alternatives = sorted(_known_keys, key=len, reverse=True)
        _key_pattern = re.compile("|".join(re.escape(k) for k in alternatives))


def looks_like_key(word: str) -> bool:
    """Whether ``word`` is shaped like a key: an Alphacast key (``ak_...``), a long
    hex token, or a long base64-ish token of random-looking letters and digits.
    Known keys count too. A path (leading ``/``), a number, or a word with a dot or
    a space is not."""
    if word.startswith("ak_") or (word in _known_keys):
        return True
    if word.isdigit():
        return False
    if _HEX.fullmatch(word):
        return True
    if not _TOKEN.fullmatch(word) or word.startswith("/"):
        return False
    if any(c.isupper() for c in word) and any(c.islower() for c in word):
        return any(c.isdigit() for c in word)
    # One case only: random (digits spread, short runs of letters), not words
    # (``test_accounts_file0``: long runs of letters, a digit or two).
    digits = sum(c.isdigit() for c in word)
    longest_word = max(len(run) for run in re.split(r"[^A-Za-z]+", word))
    return digits >= 4 and longest_word <= 8


def redact_text(text: str) -> str:
    """``text`` with every known key and key-shaped token masked."""
    pattern = _key_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    for regex, replacement in _PATTERNS:
        text = regex.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks keys in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is logged as is
            return True
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_installed = False
_install_lock = ForkSafeLock()

#: Loggers of the libraries under the transport that log request lines or URLs.
_LIBRARY_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry", "requests", "alphacast")


def install_log_filters() -> None:
    """Attach :class:`RedactingFilter` to the loggers that see request URLs.

    urllib3 logs ``"GET /api/search?...&apiKey=... HTTP/1.1"`` at DEBUG: the
    filter sits on the logger itself, so the record is clean before any handler
    sees it. Idempotent.
    """
    global _installed
    with _install_lock:
        if _installed:
            return
        for name in _LIBRARY_LOGGERS:
            logging.getLogger(name).addFilter(RedactingFilter())
        _installed = True
