"""When a human gate's people are reminded and who is escalated to: the ladder.

Pure and sandbox-safe. Every time is measured from the gate's own deadline, so a moved
deadline moves the whole ladder with it:

- reminders before the deadline (`remind_before`, e.g. two days and twelve hours before);
- once the deadline passes, a reminder at the deadline and then every `remind_every`;
- escalation rungs (`escalations`), each `after` a time past the deadline: by default the
  onboarding owner one day late, the contract's escalation contacts three days late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from onboarding.contract import Email

MIN_REMINDER_INTERVAL = timedelta(seconds=1)
"""Overdue reminders never repeat faster than this, however far a deadline is scaled down."""


class Audience(StrEnum):
    """Who an escalation rung notifies, besides a literal e-mail address."""

    OWNER = "owner"
    """The onboarding owner; whoever started the onboarding while none is assigned."""
    ESCALATION_CONTACTS = "escalation_contacts"
    """The contract's support escalation contacts."""


class Rung(BaseModel):
    """One step of the escalation ladder."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    after: timedelta = Field(ge=timedelta(0))
    """How long past the deadline this rung is told."""
    notify: Audience | Email
    """`owner`, `escalation_contacts`, or an e-mail address (e.g. a head of support)."""


def _default_rungs() -> list[Rung]:
    return [
        Rung(after=timedelta(days=1), notify=Audience.OWNER),
        Rung(after=timedelta(days=3), notify=Audience.ESCALATION_CONTACTS),
    ]


class Ladder(BaseModel):
    """Reminder and escalation times of every gate, relative to its deadline."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    remind_before: list[timedelta] = Field(
        default_factory=lambda: [timedelta(days=2), timedelta(hours=12)]
    )
    """Reminders this long before the deadline (those before the gate opened are skipped)."""
    remind_every: timedelta = timedelta(days=1)
    """Once overdue: a reminder at the deadline, then one every this long."""
    escalations: list[Rung] = Field(default_factory=_default_rungs)
    """The ladder past the deadline, in order; level N means rung N has been told."""

    @field_validator("remind_before")
    @classmethod
    def _positive(cls, value: list[timedelta]) -> list[timedelta]:
        if any(v <= timedelta(0) for v in value):
            raise ValueError("reminders come before the deadline: give positive durations")
        return sorted(set(value), reverse=True)

    @field_validator("remind_every")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        if value < MIN_REMINDER_INTERVAL:
            raise ValueError(f"must be at least {MIN_REMINDER_INTERVAL.total_seconds():g} s")
        return value

    @field_validator("escalations")
    @classmethod
    def _in_order(cls, value: list[Rung]) -> list[Rung]:
        return sorted(value, key=lambda rung: rung.after)

    def scaled(self, factor: float) -> Ladder:
        """The same ladder with every time multiplied by `factor` (a shortened deadline)."""
        return Ladder(
            remind_before=[v * factor for v in self.remind_before if v * factor > timedelta(0)],
            remind_every=max(self.remind_every * factor, MIN_REMINDER_INTERVAL),
            escalations=[Rung(after=r.after * factor, notify=r.notify) for r in self.escalations],
        )

    def next_reminder(self, opened_at: datetime, due_at: datetime, after: datetime) -> datetime:
        """The first reminder strictly after `after` for a gate opened and due as given."""
        for before in self.remind_before:  # largest first: earliest time first
            at = due_at - before
            if opened_at < at and at > after:
                return at
        if after < due_at:
            return due_at
        periods = (after - due_at) // self.remind_every + 1
        return due_at + periods * self.remind_every

    def reminder_due(
        self, opened_at: datetime, due_at: datetime, checked_at: datetime, now: datetime
    ) -> bool:
        """Whether a reminder fell due since the ladder was last looked at.

        Several missed reminders (a worker that was down) make one reminder, not a burst.
        """
        return self.next_reminder(opened_at, due_at, checked_at) <= now

    def level_at(self, due_at: datetime, now: datetime) -> int:
        """How many rungs should have been told by `now`."""
        return sum(1 for rung in self.escalations if due_at + rung.after <= now)

    def next_escalation(self, due_at: datetime, level: int) -> datetime | None:
        """When the rung after `level` is told, or `None` past the top of the ladder."""
        if level >= len(self.escalations):
            return None
        return due_at + self.escalations[level].after
