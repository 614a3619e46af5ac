"""The records activity: writes the workflow's audit entries to the records store."""

from __future__ import annotations

import asyncio

from temporalio import activity

from onboarding.audit import AuditBatch
from records.store import RecordsStore


class RecordsActivities:
    """Holds the records store; every write is idempotent, keyed by the entry's key."""

    def __init__(self, store: RecordsStore) -> None:
        self._store = store

    @activity.defn(name="record_entries")
    async def record_entries(self, batch: AuditBatch) -> int:
        """Write a batch of entries (opening the onboarding's record first if needed)."""
        return await asyncio.to_thread(self._write, batch)

    def _write(self, batch: AuditBatch) -> int:
        self._store.ensure_onboarding(
            batch.tenant_id, batch.workflow_id, batch.contract, batch.opened_at, batch.opened_by
        )
        for entry in batch.entries:
            self._store.append(
                batch.tenant_id,
                entry.kind,
                entry.step,
                entry.actor,
                entry.occurred_at,
                entry.payload,
                entry.key,
            )
        return len(batch.entries)
