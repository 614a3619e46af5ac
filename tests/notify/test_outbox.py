"""The outbox store and its migration, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from notify.outbox import LAST_ERROR_MAX_LENGTH, OutboxConflict, OutboxStore, UnknownNotification
from onboarding.notifications import NotificationKind
from records.db import alembic_config, default_url, make_engine, migrate
from records.models import Base
from records.outbox import Outbox, OutboxStatus
from tests.notify.builders import T0, make_notification


def rows(outbox: OutboxStore, key: str) -> int:
    with Session(outbox.engine) as session:
        return session.scalars(
            select(func.count()).select_from(Outbox).where(Outbox.key == key)
        ).one()


def test_enqueue_is_idempotent_by_key(outbox: OutboxStore, tenant: str) -> None:
    n = make_notification(tenant)
    first = outbox.enqueue(n)
    again = outbox.enqueue(n.model_copy(update={"body": "rendered differently"}))

    assert rows(outbox, n.key) == 1
    assert again.id == first.id and again.body == n.body  # the first one's contents stay
    assert (first.status, first.attempts, first.sent_at, first.reference) == (
        "pending",
        0,
        None,
        None,
    )
    assert first.recipients == n.recipients and first.created_at == T0
    assert first.kind == "reminder" and first.gate == "owner_assignment"


def test_concurrent_enqueues_keep_one_row(outbox: OutboxStore, tenant: str) -> None:
    n = make_notification(tenant)
    with ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(lambda _: outbox.enqueue(n).id, range(8)))
    assert len(ids) == 1 and rows(outbox, n.key) == 1


def test_a_key_reused_for_another_notification_is_a_conflict(
    outbox: OutboxStore, tenant: str
) -> None:
    n = make_notification(tenant)
    outbox.enqueue(n)
    with pytest.raises(OutboxConflict, match="give each notification its own key"):
        outbox.enqueue(n.model_copy(update={"kind": NotificationKind.ESCALATION}))
    with pytest.raises(OutboxConflict):
        outbox.enqueue(make_notification(f"{tenant}-other", key=n.key))


def test_failed_then_sent(outbox: OutboxStore, tenant: str) -> None:
    n = make_notification(tenant)
    outbox.enqueue(n)

    failed = outbox.mark_failed(n.key, "webhook: HTTP 503; " + "x" * 5000)
    assert failed.status == OutboxStatus.FAILED and failed.attempts == 1
    assert failed.last_error is not None and len(failed.last_error) == LAST_ERROR_MAX_LENGTH
    assert outbox.mark_failed(n.key, "smtp: refused").attempts == 2

    at = datetime(2026, 11, 27, 9, 5, tzinfo=UTC)
    sent = outbox.mark_sent(n.key, "<abc@x>", "smtp", at)
    assert (sent.status, sent.attempts, sent.reference, sent.channel, sent.sent_at) == (
        "sent",
        3,
        "<abc@x>",
        "smtp",
        at,
    )
    assert sent.last_error == "smtp: refused"

    # Once sent, it stays sent with its first reference.
    assert outbox.mark_sent(n.key, "other", "webhook").reference == "<abc@x>"
    assert outbox.mark_failed(n.key, "late").status == OutboxStatus.SENT
    stored = outbox.get(n.key)
    assert stored is not None and (stored.attempts, stored.channel) == (3, "smtp")


def test_pending_lists_a_tenants_undelivered_notifications(
    outbox: OutboxStore, tenant: str
) -> None:
    later = T0.replace(hour=10)
    a = make_notification(tenant, created_at=later)
    b = make_notification(tenant)
    c = make_notification(tenant)
    other = make_notification(f"{tenant}-other")
    for n in (a, b, c, other):
        outbox.enqueue(n)
    outbox.mark_failed(b.key, "webhook: HTTP 500")
    outbox.mark_sent(c.key, "ref", "webhook")

    assert [r.key for r in outbox.pending(tenant)] == [b.key, a.key]
    assert outbox.pending("nobody") == []


def test_marking_an_unknown_key_fails(outbox: OutboxStore) -> None:
    with pytest.raises(UnknownNotification):
        outbox.mark_sent("no-such-key", "ref", "webhook")
    with pytest.raises(UnknownNotification):
        outbox.mark_failed("no-such-key", "error")
    assert outbox.get("no-such-key") is None


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_migrate_creates_the_outbox_as_the_model_describes(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url: str = request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")
    migrate(url)  # again: changes nothing
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            assert context.get_current_revision() == head
            assert "outbox" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_downgrading_0002_drops_only_the_outbox(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    migrate(url)
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.downgrade(config, "0001")
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
        assert "outbox" not in tables and {"onboardings", "entries"} <= tables
        migrate(url)
        with engine.connect() as conn:
            assert "outbox" in inspect(conn).get_table_names()
    finally:
        engine.dispose()
