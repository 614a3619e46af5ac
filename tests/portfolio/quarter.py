"""A realistic quarter of onboardings on the time-skipping server, with the real workflow.

Each onboarding follows a plan drawn from a seeded generator: when it starts, how long
each person takes at each gate (a few slow customers take well past their deadline),
a check that blocks (fixed and retried, or passed over by a deviation, or a deviation
rejected first), a deadline moved. The fake platform stands in for the platform
activities; the audit trail goes through the real `record_entries` activity into a
SQLite records store, and reminders through the real notification activity (log sender),
which records each one.

All onboardings share the server's clock. The driver keeps a queue of planned inputs,
sleeps the clock to the next one (timers fire on the way: reminders, escalations, the
review date), sends what is due (concurrently), waits until each onboarding settled at
its next gate or block, and plans what follows from the gates it opened. Inputs go
through `tests.portfolio.driving.give` only.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import itertools
import random
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import activity
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.notify import NotifyActivities
from activities.records import RecordsActivities
from approvals.issuer import LinkIssuer
from approvals.links import LinkStore
from notify.outbox import OutboxStore
from notify.senders import LogSender
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.contract import Contract
from onboarding.gates import is_closed
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    Feedback,
    MoveDeadline,
    Receipt,
    RecordEnablement,
    RejectDeviation,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.policy import GATE_DEADLINES
from onboarding.status import OnboardingStatus
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey, StepStatus
from records.store import RecordsStore
from tests.helpers import contract_data
from tests.portfolio.driving import give
from tests.workflow.support import (
    ADMIN,
    APPROVER,
    OWNER,
    SUPPORT,
    TWO_HATS,
    FakePlatform,
    signed_start,
)
from workflows.onboarding import OnboardingWorkflow

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
SLOT = timedelta(minutes=433)
"""People act every 7 h 13 min: inputs due in one slot go together. No multiple of the
ladder's 12-hour steps lands on this grid (433 is prime), so an input never reaches a
workflow in the very moment one of its reminder timers fires: the test server has failed
such a workflow task ("invalid history builder state for action") and then stopped."""
GRID = datetime(2026, 1, 1, tzinfo=UTC)
OWNERS = (OWNER, TWO_HATS)
REGIONS = ("eu-central", "us-east", "ap-southeast")
TIERS = ("standard", "premium", "enterprise")
FAULTS = {
    StepKey.ACCESS_IDENTITY: "admin_auth",
    StepKey.ENVIRONMENT_VALIDATION: "rate_limit",
    StepKey.FEATURE_ENABLEMENT: "ui_visibility",
}
"""A check of each step that the fake platform can fail (see STEP_ACTIVITIES)."""


@dataclass(frozen=True)
class Fault:
    step: StepKey
    check: str
    resolution: str
    """`retry` (fixed, then retried), `deviation` (approved) or `rejected` (then retried)."""
    after: timedelta
    """From the block to the retry, or to the deviation's request."""
    decide_after: timedelta = timedelta(0)
    """From the request to the decision."""


@dataclass
class Plan:
    """One onboarding of the quarter: who, when, and how long everyone takes."""

    tenant: str
    tier: str
    region: str
    owner: str
    start_at: datetime
    owner_after: timedelta
    enablement_after: dict[EnablementItem, timedelta]
    sign_off_after: dict[SignOffGate, timedelta]
    feedback_after: timedelta
    slow_customer: bool = False
    move_customer_deadline: bool = False
    fault: Fault | None = None

    @property
    def deadline(self) -> timedelta:
        return next(d for tier, d in GATE_DEADLINES.items() if tier.value == self.tier)


@dataclass
class Observed:
    """What the driver saw happen to one onboarding (workflow times, from receipts)."""

    handle: WorkflowHandle[Any, Any]
    given: dict[str, datetime] = field(default_factory=dict)
    """When each input was recorded (the receipt's time), by a name like `sign-off:customer`."""
    planned: set[str] = field(default_factory=set)
    opened: dict[str, datetime] = field(default_factory=dict)
    """When each gate opened (the workflow's time), by gate id."""
    status: OnboardingStatus | None = None
    blocked_at: datetime | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def plan_quarter(count: int, first_start: datetime, seed: int = 15) -> list[Plan]:
    """Draw `count` onboardings starting over 13 weeks; about one customer in six is slow."""
    rng = random.Random(seed)
    plans: list[Plan] = []
    spacing = timedelta(days=91) / count
    for i in range(count):
        tier = TIERS[i % 3]
        deadline = next(d for t, d in GATE_DEADLINES.items() if t.value == tier)
        slow = i % 6 == 5
        customer = deadline + DAY * rng.randint(4, 7) if slow else HOUR * rng.randint(16, 80)
        fault = None
        if i % 5 == 2:
            step = rng.choice(sorted(FAULTS))
            resolution = ("retry", "deviation", "retry", "rejected")[(i // 5) % 4]
            fault = Fault(
                step,
                FAULTS[step],
                resolution,
                after=HOUR * rng.randint(8, 60),
                decide_after=HOUR * rng.randint(8, 30),
            )
        if i == count - 1:  # blocked when the quarter is reported: nobody fixed it yet
            fault = Fault(StepKey.ENVIRONMENT_VALIDATION, "rate_limit", "retry", after=DAY * 60)
        late_staff = i % 10 == 7  # an enablement item past its deadline
        plans.append(
            Plan(
                tenant=f"q-{i:03d}-{uuid.uuid4().hex[:6]}",
                tier=tier,
                region=REGIONS[rng.randrange(len(REGIONS))],
                owner=OWNERS[i % 2],
                start_at=first_start + spacing * i,
                owner_after=HOUR * rng.randint(2, 30),
                enablement_after={
                    item: (
                        deadline + DAY * 2
                        if late_staff and item is EnablementItem.WALKTHROUGH
                        else HOUR * rng.randint(8, 72)
                    )
                    for item in EnablementItem
                },
                sign_off_after={
                    SignOffGate.CUSTOMER: customer,
                    SignOffGate.PLATFORM: HOUR * rng.randint(6, 36),
                    SignOffGate.SUPPORT: HOUR * rng.randint(6, 48),
                },
                feedback_after=HOUR * rng.randint(16, 96),
                slow_customer=slow,
                move_customer_deadline=slow and i % 12 == 11,
                fault=fault,
            )
        )
    return plans


PORTAL_URL = "https://portal.localizevideos.example"


class QuarterPlatform(FakePlatform):
    """The fake platform, with checks that fail for one tenant until it is fixed."""

    def __init__(self) -> None:
        super().__init__()
        self.failing_for: dict[str, set[str]] = {}

    def _make(self, name: str, checks: list[str]) -> Any:
        from tests.workflow.support import fake_facts

        @activity.defn(name=name)
        async def run(req: StepRequest) -> StepResult:
            tenant = req.workflow_id.removeprefix("onboarding-")
            failing = self.failing_for.get(tenant, set())
            return StepResult(
                checks=[
                    CheckResult(
                        name=c,
                        passed=c not in failing,
                        detail=f"{c} failed: fix it" if c in failing else f"{c} ok",
                        checked_at=datetime.now(UTC),
                    )
                    for c in checks
                ],
                facts=fake_facts(name, req),
            )

        return run


def contract_for(plan: Plan) -> Contract:
    """The example contract, as this plan's tenant, tier and region, signed days before."""
    data = contract_data()
    data["tenant"] = {"id": plan.tenant, "name": f"Quarter {plan.tenant}"}
    data["contract"]["sla_tier"] = plan.tier
    data["contract"]["signed_on"] = (plan.start_at.date() - timedelta(days=7)).isoformat()
    data["data_residency"]["region"] = plan.region
    data["data_residency"]["approved_on"] = (plan.start_at.date() - DAY * 9).isoformat()
    data["security_questionnaire"]["completed_on"] = (plan.start_at.date() - DAY * 10).isoformat()
    return Contract.model_validate(data, context={"today": plan.start_at.date()})


class Quarter:
    """Drives the plans on one time-skipping server until `end`."""

    def __init__(
        self,
        env: WorkflowEnvironment,
        store: RecordsStore,
        outbox: OutboxStore,
        plans: list[Plan],
    ) -> None:
        self.env, self.store, self.outbox, self.plans = env, store, outbox, plans
        self.platform = QuarterPlatform()
        self.queue = f"quarter-{uuid.uuid4()}"
        self.seen: dict[str, Observed] = {}
        self.progress = False
        """Print each simulated day as it begins (for `make report-quarter`)."""
        self.final: dict[str, OnboardingStatus] = {}
        """Each onboarding's status at the end (queried while the worker still runs)."""
        self._events: list[tuple[datetime, int, Callable[[], Awaitable[None]]]] = []
        self._order = itertools.count()

    def activities(self) -> list[Any]:
        replaced = ("record_entries", "send_notifications")
        fakes = [a for a in self.platform.activities() if a.__name__ not in replaced]
        records = RecordsActivities(self.store)
        # Customers' invites get their personal links like on a worker (never redeemed here:
        # the quarter gives customer inputs as the approvals service would sign them).
        links = LinkIssuer(LinkStore(self.store.engine), secrets.token_bytes(32), PORTAL_URL)
        notify = NotifyActivities(self.outbox, [LogSender()], records=self.store, links=links)
        return [*fakes, records.record_entries, notify.send_notifications]

    async def run(self, end: datetime) -> None:
        """Start every plan on time and drive it until `end` (server time)."""
        async with Worker(
            self.env.client,
            task_queue=self.queue,
            workflows=[OnboardingWorkflow],
            activities=self.activities(),
            max_concurrent_activities=50,
        ):
            for plan in self.plans:
                self._at(plan.start_at, functools.partial(self._start, plan))
            clock = asyncio.get_running_loop().time()
            shown = None
            while self._events and self._events[0][0] <= end:
                if self.progress and (day := self._events[0][0].date()) != shown:
                    shown = day
                    took = asyncio.get_running_loop().time() - clock
                    print(f"quarter: {day} after {took:.0f} s, {len(self._events)} queued")
                await self._sleep_until(self._events[0][0])
                now = await self.env.get_current_time()
                due = []
                while self._events and self._events[0][0] <= now:
                    due.append(heapq.heappop(self._events)[2])
                await asyncio.gather(*(action() for action in due))
            await self._sleep_until(end)
            await self.drained()
            for tenant, seen in self.seen.items():
                final = await seen.handle.query("status", result_type=OnboardingStatus)
                self.final[tenant] = final
                for gate in final.gates:  # opened while the clock ran to the end
                    if not is_closed(final, gate.gate):
                        seen.opened.setdefault(gate.gate, gate.opened_at)

    async def drained(self) -> None:
        """Wait until no onboarding has an activity or workflow task outstanding (twice)."""
        quiet = 0
        while quiet < 2:
            busy = False
            for seen in self.seen.values():
                # The raw call: the SDK's describe() trips over the test server's Datetime
                # search attributes.
                raw = await self.env.client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=self.env.client.namespace,
                        execution=WorkflowExecution(workflow_id=seen.handle.id),
                    )
                )
                if raw.pending_activities or raw.HasField("pending_workflow_task"):
                    busy = True
                    break
            quiet = 0 if busy else quiet + 1
            await asyncio.sleep(0.2)

    # ------------------------------------------------------------ scheduling

    def _at(self, when: datetime, action: Callable[[], Awaitable[None]]) -> None:
        heapq.heappush(self._events, (_slot(when), next(self._order), action))

    def _once(
        self, seen: Observed, key: str, when: datetime, action: Callable[[], Awaitable[None]]
    ) -> None:
        if key not in seen.planned:
            seen.planned.add(key)
            self._at(when, action)

    async def _sleep_until(self, when: datetime) -> None:
        now = await self.env.get_current_time()
        if when > now:
            await self.env.sleep(when - now)

    # ------------------------------------------------------------ actions

    async def _start(self, plan: Plan) -> None:
        if plan.fault is not None:
            self.platform.failing_for[plan.tenant] = {plan.fault.check}
        workflow_id = f"onboarding-{plan.tenant}"
        await self.env.client.start_workflow(
            OnboardingWorkflow.run,
            await signed_start(self.env.client, contract_for(plan), workflow_id, plan.owner),
            id=workflow_id,
            task_queue=self.queue,
        )
        # Not pinned to the first run: inputs and queries reach the run after a handover.
        handle = self.env.client.get_workflow_handle(f"onboarding-{plan.tenant}")
        self.seen[plan.tenant] = Observed(handle)
        await self._settle(plan, lambda s: True)

    async def _input(
        self,
        plan: Plan,
        name: str,
        inp: Any,
        label: str,
        progressed: Callable[[OnboardingStatus], bool],
    ) -> None:
        seen = self.seen[plan.tenant]
        # One input at a time per onboarding: the test server has failed a workflow task
        # ("invalid history builder state") with two updates of one workflow in flight.
        async with seen.lock:
            receipt: Receipt = await give(seen.handle, name, inp)
            assert receipt.accepted and not receipt.already_recorded, (label, receipt)
            assert receipt.recorded_at is not None
            seen.given[label] = receipt.recorded_at
            await self._settle(plan, progressed)

    async def _settle(self, plan: Plan, progressed: Callable[[OnboardingStatus], bool]) -> None:
        """Wait until the input took effect and the onboarding rests; plan what follows."""
        seen = self.seen[plan.tenant]
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            status = await seen.handle.query("status", result_type=OnboardingStatus)
            if progressed(status) and _resting(status):
                break
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{plan.tenant} never settled: {status.model_dump_json()}")
            await asyncio.sleep(0.05)
        seen.status = status
        await self._plan_next(plan, seen, status)

    async def _plan_next(self, plan: Plan, seen: Observed, status: OnboardingStatus) -> None:
        step = status.current_step
        gates = {g.gate: g for g in status.gates if not is_closed(status, g.gate)}
        for gate in gates.values():
            seen.opened.setdefault(gate.gate, gate.opened_at)
        if status.state is OnboardingState.BLOCKED and step is not None:
            await self._plan_fault(plan, seen, step)
        actions: dict[str, tuple[timedelta, Callable[[], Awaitable[None]]]] = {
            "owner-assignment": (plan.owner_after, functools.partial(self._assign, plan))
        }
        for item in EnablementItem:
            enable = functools.partial(self._enable, plan, item)
            actions[f"enablement:{item.value}"] = (plan.enablement_after[item], enable)
        for sign in SignOffGate:
            give_it = functools.partial(self._sign, plan, sign)
            actions[f"sign-off:{sign.value}"] = (plan.sign_off_after[sign], give_it)
        for gate_id, (after, action) in actions.items():
            if gate_id in gates:
                self._once(seen, gate_id, gates[gate_id].opened_at + after, action)
        customer = gates.get("sign-off:customer")
        if customer is not None and plan.move_customer_deadline:
            at = customer.opened_at + plan.deadline - DAY
            self._once(seen, "move", at, functools.partial(self._move, plan, customer.opened_at))
        if status.review_due_at is not None and status.review_opened_at is None:
            # The review opens on its date while the clock skips; feedback comes after.
            at = status.review_due_at + plan.feedback_after
            self._once(seen, "feedback", at, functools.partial(self._feedback, plan))

    async def _plan_fault(self, plan: Plan, seen: Observed, step: StepKey) -> None:
        fault = plan.fault
        assert fault is not None and fault.step is step, (plan.tenant, step)
        if seen.blocked_at is None:
            seen.blocked_at = await self.env.get_current_time()
        at = seen.blocked_at + fault.after
        if fault.resolution == "retry":
            self._once(seen, "retry", at, functools.partial(self._retry, plan))
        else:
            self._once(seen, "deviation", at, functools.partial(self._deviation, plan))

    async def _assign(self, plan: Plan) -> None:
        inp = AssignOwner(by=APPROVER, owner=plan.owner)
        await self._input(plan, "assign_owner", inp, "owner-assignment", lambda s: bool(s.owner))

    async def _enable(self, plan: Plan, item: EnablementItem) -> None:
        inp = RecordEnablement(by=plan.owner, item=item, evidence=f"https://drive.example/{item}")
        await self._input(
            plan,
            "record_enablement",
            inp,
            f"enablement:{item.value}",
            lambda s: s.enablement_item(item.value) is not None,
        )

    async def _sign(self, plan: Plan, gate: SignOffGate) -> None:
        by = {SignOffGate.CUSTOMER: ADMIN, SignOffGate.PLATFORM: APPROVER}.get(gate, SUPPORT)
        await self._input(
            plan,
            "sign_off",
            SignOff(by=by, gate=gate),
            f"sign-off:{gate.value}",
            lambda s: s.sign_off(gate.value) is not None,
        )

    async def _move(self, plan: Plan, opened: datetime) -> None:
        inp = MoveDeadline(
            by=plan.owner,
            gate="sign-off:customer",
            due=opened + plan.deadline + DAY * 10,
            reason="the customer's legal review takes two more weeks",
        )
        await self._input(plan, "move_deadline", inp, "move", lambda s: True)

    async def _feedback(self, plan: Plan) -> None:
        seen = self.seen[plan.tenant]
        await self._settle(plan, lambda s: s.review_opened_at is not None)
        inp = Feedback(by=ADMIN, text="The glossary saved our editors hours every week.")
        await self._input(plan, "give_feedback", inp, "review-feedback", lambda s: bool(s.feedback))
        assert seen.status is not None

    async def _retry(self, plan: Plan) -> None:
        assert plan.fault is not None
        step = plan.fault.step
        runs = self._runs(plan, step)
        self.platform.failing_for.pop(plan.tenant, None)  # the cause is fixed
        inp = RetryStep(by=plan.owner, step=step)
        await self._input(plan, "retry_step", inp, "retry", lambda s: s.step(step).runs > runs)

    async def _deviation(self, plan: Plan) -> None:
        fault = plan.fault
        assert fault is not None
        request = RequestDeviation(
            by=plan.owner,
            step=fault.step,
            check=fault.check,
            reason="a known platform issue, fixed in the next release; monitored meanwhile",
        )
        await self._input(plan, "request_deviation", request, "deviation", lambda s: True)
        seen = self.seen[plan.tenant]
        at = seen.given["deviation"] + fault.decide_after
        self._at(at, functools.partial(self._decide, plan))

    async def _decide(self, plan: Plan) -> None:
        fault = plan.fault
        assert fault is not None
        step = fault.step
        if fault.resolution == "deviation":
            runs = self._runs(plan, step)
            approve = ApproveDeviation(by=APPROVER, deviation_id="DEV-1", note="ok for a week")
            await self._input(
                plan, "approve_deviation", approve, "decision", lambda s: s.step(step).runs > runs
            )
            return
        reject = RejectDeviation(by=APPROVER, deviation_id="DEV-1", note="fix it instead")
        await self._input(plan, "reject_deviation", reject, "decision", lambda s: True)
        seen = self.seen[plan.tenant]
        self._at(seen.given["decision"] + fault.after, functools.partial(self._retry, plan))

    def _runs(self, plan: Plan, step: StepKey) -> int:
        status = self.seen[plan.tenant].status
        return 0 if status is None else status.step(step).runs


def _resting(status: OnboardingStatus) -> bool:
    """At a gate with an open gate, blocked, on the review's timer, or completed."""
    if status.state is OnboardingState.COMPLETED:
        return True
    step = status.current_step
    if step is None:
        return False
    record = status.step(step)
    if status.state is OnboardingState.BLOCKED:
        return record.status is StepStatus.BLOCKED
    open_gates = [g for g in status.gates if not is_closed(status, g.gate)]
    if status.state is OnboardingState.WAITING:
        return record.status is StepStatus.WAITING and bool(open_gates)
    return (
        step is StepKey.POST_ONBOARDING_REVIEW
        and record.status is StepStatus.WAITING
        and status.review_opened_at is None
    )


def _slot(when: datetime) -> datetime:
    """The first slot at or after `when`."""
    return GRID + SLOT * -(-(when - GRID) // SLOT)


def start_of_quarter(now: datetime) -> datetime:
    """The next day's 08:00 UTC: the quarter's first start."""
    day = now.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
