"""The tokens the ``vault`` provider uses, kept for the life of the process.

One login serves every read of a profile (and of every profile logging in the same
way) until its token nears its end: then a renewable token is renewed, and one that
cannot be (its ``token_max_ttl`` reached, revoked, not renewable) is replaced by a
new login. A login that failed is not tried again with the same credentials before
a back-off has passed (1 s, doubling to 60 s), so that a fleet whose secret id or JWT
is refused does not hammer the server; new credentials (a rotated JWT file) are
tried at once.

A static token (``VAULT_TOKEN``, ``~/.vault-token``) is kept under a digest of
itself: its life is looked up once, it is renewed like a login's, and once it has
ended (:func:`end`) every read with it fails at once, with no round trip, until
another token takes its place. One thread at a time looks up, renews or logs in
for a key (:func:`one_at_a_time`); the others wait for its answer.
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
    #: Why it will not be renewed, when ``renewable`` is false (for messages).
    end_reason: str = ""
    #: Its life was told by the server: a refusal means it ended (a static token whose
    #: lookup was denied is used blind, and a refusal is explained as a denied read).
    known: bool = True

    @classmethod
    def granted(cls, token: str, auth: dict[str, object]) -> Held:
        lease = auth.get("lease_duration")
        lifetime = float(lease) if isinstance(lease, int) and lease > 0 else math.inf
        renewable = auth.get("renewable") is True
        return cls(token, renewable, lifetime, time.monotonic() + lifetime)

    @classmethod
    def looked_up(cls, token: str, data: dict[str, object]) -> Held:
        """From the answer to ``auth/token/lookup-self``: the life left (``ttl``), the
        life a renewal grants (``period``, else ``creation_ttl``); a ``ttl`` of 0
        without an ``expire_time`` (a root token) never ends."""
        ttl = data.get("ttl")
        if (
            not isinstance(ttl, int)
            or isinstance(ttl, bool)
            or (ttl <= 0 and not data.get("expire_time"))
        ):
            return cls(token, False, math.inf, math.inf, "it does not expire")
        granted = [data.get("period"), data.get("creation_ttl"), ttl]
        lifetime = max(value for value in granted if isinstance(value, int) and value >= 0)
        renewable = data.get("renewable") is True
        reason = "" if renewable else "it is not renewable"
        return cls(token, renewable, float(lifetime), time.monotonic() + max(ttl, 0), reason)

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
_ended: dict[object, str] = {}
_flights: dict[object, threading.Lock] = {}
_fork_handler = False


def _reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()
    _held.clear()
    _failures.clear()
    _ended.clear()
    _flights.clear()


def _guard() -> threading.Lock:
    global _fork_handler
    if not _fork_handler and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_reset_after_fork)
        _fork_handler = True
    return _lock


def held(key: object) -> Held | None:
    with _guard():
        return _held.get(key)


def one_at_a_time(key: object) -> threading.Lock:
    """The lock a thread holds to look up, renew or log in for ``key``: one does it,
    the others wait and find its answer."""
    with _guard():
        return _flights.setdefault(key, threading.Lock())


def end(key: object, message: str) -> None:
    """The static token of ``key`` ended (expired, revoked): every later read with it
    fails with ``message``, at once."""
    with _guard():
        _ended[key] = message
        _held.pop(key, None)


def ended(key: object) -> str | None:
    """Why the static token of ``key`` can no longer be used, if it cannot."""
    with _guard():
        return _ended.get(key)


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
