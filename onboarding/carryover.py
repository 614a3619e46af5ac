"""What one run of an onboarding hands the next when its history grows long.

An onboarding can wait for people for months. Each reminder adds events to the
workflow's history, so past a budget the workflow continues as new and passes on all of
its state: the status (steps, gates and their ladders, sign-offs, refusals...), and the
audit entries and notifications not yet written, so nothing is lost or sent twice.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from onboarding.audit import AuditEntry
from onboarding.checks import StepResult
from onboarding.notifications import Notification
from onboarding.status import OnboardingStatus
from onboarding.steps import StepKey


class BlockedAt(BaseModel):
    """A step that was blocked when its run handed over: the next run waits right there."""

    step: StepKey
    activity: str
    """The activity whose checks failed (or that could not reach the platform)."""
    reason: str
    result: StepResult | None = None
    """What it reported (None: the platform could not be reached)."""


class Carryover(BaseModel):
    status: OnboardingStatus
    opened_at: datetime
    """When the first run started (the records store's opened_at)."""
    audit_seq: int
    """The last audit key number used; the next run goes on from it."""
    audit_pending: list[AuditEntry] = Field(default_factory=list)
    notifications_pending: list[Notification] = Field(default_factory=list)
    owner_receipt: tuple[str, datetime] | None = None
    retry_requested: dict[StepKey, str] = Field(default_factory=dict)
    runs: int = 1
    """Runs so far, this one included."""
    nonces: dict[str, datetime] = Field(default_factory=dict)
    """Nonces of signed inputs taken lately (accepted or refused), with their signing time."""
    refused_digests: list[str] = Field(default_factory=list)
    """Digests of inputs refused lately: the same one again is turned away for free."""
    record_opened: bool = False
    """The records store holds the onboarding (its contract went with the first batch)."""
    blocked: BlockedAt | None = None
    """Set when the run handed over while a step was blocked."""
    passed_in_step: dict[str, StepResult] = Field(default_factory=dict)
    """Results of the current step's activities that passed before it was blocked (the
    next run does not run them again)."""
