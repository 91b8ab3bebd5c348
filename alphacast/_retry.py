"""When and how long to wait before retrying a request.

Defaults: at most 4 attempts and 30 seconds in all; exponential backoff from
0.5 s doubling up to 8 s, with full jitter. ``Retry-After`` (seconds or an
HTTP-date) replaces the backoff, up to four times ``backoff_max`` (32 s); when the
wait would pass the time left, the error is raised at once rather than waited for.
GET and DELETE are retried on connection errors, timeouts, 429, 502, 503 and 504.
Requests that create things (POST, PUT) are retried only when the server cannot
have acted: the connection was never made, or 429. A certificate that fails
verification is never retried.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import random
import ssl
import time
from dataclasses import dataclass, field

__all__ = ["RetryPolicy", "certificate_rejected"]


@dataclass(frozen=True)
class RetryPolicy:
    """Retry settings of one client: ``Alphacast(..., retry=RetryPolicy(...))``."""

    max_attempts: int = 4
    total_seconds: float = 30.0
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_statuses: frozenset[int] = field(default=frozenset({429, 502, 503, 504}))
    idempotent_methods: frozenset[str] = field(
        default=frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})
    )

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def next_wait(
        self,
        method: str,
        attempt: int,
        *,
        status: int | None = None,
        error: BaseException | None = None,
        retry_after: str | None = None,
        time_left: float = math.inf,
    ) -> float | None:
        """The one retry decision: seconds to wait before trying again after failed
        attempt number ``attempt`` (1-based), or ``None`` when the request is over.

        The failure is an HTTP ``status`` (with its ``Retry-After``) or the
        ``error`` the transport raised. A wait that would pass ``time_left`` ends
        the request at once rather than being waited for.
        """
        if attempt >= self.max_attempts:
            return None
        if error is not None:
            if certificate_rejected(error):
                return None
            if not (self.is_idempotent(method) or _never_sent(error)):
                return None
        elif status is None or not self._retries_status(method, status):
            return None
        delay = self.backoff(attempt, retry_after)
        return delay if delay <= time_left else None

    def is_idempotent(self, method: str) -> bool:
        return method.upper() in self.idempotent_methods

    def _retries_status(self, method: str, status: int) -> bool:
        if status not in self.retry_statuses:
            return False
        # A 429 means the server refused before acting: safe for any method.
        return status == 429 or self.is_idempotent(method)

    def backoff(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        parsed = _parse_retry_after(retry_after)
        if parsed is not None:
            return min(parsed, self.backoff_max * 4)
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return random.uniform(0, ceiling)  # full jitter


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps: requests wraps urllib3's MaxRetryError, whose
    ``.reason`` wraps the socket or ssl error."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not e for e in seen):
        seen.append(current)
        reason = getattr(current, "reason", None)
        first = current.args[0] if current.args else None
        current = next(
            (e for e in (reason, first) if isinstance(e, BaseException)),
            current.__cause__ or current.__context__,
        )
    return seen


def certificate_rejected(error: BaseException) -> bool:
    """True when the server's certificate failed verification (not for other TLS
    failures, such as a connection dropped during the handshake): never retried."""
    return any(isinstance(e, ssl.SSLCertVerificationError) for e in _causes(error))


def _never_sent(error: BaseException) -> bool:
    """True when the request cannot have reached the server."""
    # Imported here: `from alphacast import RetryPolicy` stays light.
    import requests
    import urllib3.exceptions

    from alphacast._direct import NotConnected

    if isinstance(error, requests.exceptions.ConnectTimeout | NotConnected):
        return True
    return any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in _causes(error))


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    # ASCII digits only: str.isdigit() is also true for "²", which float() refuses.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        # An HTTP-date is always GMT; its asctime form just does not say so
        # (RFC 9110, section 5.6.7). Read as local time it would be hours off.
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - time.time())
