"""Who may close an open gate, so its due date lands on the right person's list.

The same rules as the workflow's reminders (`onboarding.gates.responsible`), read from the
records and the roster: the contract's admins for the customer's gates, the roster's
role holders for staff's. Without a roster a staff gate is listed under its role.
"""

from __future__ import annotations

from onboarding.gates import ENABLEMENT_PREFIX, OWNER_ASSIGNMENT, REVIEW_FEEDBACK
from onboarding.roster import Role, Roster
from portfolio.timeline import Timeline

_ROLE_OF_GATE: dict[str, Role] = {
    OWNER_ASSIGNMENT: Role.ONBOARDING_OWNER,
    "sign-off:platform": Role.PLATFORM_APPROVER,
    "sign-off:support": Role.SUPPORT_LEAD,
}


def responsible(gate: str, timeline: Timeline, roster: Roster | None) -> list[str]:
    """Return the people (or `role:<name>` without a roster) who may close a gate."""
    owner = [timeline.owner] if timeline.owner else []
    if gate == "sign-off:customer":
        return timeline.admins or ["customer admins"]
    if gate == REVIEW_FEEDBACK:
        return _distinct(timeline.admins + owner)
    if gate.startswith(ENABLEMENT_PREFIX):
        return _distinct(owner + _holders(Role.CSM, roster)) or ["role:csm"]
    role = _ROLE_OF_GATE.get(gate)
    if role is None:
        return owner or ["(unknown)"]
    people = _holders(role, roster)
    if role is Role.PLATFORM_APPROVER:  # never the owner: four eyes
        people = [p for p in people if p not in owner]
    return people or [f"role:{role.value}"]


def _holders(role: Role, roster: Roster | None) -> list[str]:
    if roster is None:
        return []
    return [p.email for p in roster.people if role in p.roles]


def _distinct(emails: list[str]) -> list[str]:
    return list(dict.fromkeys(emails))
