"""The session-expiry probe, judged on the platform's own times, never on the checker's pace.

A short session is opened and used twice: once while it surely still lives, once when it
surely has lapsed. "Surely" is worked out from the platform's own ``issued_at`` and
``expires_at`` and the checker's monotonic clock, with no assumption about how quickly the
checker or the platform answer:

- the first request was handled while the session lived if its answer arrived less than
  the granted lifetime after the login was *sent* (the platform issued the session after
  that moment and handled the request before the answer arrived);
- the second request is handled after the session lapsed if it is *sent* at least the
  lifetime (plus a margin) after the login's answer arrived (the session was issued before
  that).

When the first answer comes too late to tell, the probe is not a verdict: the caller asks
again with a longer session. Being slow can only make a probe inconclusive, never failed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from activities.evidence import pause, utc_now
from activities.platform import PlatformClient, Session
from activities.probes import ProbeUsers

LIFETIME_TOLERANCE_SECONDS = 1.0
"""How much longer than asked a granted lifetime may be (rounding, not a policy)."""


@dataclass(frozen=True)
class ExpiryProbe:
    """What one short session showed."""

    ttl_seconds: int
    """The lifetime asked for."""
    lifetime_seconds: float | None
    """The lifetime granted, ``expires_at - issued_at`` (None: no ``expires_at`` given)."""
    issued_by_platform: bool
    """Whether ``issued_at`` came from the platform (else the login's arrival stands in)."""
    before: int | None
    """Status of the request made while the session surely lived (None: not sent)."""
    after: int | None
    """Status of the request made once it surely lapsed (None: not sent)."""
    first_answer_seconds: float
    """From sending the login to the first request's answer, on the checker's clock."""
    conclusive: bool

    def observed(self) -> dict[str, Any]:
        """Return the evidence of this probe."""
        return {
            "before_expiry": self.before,
            "after_expiry": self.after,
            "ttl_seconds": self.ttl_seconds,
            "granted_lifetime_seconds": None
            if self.lifetime_seconds is None
            else round(self.lifetime_seconds, 3),
            "issued_at_from": "platform" if self.issued_by_platform else "login answer received",
            "first_answer_seconds": round(self.first_answer_seconds, 3),
        }

    def problems(self, ttl: int) -> list[str]:
        """Return what a conclusive probe found wrong (empty: sessions expire as asked)."""
        found = []
        if self.lifetime_seconds is None:
            found.append("the login answer carries no expires_at")
        elif self.lifetime_seconds > ttl + LIFETIME_TOLERANCE_SECONDS:
            found.append(
                f"the platform granted {self.lifetime_seconds:.0f}s instead of at most {ttl}s"
            )
        elif self.lifetime_seconds <= 0:
            found.append("the platform granted a session that had already lapsed")
        if self.before is not None and self.before != 200:
            found.append(f"the short session was refused ({self.before}) before it lapsed")
        if self.after is not None and self.after != 401:
            found.append(f"it was still answered {self.after} after it lapsed")
        return found


async def expiry_probe(
    platform: PlatformClient, probes: ProbeUsers, role: str, ttl: int, margin: float
) -> ExpiryProbe:
    """Open a ``ttl``-second session for ``role`` and probe it before and after it lapses.

    Args:
        platform: The platform client.
        probes: The step's probe users (the session is logged out with them).
        role: Whose probe user logs in.
        ttl: The lifetime to ask for.
        margin: Extra wait past the lapse before the second request.
    """

    async def me(session: Session) -> int:
        reply = await platform.tenant(
            "GET", probes.tenant_id, "/me", session, probe_key=probes.probe_key
        )
        return reply.status

    sent = time.monotonic()
    session = await probes.login(role, ttl_seconds=ttl)
    logged_in = time.monotonic()
    issued = session.issued_at or utc_now()  # arrival is later than issue: a shorter lifetime
    lifetime = (
        (session.expires_at - issued).total_seconds() if session.expires_at is not None else None
    )
    probe = ExpiryProbe(
        ttl_seconds=ttl,
        lifetime_seconds=lifetime,
        issued_by_platform=session.issued_at is not None,
        before=None,
        after=None,
        first_answer_seconds=logged_in - sent,
        conclusive=True,
    )
    if lifetime is None or lifetime <= 0 or lifetime > ttl + LIFETIME_TOLERANCE_SECONDS:
        return probe  # the lifetime itself is the finding; nothing to wait for
    before = await me(session)
    first_answer = time.monotonic() - sent
    if before != 200 and first_answer >= lifetime:
        # Refused, but the answer came so late the session may have lapsed already.
        return replace(probe, before=before, first_answer_seconds=first_answer, conclusive=False)
    await pause(max(0.0, logged_in + lifetime + margin - time.monotonic()))
    after = await me(session)
    return replace(probe, before=before, after=after, first_answer_seconds=first_answer)
