"""The `record_entries` activity: what the workflow's audit trail turns into, written once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio.testing import ActivityEnvironment

from activities.records import RecordsActivities
from onboarding.audit import AuditBatch, AuditEntry
from records.store import RecordsStore
from tests.helpers import make_contract

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def batch(tenant: str, first: int, count: int) -> AuditBatch:
    contract = make_contract(tenant)
    return AuditBatch(
        tenant_id=tenant,
        workflow_id=f"onboarding-{tenant}",
        opened_at=T0,
        opened_by="olivia@localizevideos.example",
        contract=contract.model_dump(mode="json"),
        entries=[
            AuditEntry(
                kind="step_started",
                step="pre_onboarding",
                actor="system",
                occurred_at=T0 + timedelta(seconds=n),
                payload={"run": 1},
                key=f"onboarding-{tenant}:{n}",
            )
            for n in range(first, first + count)
        ],
    )


async def test_a_retried_activity_writes_nothing_twice(store: RecordsStore, tenant: str) -> None:
    activities = RecordsActivities(store)
    env = ActivityEnvironment()
    first = batch(tenant, 1, 3)
    await env.run(activities.record_entries, first)
    await env.run(activities.record_entries, first)  # Temporal ran it again
    await env.run(activities.record_entries, batch(tenant, 3, 2))  # overlaps entry 3

    entries = store.entries(tenant)
    keys = [e.idempotency_key for e in entries if e.idempotency_key.startswith("onboarding-")]
    assert keys == [f"onboarding-{tenant}:{n}" for n in range(1, 5)]
    assert store.verify(tenant).ok
