"""Keeping keys out of text: URLs, log records, exception messages, stderr.

Every key the SDK resolves is remembered (in this process only) so that any
text about to be shown can have it replaced, and anything that looks like an
Alphacast key or an ``apiKey=`` query parameter is masked too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from alphacast._forksafe import ForkSafeLock

__all__ = [
    "LIBRARY_NAMESPACES",
    "REDACTED",
    "RedactingFilter",
    "install_log_filters",
    "redact_text",
    "remember_key",
]

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


_install_lock = ForkSafeLock()

#: Namespaces of the libraries under the SDK that may log request lines or URLs:
#: every logger in them, submodules included (``urllib3.connection`` warns
#: ``Failed to parse headers (url=...)`` with the full URL, ``apiKey`` included).
LIBRARY_NAMESPACES = ("urllib3", "requests", "charset_normalizer", "hvac", "keyring", "alphacast")
_PREFIXES = tuple(f"{name}." for name in LIBRARY_NAMESPACES)
_previous_factory: Callable[..., logging.LogRecord] | None = None


def _in_namespaces(name: str) -> bool:
    return name in LIBRARY_NAMESPACES or name.startswith(_PREFIXES)


def _redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    assert _previous_factory is not None
    record = _previous_factory(*args, **kwargs)
    if _in_namespaces(record.name):
        _FILTER.filter(record)
    return record


_FILTER = RedactingFilter()


def install_log_filters() -> None:
    """Mask keys in every record of the loggers under ``LIBRARY_NAMESPACES``.

    A filter on a logger applies to that logger's own records only, not to its
    children's, so one on ``urllib3`` would miss ``urllib3.connection``. Two layers:

    * a log record factory (chained to the one in place) masks each record of
      those namespaces as it is made, whatever logger made it, including loggers
      created later;
    * :class:`RedactingFilter` sits on every logger of those namespaces that
      exists now, for a program that later installs a record factory of its own
      without chaining ours.

    The user's handlers are left alone. Cheap to call again (the transport calls
    it whenever it is created and when it first reaches an origin): it adds the
    filter to loggers created since, and the factory once.
    """
    global _previous_factory
    with _install_lock:
        if _previous_factory is None:
            _previous_factory = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_redacting_factory)
        for name in (*LIBRARY_NAMESPACES, *list(logging.Logger.manager.loggerDict)):
            if not _in_namespaces(name):
                continue
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(_FILTER)
