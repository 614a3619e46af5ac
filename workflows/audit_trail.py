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

with workflow.unsafe.imports_passed_through():
    from onboarding.audit import AuditBatch, AuditEntry
    from onboarding.checks import CheckResult
    from onboarding.contract import Contract
    from onboarding.status import OnboardingStatus
    from onboarding.steps import StepKey

RECORDS_ACTIVITY = "record_entries"
AUDIT_BATCH = 50


class AuditTrail:
    """Queues audit entries and writes them in the background (a workflow mixin)."""

    _status: OnboardingStatus
    _contract: Contract
    _opened_at: datetime
    _started_by: str
    _audit_pending: list[AuditEntry]
    _audit_seq: int
    _audit_busy: bool

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
        itself never waits for it, except at the very end (nothing left unrecorded)."""
        while True:
            await workflow.wait_condition(lambda: bool(self._audit_pending))
            batch = self._audit_pending[:AUDIT_BATCH]
            self._audit_busy = True
            await workflow.execute_activity(
                RECORDS_ACTIVITY,
                AuditBatch(
                    tenant_id=self._status.tenant_id,
                    workflow_id=self._status.workflow_id,
                    opened_at=self._opened_at,
                    opened_by=self._started_by,
                    contract=self._contract.model_dump(mode="json"),
                    entries=batch,
                ),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RetryPolicy(maximum_interval=timedelta(minutes=1)),
                summary=f"record {len(batch)} audit entries for {self._status.tenant_id}",
            )
            del self._audit_pending[: len(batch)]
            self._audit_busy = False

    async def _audit_drained(self) -> None:
        await workflow.wait_condition(lambda: not self._audit_pending and not self._audit_busy)
