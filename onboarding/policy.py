"""What the worker's operators decide for every onboarding: the roster and the timings."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field, field_validator

from onboarding.carryover import Carryover
from onboarding.contract import Contract, SlaTier
from onboarding.keys import PublicKeyText
from onboarding.ladder import Ladder
from onboarding.proof import Keyring, Proof
from onboarding.roster import Roster

GATE_DEADLINES: dict[SlaTier, timedelta] = {
    SlaTier.STANDARD: timedelta(days=10),
    SlaTier.PREMIUM: timedelta(days=7),
    SlaTier.ENTERPRISE: timedelta(days=5),
}
"""Default time people have to act at a gate (owner, evidence, sign-offs, feedback)."""

HISTORY_LIMIT = 51_200
"""Temporal's hard limit on the events of one workflow run."""
HISTORY_BUDGET = 400
"""Under 1% of the limit: a reminder costs about 11 events, so a 90-day stall with daily
reminders takes a few runs, each small (see `onboard`'s README, "Long lives")."""

REVIEW_LIMIT = timedelta(days=30)
"""PHASE-33: the post-onboarding review happens within 30 days of go-live."""


class OnboardingPolicy(BaseModel):
    """Loaded by an activity when the onboarding starts and whenever a human gate opens."""

    roster: Roster
    review_after: timedelta = REVIEW_LIMIT
    step_max_attempts: int = Field(default=5, ge=1)
    """Attempts of a step's activity before the step is blocked (platform down)."""
    gate_deadlines: dict[SlaTier, timedelta] = Field(default_factory=lambda: dict(GATE_DEADLINES))
    """How long people have to act once a gate opens, per SLA tier."""
    gate_deadline_override: timedelta | None = None
    """One deadline for every gate (demos, staging): ONBOARDING_GATE_DEADLINE."""

    history_budget: int = Field(default=HISTORY_BUDGET, ge=100, le=HISTORY_LIMIT)
    """Events one run of the workflow may hold before it continues as new."""
    ladder: Ladder = Field(default_factory=Ladder)
    """Reminder and escalation times, meant for the tier deadlines above."""
    approvals_keys: list[PublicKeyText] = Field(default_factory=list, max_length=8)
    """Public keys of the approvals service, which vouches for customer admins."""

    def keyring(self) -> Keyring:
        """The keys whose signatures this onboarding accepts."""
        return Keyring(staff=self.roster.keys_by_person(), approvals=tuple(self.approvals_keys))

    def tier_deadline(self, tier: SlaTier) -> timedelta:
        return self.gate_deadlines.get(tier, GATE_DEADLINES[tier])

    def gate_deadline(self, tier: SlaTier) -> timedelta:
        return self.gate_deadline_override or self.tier_deadline(tier)

    def gate_ladder(self, tier: SlaTier) -> Ladder:
        """The ladder for a tier's gates, scaled down with an overridden deadline.

        With ONBOARDING_GATE_DEADLINE=PT20S instead of five days, a reminder two days
        before the deadline comes eight seconds before it.
        """
        if self.gate_deadline_override is None:
            return self.ladder
        return self.ladder.scaled(self.gate_deadline_override / self.tier_deadline(tier))

    @field_validator("review_after")
    @classmethod
    def _within_thirty_days(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0) or value > REVIEW_LIMIT:
            raise ValueError("the review must come after go-live and within 30 days of it")
        return value


class OnboardingInput(BaseModel):
    """The workflow's one input. It carries no secret: the contract and who started it."""

    contract: Contract
    started_by: str
    start_proof: Proof | None = None
    """The starter's signature over `start_payload(contract, started_by)` (input `start`);
    the workflow verifies it before anything else."""
    carried: Carryover | None = None
    """Set only when a run continues as new: the state it takes over."""


START = "start"
"""The name a start is signed under."""


def start_payload(contract: Contract, started_by: str) -> dict[str, object]:
    """What a start's signature covers: the whole contract and who starts it."""
    return {"contract": contract.model_dump(mode="json"), "started_by": started_by}
