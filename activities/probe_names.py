"""Probe identities: whose they are, by name, so attempts never tread on each other.

Each probe user's e-mail names the attempt that created it, its *generation*:
``probe-<role>.s<step>r<run>a<attempt>@<tenant>.<probe domain>`` (step 3, 4 or 5; the
step's run, 1 + people's retries; Temporal's attempt of the activity). Generations are
ordered by (step, run, attempt), which only grows as an onboarding goes on, so an attempt
can tell the users of older attempts (stale: retire them) from those of newer ones (a
later attempt is running: leave them alone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from temporalio import activity

from onboarding.checks import StepRequest
from onboarding.steps import StepKey

PROBE_STEPS: dict[StepKey, int] = {
    StepKey.ACCESS_IDENTITY: 3,
    StepKey.ENVIRONMENT_VALIDATION: 4,
    StepKey.FEATURE_ENABLEMENT: 5,
}
"""The steps that act inside the customer's tenant through probe users, by PHASE-33 number."""

ROLES_LATER: dict[int, frozenset[str]] = {
    3: frozenset({"viewer", "editor"}),
    4: frozenset({"viewer", "editor"}),
    5: frozenset(),
}
"""Probe roles a later probe step still needs, after each step: Step 4 uses a viewer,
Step 5 a viewer and an editor. Every other probe user is removed when its step ends."""

_NAME = re.compile(r"^probe-(?P<role>[a-z0-9_-]+)\.s(?P<s>\d{1,2})r(?P<r>\d{1,6})a(?P<a>\d{1,6})@")


@dataclass(frozen=True, order=True)
class Generation:
    """The attempt that owns a set of probe users; older sorts first."""

    step: int
    run: int
    attempt: int

    @property
    def label(self) -> str:
        return f"s{self.step}r{self.run}a{self.attempt}"

    @property
    def first_try(self) -> bool:
        """Whether this is the step's first run and Temporal's first attempt of it."""
        return self.run == 1 and self.attempt == 1


LEGACY = Generation(0, 0, 0)
"""Probe users named before generations existed (``probe-<role>@...``): always stale."""


def current_generation(req: StepRequest) -> Generation:
    """Return the generation of this attempt (attempt 1 outside an activity, as in tests)."""
    attempt = activity.info().attempt if activity.in_activity() else 1
    return Generation(PROBE_STEPS.get(req.step, 0), max(1, req.attempt), max(1, attempt))


def probe_email(tenant_id: str, role: str, generation: Generation, domain: str) -> str:
    """Return the e-mail of a probe user of one role and generation."""
    return f"probe-{role}.{generation.label}@{tenant_id}.{domain}"


@dataclass(frozen=True)
class ProbeUser:
    """A probe user found on the platform."""

    email: str
    role: str
    generation: Generation


def found_probe_users(users: list[dict[str, Any]], tenant_id: str, domain: str) -> list[ProbeUser]:
    """Return the onboarding's probe users among a tenant's users, with their generations.

    Only users flagged ``probe`` under the tenant's probe domain count: a customer's own
    user is never taken for a probe, whatever its name.
    """
    suffix = f"@{tenant_id}.{domain}"
    found = []
    for user in users:
        email = str(user.get("email", "")).lower()
        if not user.get("probe") or not email.endswith(suffix):
            continue
        roles = [str(r) for r in user.get("roles") or []]
        match = _NAME.match(email)
        if match is None:
            found.append(ProbeUser(email, roles[0] if len(roles) == 1 else "", LEGACY))
            continue
        generation = Generation(int(match["s"]), int(match["r"]), int(match["a"]))
        role = match["role"] if roles == [match["role"]] else ""  # roles changed: never reuse
        found.append(ProbeUser(email, role, generation))
    return found
