"""The onboardings' state as metrics, collected from Temporal and the outbox.

Every `ONBOARDING_METRICS_INTERVAL` the collector lists the onboardings in flight from
visibility (their search attributes give state and step), asks the ones waiting at a
gate or blocked for their status (the `status` query: open gates with their deadlines,
failed checks), and counts the outbox's undelivered notifications. A gate seen open in
one collection and closed in a later one is observed in the gate-wait histogram, from
its opening to the time its input was recorded. Nothing here writes to Temporal.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus

from onboarding import search
from onboarding.status import OnboardingStatus
from onboarding.steps import StepKey, StepStatus
from records.outbox import Outbox, OutboxStatus
from starter.errors import CliError
from starter.ops import get_status
from worker.metrics import OnboardingMetrics

log = structlog.get_logger("metrics")

RUNNING = "WorkflowType = 'OnboardingWorkflow' AND ExecutionStatus = 'Running'"
CLOSED = (
    "WorkflowType = 'OnboardingWorkflow' AND ExecutionStatus != 'Running' "
    "AND ExecutionStatus != 'ContinuedAsNew'"
)
MAX_QUERIES = 500
"""Status queries per collection at most; past it, gate and check figures are partial."""
QUERY_CONCURRENCY = 4

Labels = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _OpenGate:
    tenant_id: str
    gate: str
    opened_at: datetime


class StateCollector:
    """Collects the figures `OnboardingMetrics` publishes as gauges and the histogram."""

    def __init__(
        self,
        client: Client,
        metrics: OnboardingMetrics,
        records: Engine | None,
        interval: timedelta,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._client = client
        self._metrics = metrics
        self._records = records
        self._interval = interval.total_seconds()
        self._now = now
        self._open: dict[tuple[str, str], _OpenGate] = {}

    async def run(self) -> None:
        """Collect until cancelled; a failed collection is logged and counted, not fatal."""
        while True:
            try:
                await self.collect()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                self._metrics.collections.add(1, {"result": "failed"})
                log.warning("metrics collection failed", error=f"{type(err).__name__}: {err}")
            await asyncio.sleep(self._interval)

    async def collect(self) -> None:
        """One collection: every figure is set from what Temporal and the outbox say now."""
        now = self._now()
        by_state: Counter[Labels] = Counter()
        to_query: list[str] = []
        async for wf in self._client.list_workflows(RUNNING):
            attrs = wf.typed_search_attributes
            state = attrs.get(search.STATE) or "running"
            step = attrs.get(search.STEP) or "unknown"
            by_state[(("state", state), ("step", step))] += 1
            if attrs.get(search.GATE_DUE_AT) is not None or attrs.get(search.BLOCKED):
                to_query.append(attrs.get(search.TENANT) or wf.id.removeprefix("onboarding-"))
        closed = await self._client.count_workflows(CLOSED + " GROUP BY ExecutionStatus")
        # Tenants whose gate was open last time must be asked again: closed since?
        to_query += sorted({g.tenant_id for g in self._open.values()} - set(to_query))
        statuses = await self._statuses(to_query[:MAX_QUERIES])

        open_gates: Counter[Labels] = Counter()
        overdue: Counter[Labels] = Counter()
        blocked: Counter[Labels] = Counter()
        still_open: dict[tuple[str, str], _OpenGate] = {}
        for tenant, status in statuses.items():
            for gate in status.gates:
                open_gates[(("gate", gate.gate),)] += 1
                if gate.overdue or gate.due_at <= now:
                    overdue[(("gate", gate.gate),)] += 1
                still_open[(tenant, gate.gate)] = _OpenGate(tenant, gate.gate, gate.opened_at)
            for record in status.steps:
                if record.status is StepStatus.BLOCKED:
                    for check in record.checks:
                        if not check.passed and not check.waived_by_deviation:
                            blocked[(("step", record.key.value), ("check", check.name))] += 1
        for key, seen in self._open.items():
            if key in still_open or seen.tenant_id not in statuses:
                continue  # still open, or not asked this time: decided next time
            closed_at = closing_time(statuses[seen.tenant_id], seen.gate) or now
            waited = max((closed_at - seen.opened_at).total_seconds(), 0.0)
            self._metrics.gate_wait.record(waited, {"gate": seen.gate})
        unanswered = {k: g for k, g in self._open.items() if g.tenant_id not in statuses}
        self._open = {**unanswered, **still_open}

        self._metrics.onboardings.publish(by_state)
        self._metrics.closed.publish(
            {(("status", _status_name(g.group_values)),): g.count for g in closed.groups}
        )
        self._metrics.gates_open.publish(open_gates)
        self._metrics.gates_overdue.publish(overdue)
        self._metrics.blocked_checks.publish(blocked)
        if self._records is not None:
            self._metrics.notifications_undelivered.publish(
                await asyncio.to_thread(undelivered, self._records)
            )
        self._metrics.collections.add(1, {"result": "ok"})
        self._metrics.collected_at.set(int(time.time()))

    async def _statuses(self, tenants: list[str]) -> dict[str, OnboardingStatus]:
        gate = asyncio.Semaphore(QUERY_CONCURRENCY)

        async def one(tenant: str) -> tuple[str, OnboardingStatus | None]:
            async with gate:
                try:
                    return tenant, await get_status(self._client, tenant)
                except CliError as err:  # gone, or no worker answered in time
                    log.info("status not collected", tenant_id=tenant, reason=err.message)
                    return tenant, None

        answers = await asyncio.gather(*(one(t) for t in tenants))
        return {tenant: status for tenant, status in answers if status is not None}


def closing_time(status: OnboardingStatus, gate: str) -> datetime | None:
    """When the input that closed ``gate`` was recorded, if the status says."""
    kind, _, name = gate.partition(":")
    if kind == "sign-off" and (sign_off := status.sign_off(name)) is not None:
        return sign_off.at
    if kind == "enablement" and (item := status.enablement_item(name)) is not None:
        return item.at
    if kind == "review-feedback" and status.feedback:
        return status.feedback[0].at
    if kind == "owner-assignment":
        return status.step(StepKey.INTERNAL_READINESS).completed_at
    return None


def undelivered(engine: Engine) -> dict[Labels, int]:
    """Outbox rows not delivered yet, by status (pending: never tried; failed: retrying)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(Outbox.status, func.count())
            .where(Outbox.status != OutboxStatus.SENT.value)
            .group_by(Outbox.status)
        ).all()
    undelivered = (OutboxStatus.PENDING, OutboxStatus.FAILED)
    counts: dict[Labels, int] = {(("status", s.value),): 0 for s in undelivered}
    counts.update({(("status", str(status)),): int(n) for status, n in rows})
    return counts


def _status_name(values: object) -> str:
    """`Completed` from a GROUP BY value (a payload-decoded string or a status enum)."""
    first = values[0] if isinstance(values, (list, tuple)) and values else values
    if isinstance(first, WorkflowExecutionStatus):
        return first.name.lower()
    return str(first).lower()
