"""The outbox store: notifications kept once per key, and how their delivery went."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onboarding.notifications import Notification
from records.db import WRITE_OPTION
from records.outbox import CHANNEL_LENGTH, REFERENCE_LENGTH, Outbox, OutboxStatus
from records.times import as_utc

LAST_ERROR_MAX_LENGTH = 2000
"""Longer error messages are cut before they are stored."""


class OutboxConflict(ValueError):
    """A key was reused for a different notification (another tenant, kind or gate)."""


class UnknownNotification(LookupError):
    """No notification is in the outbox under the key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no notification is in the outbox under key {key!r}; enqueue it first")
        self.key = key


class OutboxStore:
    """The notification outbox in the records database.

    Every write is idempotent and safe against concurrent writers (PostgreSQL: the row is
    locked `FOR UPDATE`; SQLite: the write transaction begins `IMMEDIATE`). Methods
    block: call them from a thread (`asyncio.to_thread`) in async code. Returned rows
    are detached copies.
    """

    def __init__(self, engine: Engine) -> None:
        """Use an engine made by `records.db.make_engine` on a migrated database."""
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    @property
    def engine(self) -> Engine:
        """The engine the store writes through."""
        return self._engine

    def enqueue(self, n: Notification) -> Outbox:
        """Put a notification in the outbox, once per key.

        Args:
            n: The notification.

        Returns:
            The new row (status `pending`), or the row already there under the key
            (nothing written; the first notification's contents stay).

        Raises:
            OutboxConflict: The key is taken by a notification of another tenant, kind
                or gate.
        """
        found = self.get(n.key)
        if found is not None:
            return _same(found, n)
        try:
            with self._write() as session:
                row = Outbox(
                    key=n.key,
                    tenant_id=n.tenant_id,
                    kind=n.kind.value,
                    gate=n.gate,
                    recipients=list(n.recipients),
                    subject=n.subject,
                    body=n.body,
                    created_at=n.created_at,
                    status=OutboxStatus.PENDING.value,
                    attempts=0,
                )
                session.add(row)
        except IntegrityError:
            found = self.get(n.key)
            if found is None:
                raise
            return _same(found, n)
        return row

    def get(self, key: str) -> Outbox | None:
        """Return the row under a key, or `None`."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            return session.scalars(select(Outbox).where(Outbox.key == key)).one_or_none()

    def mark_sent(
        self, key: str, reference: str, channel: str, at: datetime | None = None
    ) -> Outbox:
        """Record a delivery: status `sent`, one more attempt, reference and channel.

        A row already `sent` is left as it is (the first delivery's reference stays).

        Args:
            key: The notification's key.
            reference: The sender's delivery reference.
            channel: The sender's channel (`webhook`, `smtp`, ...).
            at: When it was delivered (aware); default now.

        Raises:
            UnknownNotification: Nothing is in the outbox under the key.
        """
        sent_at = as_utc(at) if at is not None else datetime.now(UTC)
        with self._write() as session:
            row = _locked(session, key)
            if row.status != OutboxStatus.SENT:
                row.status = OutboxStatus.SENT.value
                row.attempts += 1
                row.sent_at = sent_at
                row.reference = reference[:REFERENCE_LENGTH]
                row.channel = channel[:CHANNEL_LENGTH]
            return row

    def mark_failed(self, key: str, error: str) -> Outbox:
        """Record a failed attempt: status `failed`, one more attempt, the error.

        A row already `sent` is left as it is.

        Args:
            key: The notification's key.
            error: Why it failed; must hold no secret. Cut to `LAST_ERROR_MAX_LENGTH`.

        Raises:
            UnknownNotification: Nothing is in the outbox under the key.
        """
        with self._write() as session:
            row = _locked(session, key)
            if row.status != OutboxStatus.SENT:
                row.status = OutboxStatus.FAILED.value
                row.attempts += 1
                row.last_error = error[:LAST_ERROR_MAX_LENGTH]
            return row

    def pending(self, tenant_id: str) -> list[Outbox]:
        """Return a tenant's undelivered notifications (`pending` or `failed`), oldest first."""
        with Session(self._engine, expire_on_commit=False) as session, session.begin():
            return list(
                session.scalars(
                    select(Outbox)
                    .where(
                        Outbox.tenant_id == tenant_id,
                        Outbox.status.in_([OutboxStatus.PENDING.value, OutboxStatus.FAILED.value]),
                    )
                    .order_by(Outbox.created_at, Outbox.id)
                )
            )

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session


def _locked(session: Session, key: str) -> Outbox:
    row = session.scalars(select(Outbox).where(Outbox.key == key).with_for_update()).one_or_none()
    if row is None:
        raise UnknownNotification(key)
    return row


def _same(row: Outbox, n: Notification) -> Outbox:
    if (row.tenant_id, row.kind, row.gate) != (n.tenant_id, n.kind.value, n.gate):
        raise OutboxConflict(
            f"outbox key {n.key!r} is already used by a {row.kind} notification for tenant "
            f"{row.tenant_id!r} (gate {row.gate!r}); give each notification its own key"
        )
    return row
