"""Read every onboarding and its entries from the records store in one consistent read."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Connection, Engine, and_, select

from portfolio.timeline import Row, Timeline, build_timeline
from records.kinds import EntryKind
from records.models import Entry, Onboarding
from records.store import RecordsStore


def load_timelines(store: RecordsStore, as_of: datetime) -> list[Timeline]:
    """Return the timeline of every onboarding in the store, by tenant id.

    Two queries in one read transaction (a snapshot on PostgreSQL): the onboardings, then
    their entries in order, less the checks that passed (the report reads only failures;
    they are a third of all entries). Plain rows, no ORM objects.
    """
    with _reading(store.engine) as conn:
        onboardings = conn.execute(
            select(
                Onboarding.id, Onboarding.tenant_id, Onboarding.contract, Onboarding.created_at
            ).order_by(Onboarding.tenant_id)
        ).all()
        entries: dict[int, list[Row]] = defaultdict(list)
        result = conn.execute(
            select(
                Entry.onboarding_id,
                Entry.kind,
                Entry.step,
                Entry.actor,
                Entry.occurred_at,
                Entry.payload,
            )
            .where(~and_(Entry.kind == EntryKind.CHECK.value, Entry.payload["passed"].as_boolean()))
            .order_by(Entry.onboarding_id, Entry.seq)
        )
        for onboarding_id, kind, step, actor, occurred_at, payload in result:
            entries[onboarding_id].append(Row(kind, step, actor, occurred_at, payload or {}))
    return [
        build_timeline(tenant_id, contract or {}, created_at, entries.get(row_id, []), as_of)
        for row_id, tenant_id, contract, created_at in onboardings
    ]


@contextmanager
def _reading(engine: Engine) -> Iterator[Connection]:
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    with engine.connect() as conn:
        conn = conn.execution_options(**options)
        with conn.begin():
            yield conn
