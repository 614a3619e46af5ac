"""The records activity: writes the workflow's audit entries to the records store."""

from __future__ import annotations

import asyncio

from temporalio import activity
from temporalio.exceptions import ApplicationError

from onboarding.audit import RECORD_REJECTED, AuditBatch, RecordedBatch
from records.errors import UnknownTenant
from records.store import RecordsStore


class RecordsActivities:
    """Holds the records store; every write is idempotent, keyed by the entry's key."""

    def __init__(self, store: RecordsStore) -> None:
        self._store = store

    @activity.defn(name="record_entries")
    async def record_entries(self, batch: AuditBatch) -> RecordedBatch:
        """Write a batch of entries (opening the onboarding's record first if needed).

        An entry the store refuses is named in the result and the others are written:
        retrying cannot make it acceptable, and it must not hold the rest up.

        Raises:
            ApplicationError: `RecordRejected` (not retried) when the onboarding's record
                does not exist and the batch cannot open it.
        """
        return await asyncio.to_thread(self._write, batch)

    def _write(self, batch: AuditBatch) -> RecordedBatch:
        if batch.contract is not None:
            self._store.ensure_onboarding(
                batch.tenant_id,
                batch.workflow_id,
                batch.contract,
                batch.opened_at,
                batch.opened_by,
            )
        try:
            rejected = self._store.append_all(batch.tenant_id, batch.entries)
        except UnknownTenant:
            raise ApplicationError(
                f"no record of {batch.tenant_id} to append to (was it deleted?)",
                type=RECORD_REJECTED,
                non_retryable=True,
            ) from None
        for refusal in rejected:
            activity.logger.error("audit entry rejected", extra={"key": refusal.split(" ")[0]})
        written = len(batch.entries) - len(rejected)
        head = self._store.onboarding(batch.tenant_id)
        return RecordedBatch(
            written=written, head_seq=head.head_seq, head_hash=head.head_hash, rejected=rejected
        )
