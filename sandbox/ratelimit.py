"""Per-bucket request budgets: a window of one minute that starts with the bucket's first call.

Windows start at a bucket's first request rather than on the wall-clock minute, so a burst is
never split across two budgets by accident.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_SECONDS = 60.0
_PRUNE_ABOVE = 4096
"""Drop ended windows once this many buckets are remembered (probe keys are one-offs)."""


@dataclass(frozen=True)
class Decision:
    """The outcome of one request against its bucket, and what the headers should say."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    """Whole seconds until the bucket's window ends (at least 1)."""

    def headers(self) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (plus ``Retry-After`` when refused)."""
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_seconds),
        }
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


@dataclass
class _Window:
    started: float
    count: int


class RateLimiter:
    """Thread-safe counters of requests per bucket (e.g. tenant, or tenant and probe key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, ...], _Window] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: tuple[str, ...], limit: int) -> Decision:
        """Count one request in ``bucket`` unless its budget of ``limit`` is already spent."""
        now = self._clock()
        with self._lock:
            if len(self._windows) > _PRUNE_ABOVE:
                self._prune(now)
            window = self._windows.get(bucket)
            if window is None or now - window.started >= WINDOW_SECONDS:
                window = self._windows[bucket] = _Window(started=now, count=0)
            allowed = window.count < limit
            if allowed:
                window.count += 1
            reset = max(1, math.ceil(window.started + WINDOW_SECONDS - now))
            return Decision(allowed, limit, max(0, limit - window.count), reset)

    def _prune(self, now: float) -> None:
        ended = [b for b, w in self._windows.items() if now - w.started >= WINDOW_SECONDS]
        for bucket in ended:
            del self._windows[bucket]
