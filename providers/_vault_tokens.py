"""The tokens the ``vault`` provider logged in for, kept for the life of the process.

One login serves every read of a profile (and of every profile logging in the same
way) until its token nears its end: then a renewable token is renewed, and one that
cannot be (its ``token_max_ttl`` reached, revoked, not renewable) is replaced by a
new login. A login that failed is not tried again with the same credentials before
a back-off has passed (1 s, doubling to 60 s), so that a fleet whose secret id or JWT
is refused does not hammer the server; new credentials (a rotated JWT file) are
tried at once.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
import threading
import time
from dataclasses import dataclass, field

#: Never wait longer than this between two logins with credentials that failed.
MAX_BACKOFF_SECONDS = 60.0


@dataclass
class Held:
    """A token and what the server said of its life (``expires``: ``time.monotonic``)."""

    token: str = field(repr=False)
    renewable: bool
    lifetime: float  # seconds granted by the last login or renewal; inf: no expiry
    expires: float

    @classmethod
    def granted(cls, token: str, auth: dict[str, object]) -> Held:
        lease = auth.get("lease_duration")
        lifetime = float(lease) if isinstance(lease, int) and lease > 0 else math.inf
        renewable = auth.get("renewable") is True
        return cls(token, renewable, lifetime, time.monotonic() + lifetime)

    def left(self) -> float:
        return self.expires - time.monotonic()

    def due(self) -> bool:
        """Past half its life: renew it (or log in again) before using it."""
        return self.left() < self.lifetime / 2

    def usable(self) -> bool:
        """Enough life left to finish a read with it."""
        return self.left() > 2.0


@dataclass
class _Failure:
    material: str  # a digest of the credentials that failed, never the credentials
    attempts: int
    retry_at: float
    message: str


_lock = threading.Lock()
_held: dict[object, Held] = {}
_failures: dict[object, _Failure] = {}
_fork_handler = False


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _held.clear()
    _failures.clear()


def _guard() -> threading.Lock:
    global _fork_handler
    if not _fork_handler and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_reset_after_fork)
        _fork_handler = True
    return _lock


def held(key: object) -> Held | None:
    with _guard():
        return _held.get(key)


def keep(key: object, token: Held) -> None:
    with _guard():
        _held[key] = token
        _failures.pop(key, None)


def drop(key: object, token: str) -> None:
    """Forget the token of ``key``, if it is still ``token`` (another thread may have
    replaced it already)."""
    with _guard():
        current = _held.get(key)
        if current is not None and current.token == token:
            del _held[key]


def digest(material: str) -> str:
    return hashlib.sha256(material.encode()).hexdigest()


def backing_off(key: object, material: str) -> str | None:
    """Why a login with ``material`` must not be tried now, if it must not."""
    with _guard():
        failure = _failures.get(key)
        if failure is None or failure.material != digest(material):
            return None
        wait = failure.retry_at - time.monotonic()
        if wait <= 0:
            return None
    return (
        f"{failure.message} (a login with the same credentials failed {failure.attempts} "
        f"time(s); not tried again for another {wait:.0f} s so as not to hammer the server)"
    )


def failed(key: object, material: str, message: str) -> None:
    """Record a refused login: the next with the same credentials waits, with jitter."""
    with _guard():
        previous = _failures.get(key)
        same = previous is not None and previous.material == digest(material)
        attempts = previous.attempts + 1 if previous is not None and same else 1
        delay = min(MAX_BACKOFF_SECONDS, 2.0 ** (attempts - 1)) * random.uniform(0.75, 1.0)
        _failures[key] = _Failure(digest(material), attempts, time.monotonic() + delay, message)
