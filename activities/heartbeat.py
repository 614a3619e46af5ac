"""One heartbeat for every long activity: it beats throughout, including while a request
to the platform is still waiting for its answer.

A step activity under load can spend longer than its heartbeat timeout in one platform call;
a heartbeat sent only between calls would let Temporal time the attempt out and start another
while the first is still running. `heartbeating` beats from a task of its own instead, and
because the server answers a heartbeat of a timed-out or cancelled attempt with a
cancellation, such an attempt stops at the next beat rather than running on.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import ParamSpec, TypeVar

from temporalio import activity

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_INTERVAL_SECONDS = 5.0
"""Beat interval when the activity has no heartbeat timeout."""


def beat_interval() -> float:
    """Return how often to beat: a quarter of the heartbeat timeout, within 0.2 s..10 s."""
    timeout = activity.info().heartbeat_timeout
    if timeout is None or timeout.total_seconds() <= 0:
        return DEFAULT_INTERVAL_SECONDS
    return min(10.0, max(0.2, timeout.total_seconds() / 4))


@asynccontextmanager
async def keep_alive() -> AsyncIterator[None]:
    """Heartbeat the current activity for as long as the block runs (no-op outside one)."""
    if not activity.in_activity():
        yield
        return
    interval = beat_interval()

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(interval)

    beating = asyncio.create_task(beat(), name="heartbeat")
    try:
        yield
    finally:
        beating.cancel()
        with suppress(asyncio.CancelledError):
            await beating


def heartbeating(fn: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Run an activity function inside `keep_alive` (put it under ``@activity.defn``)."""

    @functools.wraps(fn)
    async def run(*args: P.args, **kwargs: P.kwargs) -> T:
        async with keep_alive():
            return await fn(*args, **kwargs)

    return run
