"""Fault injection: failed answers, dropped connections and added latency, drawn from
one seeded generator so a given seed produces the same faults in the same order."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    """What to do to one request: sleep ``latency`` s, then drop it or fail it."""

    latency: float = 0.0
    reset: bool = False
    status: int | None = None


class Faults:
    """Decides, request by request, which fault (if any) to inject."""

    def __init__(
        self,
        fail_rate: float = 0.0,
        fail_status: int = 503,
        reset_rate: float = 0.0,
        latency: float = 0.0,
        seed: int | None = None,
    ) -> None:
        for name, rate in (("fail_rate", fail_rate), ("reset_rate", reset_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {rate}")
        if latency < 0:
            raise ValueError("latency must not be negative")
        if not 400 <= fail_status <= 599:
            raise ValueError("fail_status must be an HTTP error status (400-599)")
        self.fail_rate = fail_rate
        self.fail_status = fail_status
        self.reset_rate = reset_rate
        self.latency = latency
        self._random = random.Random(seed)
        self._lock = threading.Lock()

    def draw(self) -> Fault:
        """The fault for the next request. Two numbers are drawn for every request,
        whatever the rates, so the sequence depends only on the seed and the order."""
        with self._lock:
            reset_roll, fail_roll = self._random.random(), self._random.random()
        if reset_roll < self.reset_rate:
            return Fault(self.latency, reset=True)
        if fail_roll < self.fail_rate:
            return Fault(self.latency, status=self.fail_status)
        return Fault(self.latency)
