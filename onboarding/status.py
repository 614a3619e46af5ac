"""The onboarding's state as people see it: the checklist, sign-offs and refusals."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from onboarding.checks import CheckResult
from onboarding.steps import STEP_ORDER, OnboardingState, StepKey, StepStatus
from onboarding.support import SupportModel


class StepRecord(BaseModel):
    """One checklist line: status, times, actors and the checks that proved it."""

    key: StepKey
    status: StepStatus = StepStatus.PENDING
    started_at: datetime | None = None
    completed_at: datetime | None = None
    actors: list[str] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    blocked_reason: str | None = None
    runs: int = 0
    """Runs of the step: 1 once started, plus one after each block (retried or waived)."""
    waiting_for: str | None = None
    """While waiting: who or what the step waits for, in words."""

    def add_actor(self, who: str) -> None:
        if who not in self.actors:
            self.actors.append(who)


class GateRecord(BaseModel):
    """A human gate that is open: who is awaited, since when, due when, who was chased."""

    gate: str
    """Its id, as `onboard deadline` takes it: `owner-assignment`, `enablement:<item>`,
    `sign-off:<customer|platform|support>` or `review-feedback`."""
    title: str = ""
    """In words, e.g. "customer sign-off"."""
    step: StepKey
    awaiting: str
    """Who may close it, in words."""
    responsible: list[str] = Field(default_factory=list)
    """Who is reminded: the people who may close it."""
    opened_at: datetime
    due_at: datetime
    overdue: bool = False
    reminders_sent: int = 0
    escalation_level: int = 0
    """Rungs of the escalation ladder told since the deadline was last set."""
    notified: list[str] = Field(default_factory=list)
    """Everyone a reminder or escalation about this gate went to, first first."""
    checked_at: datetime | None = None
    """Reminders and escalations due up to this time have gone out."""
    next_notice_at: datetime | None = None
    """When the next reminder or escalation goes out."""
    deadline_moves: int = 0
    deadline_moved_by: str | None = None
    invited_for: int | None = None
    """For customer gates: the deadline (count of moves) the admins' links were sent for."""

    def notify(self, recipients: list[str]) -> None:
        self.notified += [r for r in recipients if r not in self.notified]


class SignOffRecord(BaseModel):
    gate: str
    by: str
    at: datetime
    note: str | None = None


class EnablementRecord(BaseModel):
    item: str
    evidence: str
    by: str
    at: datetime


class Refusal(BaseModel):
    """An input that was refused: kept so nobody wonders where their signal went."""

    input: str
    by: str
    at: datetime
    reason: str


class DeviationRecord(BaseModel):
    """A request to pass over one blocked check, and its four-eyes decision."""

    id: str
    step: StepKey
    check: str
    reason: str
    requested_by: str
    requested_at: datetime
    state: str = "pending"
    """pending | approved | rejected"""
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None


class FeedbackRecord(BaseModel):
    by: str
    at: datetime
    text: str


class RecordHead(BaseModel):
    """The newest entry of the onboarding's record, as the workflow last saw it written.

    `onboard verify` holds the records store against it: an entry changed, removed from
    the end, or a whole onboarding deleted shows as tampering.
    """

    seq: int = Field(ge=0)
    hash: str | None = None


REFUSALS_KEPT = 50
"""Refusals the status keeps (the newest); the records keep every one."""


class OutsideAction(BaseModel):
    """Something done to the onboarding's workflow outside the onboarding process
    (terminate, cancel, reset from the Web UI or the `temporal` CLI), as Temporal recorded it."""

    action: str
    """terminated | cancelled | timed_out | reset"""
    by: str | None = None
    """The identity Temporal recorded (the client's own claim, e.g. `temporal-cli:...`)."""
    at: datetime
    reason: str | None = None
    run_id: str | None = None

    @property
    def closed(self) -> bool:
        return self.action != "reset"

    def sentence(self) -> str:
        """E.g. "closed outside the onboarding process: terminated by X at T (reason: R)"."""
        lead = "closed" if self.closed else "changed"
        by = f" by {self.by}" if self.by else ""
        why = f" (reason: {self.reason})" if self.reason else ""
        at = self.at.strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{lead} outside the onboarding process: {self.action}{by} at {at}{why}"


class OnboardingStatus(BaseModel):
    """Everything `onboard status` shows; the workflow's query result."""

    tenant_id: str
    tenant_name: str
    workflow_id: str
    state: OnboardingState = OnboardingState.RUNNING
    current_step: StepKey | None = StepKey.PRE_ONBOARDING
    owner: str | None = None
    started_by: str | None = None
    steps: list[StepRecord] = Field(
        default_factory=lambda: [StepRecord(key=key) for key in STEP_ORDER]
    )
    sign_offs: list[SignOffRecord] = Field(default_factory=list)
    enablement: list[EnablementRecord] = Field(default_factory=list)
    refused: list[Refusal] = Field(default_factory=list)
    """The newest refused inputs (at most `REFUSALS_KEPT`)."""
    refused_total: int = 0
    """Every refused input so far, counted."""
    feedback: list[FeedbackRecord] = Field(default_factory=list)
    deviations: list[DeviationRecord] = Field(default_factory=list)
    gates: list[GateRecord] = Field(default_factory=list)
    """The open human gates (none while machines work)."""
    go_live_at: datetime | None = None
    review_due_at: datetime | None = None
    review_opened_at: datetime | None = None
    """When the review ran (usage gathered) and feedback opened."""
    usage: dict[str, object] = Field(default_factory=dict)
    documents: list[dict[str, object]] = Field(default_factory=list)
    """Customer documents delivered in Step 6: key, title, version, content hash, recipients."""
    review: dict[str, object] | None = None
    """The documented review: report (path, sha256), passed, findings."""
    support: SupportModel | None = None
    """The support and escalation model registered with the platform's support system."""
    records: RecordHead | None = None
    """The record's newest entry as written by this onboarding's record writer."""
    records_rejected: list[str] = Field(default_factory=list)
    """Audit entries the records store refused (named, never retried for ever)."""

    def add_refusal(self, refusal: Refusal) -> None:
        """Keep a refusal (the newest `REFUSALS_KEPT`) and count it."""
        self.refused = [*self.refused, refusal][-REFUSALS_KEPT:]
        self.refused_total += 1

    outside: OutsideAction | None = None
    """Set by `onboard status` (never by the workflow) when someone terminated, cancelled or
    reset the onboarding's workflow outside the process."""

    def step(self, key: StepKey) -> StepRecord:
        return next(s for s in self.steps if s.key == key)

    def sign_off(self, gate: str) -> SignOffRecord | None:
        return next((s for s in self.sign_offs if s.gate == gate), None)

    def deviation(self, deviation_id: str) -> DeviationRecord | None:
        return next((d for d in self.deviations if d.id == deviation_id), None)

    def enablement_item(self, item: str) -> EnablementRecord | None:
        return next((e for e in self.enablement if e.item == item), None)
