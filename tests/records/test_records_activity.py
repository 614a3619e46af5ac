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


async def test_a_refused_entry_is_named_and_the_rest_of_its_batch_is_written(
    store: RecordsStore, tenant: str
) -> None:
    activities = RecordsActivities(store)
    env = ActivityEnvironment()
    await env.run(activities.record_entries, batch(tenant, 1, 1))
    mixed = batch(tenant, 2, 3)
    # One entry reuses entry 1's key for another step's fact, one names no step.
    mixed.entries[0] = mixed.entries[0].model_copy(
        update={"step": "account_provisioning", "key": f"onboarding-{tenant}:1"}
    )
    mixed.entries[1] = mixed.entries[1].model_copy(update={"step": None})

    result = await env.run(activities.record_entries, mixed)

    assert result.written == 1, result.rejected
    assert [r.split(" ")[0] for r in result.rejected] == [
        f"onboarding-{tenant}:3",  # malformed: refused before the transaction
        f"onboarding-{tenant}:1",  # the key belongs to another entry
    ]
    assert "must name its step" in result.rejected[0]
    assert "already recorded" in result.rejected[1]
    keys = [e.idempotency_key for e in store.entries(tenant) if e.idempotency_key.startswith("onb")]
    assert keys == [f"onboarding-{tenant}:1", f"onboarding-{tenant}:4"]
    assert result.head_seq == store.onboarding(tenant).head_seq
    assert store.verify(tenant).ok
