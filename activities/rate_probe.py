"""The small rate-limit probe: a bucket of a few requests proves the 429 and its reset.

Instead of spending a tenant's whole minute of budget (600 requests for a 600/min
contract), the probe asks the platform for a small bucket of its own (``X-Probe-Limit``
requests per ``X-Probe-Window`` seconds, see sandbox/API.md), which the platform enforces
with the same rules as the tenant's: LIMIT requests pass, the next is refused with 429 and
a ``Retry-After``, and once that time has passed a request passes again.

The verdict does not depend on how fast the checker is. The platform's window starts at
the bucket's first request, so when the LIMIT + 1 answers all arrived within one window of
sending the first request, they were all counted in one window and a wrong answer is a
real finding. When they took longer, a window may have ended in between: the probe is
inconclusive and the caller repeats it with a longer window. The reset is proven by waiting
at least ``Retry-After`` after the 429 arrived; a late request is only more surely in the
next window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from activities.evidence import pause
from activities.platform import PlatformClient, ProbeBucket, Reply, Session
from activities.probes import new_probe_key

RESET_MARGIN_SECONDS = 0.05
"""Extra wait past ``Retry-After`` before the request that proves the reset."""


def header_int(reply: Reply, name: str) -> int | None:
    """Return an integer header of a reply, or None when absent or not a number."""
    value = reply.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class BucketProbe:
    """What one small bucket showed."""

    bucket: ProbeBucket
    statuses: list[int]
    """Statuses of the LIMIT + 1 requests, in order."""
    announced: set[int | None]
    """``X-RateLimit-Limit`` values the bucket's answers carried."""
    seconds: float
    """From sending the first request to the last answer, on the checker's clock."""
    retry_after: int | None = None
    reset_status: int | None = None
    """Status of the request sent once ``Retry-After`` had passed (None: not sent)."""
    reset_remaining: int | None = None
    conclusive: bool = True

    def observed(self) -> dict[str, Any]:
        """Return the evidence of this probe."""
        return {
            "limit": self.bucket.limit,
            "window_seconds": self.bucket.window_seconds,
            "statuses": self.statuses,
            "announced_limit": sorted(self.announced, key=lambda v: (v is None, v or 0)),
            "seconds": round(self.seconds, 3),
            "retry_after": self.retry_after,
            "after_reset": self.reset_status,
            "remaining_after_reset": self.reset_remaining,
        }

    def counted_right(self) -> bool:
        """Whether LIMIT requests passed and the next was refused."""
        limit = self.bucket.limit
        return self.statuses == [200] * limit + [429]

    def problems(self) -> list[str]:
        """Return what a conclusive probe found wrong (empty: limit, 429 and reset hold)."""
        limit, window = self.bucket.limit, self.bucket.window_seconds
        found = []
        if self.announced != {limit}:
            shown = ", ".join(str(v) for v in self.announced)
            found.append(f"the probe bucket of {limit} announces X-RateLimit-Limit {shown}")
        early = [i + 1 for i, s in enumerate(self.statuses[:limit]) if s != 200]
        if early:
            found.append(
                f"request {early[0]} of a bucket of {limit} was answered "
                f"{self.statuses[early[0] - 1]}, not 200"
            )
        if self.statuses[limit] != 429:
            found.append(
                f"request {limit + 1} of a bucket of {limit} was answered "
                f"{self.statuses[limit]}, not 429"
            )
        elif self.retry_after is None:
            found.append("the 429 carries no Retry-After")
        elif not 1 <= self.retry_after <= window:
            found.append(f"the 429's Retry-After is {self.retry_after}s for a {window}s window")
        elif self.reset_status != 200:
            found.append(
                f"a request after the {self.retry_after}s Retry-After was answered "
                f"{self.reset_status}, not 200"
            )
        elif self.reset_remaining != limit - 1:
            found.append(
                f"after the reset the bucket had {self.reset_remaining} left, not {limit - 1}"
            )
        return found


async def bucket_probe(
    platform: PlatformClient, tenant_id: str, session: Session, bucket: ProbeBucket
) -> BucketProbe:
    """Send LIMIT + 1 requests in a fresh small bucket, then one after its reset."""
    key = new_probe_key("rate")

    async def ping() -> Reply:
        return await platform.tenant(
            "GET", tenant_id, "/ping", session, probe_key=key, probe_bucket=bucket
        )

    started = time.monotonic()
    replies = [await ping() for _ in range(bucket.limit + 1)]
    refused_at = time.monotonic()
    probe = BucketProbe(
        bucket=bucket,
        statuses=[r.status for r in replies],
        announced={header_int(r, "X-RateLimit-Limit") for r in replies},
        seconds=refused_at - started,
    )
    if (
        not probe.counted_right()
        and probe.announced == {bucket.limit}
        and probe.seconds >= bucket.window_seconds
    ):
        return replace(probe, conclusive=False)  # a window may have ended mid-way
    retry_after = header_int(replies[-1], "Retry-After")
    probe = replace(probe, retry_after=retry_after)
    if probe.statuses[-1] != 429 or retry_after is None:
        return probe
    if not 1 <= retry_after <= bucket.window_seconds:
        return probe
    await pause(max(0.0, refused_at + retry_after - time.monotonic()) + RESET_MARGIN_SECONDS)
    reset = await ping()
    return replace(
        probe,
        reset_status=reset.status,
        reset_remaining=header_int(reset, "X-RateLimit-Remaining"),
    )
