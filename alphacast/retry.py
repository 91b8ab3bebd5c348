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
import random
import time
from dataclasses import dataclass, field

__all__ = ["RetryPolicy"]


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

    def is_idempotent(self, method: str) -> bool:
        return method.upper() in self.idempotent_methods

    def should_retry_status(self, method: str, status: int) -> bool:
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


def _parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
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
