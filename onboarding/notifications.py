"""Notifications as the workflow produces them: reminders, escalations, information.

Pure and sandbox-safe (pydantic and the standard library only): the workflow builds a
`Notification` and hands it to the `send_notification` activity, which puts it in the
outbox and delivers it. The `key` makes both idempotent.
"""

from __future__ import annotations

from datetime import UTC
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from onboarding.contract import Email

KEY_MAX_LENGTH = 255
"""Longest idempotency key (the outbox column's length)."""
TENANT_ID_MAX_LENGTH = 64
GATE_MAX_LENGTH = 64
SUBJECT_MAX_LENGTH = 255
"""Longer subjects are shortened (ending in an ellipsis) rather than refused."""
MAX_RECIPIENTS = 100


class NotificationKind(StrEnum):
    """Why a notification is sent."""

    REMINDER = "reminder"
    """A gate is open (or overdue): the people responsible are reminded."""
    ESCALATION = "escalation"
    """A gate is past its deadline: the next rung of the escalation ladder is told."""
    INFO = "info"
    """Anything else worth telling someone (a gate opened, a deadline moved, ...)."""
    INVITE = "invite"
    """A customer gate opened: a named admin gets their personal one-time link."""


class LinkRequest(BaseModel):
    """A personal link to add to a notification when it is sent.

    The workflow asks for it; the sending activity makes it (the secret behind a link
    never enters workflow history) and appends it to the body.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow_id: str = Field(min_length=1, max_length=200)
    admin: Email
    """The only person the link works for."""
    gate: str = Field(min_length=1, max_length=GATE_MAX_LENGTH)
    input: str = Field(min_length=1, max_length=64)
    """What redeeming it gives: `sign_off` (customer) or `give_feedback`."""
    expires_at: AwareDatetime
    """The gate's deadline: the link stops working then, or when the gate closes."""


class Notification(BaseModel):
    """One message to one or more people, sent at most once per `key`.

    Built inside the workflow, so every value must be deterministic: `created_at` comes
    from `workflow.now()`, and `key` from the workflow id and what the message is about,
    e.g. `onboarding-acme:owner_assignment:reminder:2`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=1, max_length=KEY_MAX_LENGTH, pattern=r"^\S+$")
    """Idempotency key: the same notification enqueued or sent twice is kept and sent once."""
    tenant_id: str = Field(min_length=1, max_length=TENANT_ID_MAX_LENGTH, pattern=r"^\S+$")
    kind: NotificationKind
    gate: str | None = Field(
        default=None, min_length=1, max_length=GATE_MAX_LENGTH, pattern=r"^\S+$"
    )
    """The human gate it is about, if any (`None` for general information)."""
    recipients: list[Email] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    """E-mail addresses, normalised to lower case, duplicates dropped (first kept)."""
    subject: str = Field(min_length=1)
    """One line: line breaks become spaces, and it is cut to `SUBJECT_MAX_LENGTH`."""
    body: str
    """Plain text."""
    created_at: AwareDatetime
    """When the workflow produced it (normalised to UTC)."""
    link: LinkRequest | None = None
    """Set for invites: the sender adds this recipient's personal link to the body."""

    @field_validator("recipients")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        line = " ".join(value.split())
        if not line:
            raise ValueError("is blank")
        if len(line) > SUBJECT_MAX_LENGTH:
            line = line[: SUBJECT_MAX_LENGTH - 1].rstrip() + "\u2026"
        return line

    @field_validator("created_at")
    @classmethod
    def _utc(cls, value: AwareDatetime) -> AwareDatetime:
        return value.astimezone(UTC)


class NotificationBatch(BaseModel):
    """The notifications one wake-up of the workflow produced, sent by one activity."""

    notifications: list[Notification] = Field(min_length=1)
