"""Locks that a forked child gets back unlocked.

``fork()`` copies a lock in whatever state it is in. If another thread of the
parent held it at that moment (resolving a credential, remembering a key), the
child's copy stays locked forever, and the child's first client hangs. Every lock
of the SDK's process-wide state is a :class:`ForkSafeLock`: after a fork the child
replaces each with a new, unlocked one (``os.register_at_fork``; platforms without
``fork()`` start children clean).
"""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType

__all__ = ["ForkSafeLock"]


class ForkSafeLock:
    """A ``threading.Lock`` that is unlocked again in a forked child."""

    __slots__ = ("__weakref__", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        _every_lock.add(self)

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


_every_lock: weakref.WeakSet[ForkSafeLock] = weakref.WeakSet()


def _unlock_all_in_child() -> None:
    for lock in list(_every_lock):
        lock._lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_unlock_all_in_child)
