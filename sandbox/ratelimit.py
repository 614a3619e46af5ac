"""Per-bucket request budgets: a window (one minute by default) that starts with the bucket's
first call.

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
    """Whole seconds until the bucket's window ends (at least 1, at most the window)."""

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
    seconds: float
    count: int

    def ended(self, now: float) -> bool:
        return now - self.started >= self.seconds


def seconds_left(started: float, window: float, now: float) -> int:
    """Whole seconds from ``now`` until a window that began at ``started`` ends.

    The time already spent is subtracted from the window (not ``started + window - now``,
    whose float rounding can exceed the window and report a 61 s reset), then rounded up
    and kept within 1..window.
    """
    left = window - (now - started)
    return min(math.ceil(window), max(1, math.ceil(left)))


class RateLimiter:
    """Thread-safe counters of requests per bucket (e.g. tenant, or tenant and probe key)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, ...], _Window] = {}
        self._lock = threading.Lock()

    def hit(
        self, bucket: tuple[str, ...], limit: int, window_seconds: float = WINDOW_SECONDS
    ) -> Decision:
        """Count one request in ``bucket`` unless its budget of ``limit`` is already spent.

        Args:
            bucket: Whose budget the request is counted in.
            limit: Requests allowed per window.
            window_seconds: Length of the bucket's window when this request opens one.
        """
        now = self._clock()
        with self._lock:
            if len(self._windows) > _PRUNE_ABOVE:
                self._prune(now)
            window = self._windows.get(bucket)
            if window is None or window.ended(now):
                window = self._windows[bucket] = _Window(now, window_seconds, 0)
            allowed = window.count < limit
            if allowed:
                window.count += 1
            reset = seconds_left(window.started, window.seconds, now)
            return Decision(allowed, limit, max(0, limit - window.count), reset)

    def _prune(self, now: float) -> None:
        ended = [b for b, w in self._windows.items() if w.ended(now)]
        for bucket in ended:
            del self._windows[bucket]
