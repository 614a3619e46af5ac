"""The notification outbox table: every notification, kept once per key, and its delivery.

Importing this module adds the `outbox` table to `records.models.Base.metadata`; the
table itself is created by migration `0002`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from records.models import IDEMPOTENCY_KEY_LENGTH, STEP_LENGTH, TENANT_ID_LENGTH, Base

OUTBOX_KIND_LENGTH = 20
SUBJECT_LENGTH = 255
STATUS_LENGTH = 16
CHANNEL_LENGTH = 40
REFERENCE_LENGTH = 255

# As in records.models: SQLite only auto-increments an INTEGER PRIMARY KEY.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class OutboxStatus(StrEnum):
    """Where a notification's delivery stands."""

    PENDING = "pending"
    """Enqueued, no delivery attempted yet."""
    SENT = "sent"
    """Delivered by one of the senders; never sent again."""
    FAILED = "failed"
    """The last attempt failed on every sender; the activity's retries try again."""


class Outbox(Base):
    """One notification and its delivery state; at most one row per key."""

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'failed')", name="status"),
        CheckConstraint("kind IN ('reminder', 'escalation', 'info', 'invite')", name="kind"),
        Index("ix_outbox_tenant_id_status", "tenant_id", "status"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), unique=True)
    """The notification's idempotency key."""
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID_LENGTH))
    kind: Mapped[str] = mapped_column(String(OUTBOX_KIND_LENGTH))
    """A `NotificationKind` value."""
    gate: Mapped[str | None] = mapped_column(String(STEP_LENGTH))
    recipients: Mapped[list[str]] = mapped_column(JSON)
    """E-mail addresses."""
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    """When the workflow produced the notification."""
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH), default=OutboxStatus.PENDING.value)
    """An `OutboxStatus` value."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Delivery attempts so far, the successful one included."""
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    """Why the latest failed attempt failed (kept after a later success)."""
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    channel: Mapped[str | None] = mapped_column(String(CHANNEL_LENGTH), default=None)
    """The sender that delivered it (`webhook`, `smtp`, ...)."""
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH), default=None)
    """The sender's delivery reference (a Message-ID, the webhook's id, ...)."""

    def __repr__(self) -> str:
        return f"Outbox(key={self.key!r}, status={self.status!r}, attempts={self.attempts})"
