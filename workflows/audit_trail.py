"""The audit trail as the workflow keeps it: entries queued in order, written by a
background task through the idempotent `record_entries` activity.

Each entry's key is the workflow id and a number that goes on across continued runs, so a
retried write or a second write after a handover never records anything twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from onboarding.audit import AuditBatch, AuditEntry, RecordedBatch
    from onboarding.checks import CheckResult
    from onboarding.contract import Contract
    from onboarding.status import OnboardingStatus, RecordHead
    from onboarding.steps import StepKey

RECORDS_ACTIVITY = "record_entries"
AUDIT_BATCH = 50
REJECTIONS_KEPT = 20


class AuditTrail:
    """Queues audit entries and writes them in the background (a workflow mixin)."""

    _status: OnboardingStatus
    _contract: Contract
    _opened_at: datetime
    _started_by: str
    _audit_pending: list[AuditEntry]
    _audit_seq: int
    _audit_busy: bool
    _record_opened: bool
    """The store holds the onboarding: later batches leave the contract out."""
    _handing_over: bool
    """The run is continuing as new: no new write starts."""

    def _audit(
        self,
        kind: str,
        step: StepKey | None,
        actor: str,
        payload: dict[str, Any] | None = None,
        **fields: Any,
    ) -> None:
        """Queue one entry for the records store; a background task writes it."""
        self._audit_pending.append(self._entry(kind, step, actor, {**(payload or {}), **fields}))

    def _entry(
        self, kind: str, step: StepKey | None, actor: str, payload: dict[str, Any]
    ) -> AuditEntry:
        """The next audit entry; its key numbers on across continued runs."""
        self._audit_seq += 1
        return AuditEntry(
            kind=kind,
            step=step.value if step else None,
            actor=actor,
            occurred_at=workflow.now(),
            payload=payload,
            key=f"{self._status.workflow_id}:{self._audit_seq}",
        )

    def _audit_checks(self, key: StepKey, checks: list[CheckResult]) -> None:
        for check in checks:
            self._audit("check", key, "system", check.model_dump(mode="json"))

    async def _record_audit(self) -> None:
        """Write queued entries in order. Retries until the store answers; the onboarding
        itself never waits for it, except at the very end (nothing left unrecorded).

        An entry the store refuses (malformed, a key reused) is not retried for ever: it
        is named in the status (`records_rejected`) and the writer goes on.
        """
        while True:
            await workflow.wait_condition(
                lambda: bool(self._audit_pending) and not self._handing_over
            )
            batch = self._audit_pending[:AUDIT_BATCH]
            self._audit_busy = True
            try:
                result = await workflow.execute_activity(
                    RECORDS_ACTIVITY,
                    AuditBatch(
                        tenant_id=self._status.tenant_id,
                        workflow_id=self._status.workflow_id,
                        opened_at=self._opened_at,
                        opened_by=self._started_by,
                        contract=None
                        if self._record_opened
                        else self._contract.model_dump(mode="json"),
                        entries=batch,
                    ),
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                    summary=f"record {len(batch)} audit entries for {self._status.tenant_id}",
                )
            except ActivityError as err:  # only a non-retryable failure gets here
                self._note_rejected([f"{e.key} ({e.kind}): {err.cause or err}" for e in batch])
            else:
                self._note_recorded(result)
            del self._audit_pending[: len(batch)]
            self._audit_busy = False

    def _note_recorded(self, result: object) -> None:
        """Keep the record's head as the store reported it (runs of the first release
        were answered with a bare count)."""
        if not isinstance(result, dict):
            return
        recorded = RecordedBatch.model_validate(result)
        self._record_opened = True
        self._status.records = RecordHead(seq=recorded.head_seq, hash=recorded.head_hash)
        self._note_rejected(recorded.rejected)

    def _note_rejected(self, rejected: list[str]) -> None:
        if rejected:
            self._status.records_rejected = [*self._status.records_rejected, *rejected][
                -REJECTIONS_KEPT:
            ]
            workflow.logger.error("audit entries rejected", extra={"rejected": rejected})

    async def _audit_drained(self) -> None:
        await workflow.wait_condition(lambda: not self._audit_pending and not self._audit_busy)
