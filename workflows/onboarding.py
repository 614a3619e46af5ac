"""OnboardingWorkflow: one enterprise customer from signed contract to go-live and review.

The nine PHASE-33 steps run strictly in order. Machine work is done by activities; a failed
check blocks its step until someone runs `onboard retry`. People act through updates (the
CLI: an immediate yes or a reason) and signals of the same name and payload (the Web UI),
handled in `workflows/inputs.py`. Human gates are chased with reminders and escalations on
durable timers; a run whose history reaches its budget continues as new with all its state.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy, SearchAttributeUpdate
from temporalio.exceptions import ActivityError, ApplicationError

from workflows.failures import failure_reason
from workflows.inputs import INPUT_SIGNAL, HumanInputs
from workflows.versioning import (
    HANDOVER_WHEN_BLOCKED,
    LEGACY_HANDOVER,
    QUICK_HANDOVER,
    WAKE_ON_HISTORY_BUDGET,
    changed,
)

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from onboarding import search
    from onboarding.audit import AuditEntry
    from onboarding.carryover import BlockedAt, Carryover
    from onboarding.checks import CheckResult, StepRequest, StepResult
    from onboarding.details import current_details
    from onboarding.effects import merge_checks
    from onboarding.gates import (
        GATED_STEPS,
        chase,
        gates_of,
        is_closed,
        open_gate,
    )
    from onboarding.inputs import Receipt
    from onboarding.invites import invites_due
    from onboarding.notifications import Notification, NotificationBatch
    from onboarding.policy import (
        HISTORY_BUDGET,
        START,
        OnboardingInput,
        OnboardingPolicy,
        start_payload,
    )
    from onboarding.proof import Channel, Envelope, Unproven, verify
    from onboarding.requirements import pre_onboarding_checks
    from onboarding.review import ReviewReportRequest
    from onboarding.status import (
        DeviationRecord,
        GateRecord,
        OnboardingStatus,
    )
    from onboarding.steps import (
        OnboardingState,
        StepKey,
        StepStatus,
    )
    from onboarding.support import SupportModel

STEP_ACTIVITY_TIMEOUT = timedelta(minutes=3)
STEP_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
"""Activities heartbeat while they wait; a worker that died is noticed within this."""
POLICY_ACTIVITY = "load_policy"
NOTIFY_ACTIVITY = "send_notifications"
NOTIFY_BATCH = 20
HANDOVER_WAIT = timedelta(minutes=5)
"""How long a run waits for its audit and notification writes before continuing as new."""
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    maximum_interval=timedelta(minutes=10),
)
"""A sender that fails is retried for as long as it takes, in the background: a
notification never blocks the onboarding, and retries add no history events."""


@workflow.defn(name="OnboardingWorkflow")
class OnboardingWorkflow(HumanInputs):
    """Runs one tenant's PHASE-33 onboarding; its id is ``onboarding-<tenant id>``."""

    @workflow.init
    def __init__(self, inp: OnboardingInput) -> None:
        self._contract = inp.contract
        self._status = OnboardingStatus(
            tenant_id=inp.contract.tenant.id,
            tenant_name=inp.contract.tenant.name,
            workflow_id=workflow.info().workflow_id,
            started_by=inp.started_by,
        )
        self._policy: OnboardingPolicy | None = None
        self._retry_requested: dict[StepKey, str] = {}
        self._owner_receipt: tuple[str, datetime] | None = None
        self._started_by = inp.started_by
        self._opened_at = workflow.now()
        self._audit_pending: list[AuditEntry] = []
        self._audit_seq = 0
        self._audit_busy = False
        self._outgoing: list[Notification] = []
        """Reminders and escalations not yet handed to the sender (the head may be in flight)."""
        self._runs = 1
        self._resume_at: StepKey | None = None
        """In a run that continued as new: the step whose gates it goes on waiting at."""
        self._woken = False
        """Set by every input: a waiting gate loop looks again."""
        self._published: tuple[Any, ...] | None = None
        """The search attribute values last upserted (see `_publish`)."""
        self._nonces: dict[str, datetime] = {}
        self._refused_digests: list[str] = []
        self._signed_era: bool | None = None
        self._signals_held: list[tuple[str, Any]] = []
        self._record_opened = False
        self._notify_busy = False
        self._handing_over = False
        """Continuing as new: the background writers start nothing more in this run."""
        self._blocked_at: BlockedAt | None = None
        """In a run that continued as new while a step was blocked: where it waits on."""
        self._passed_in_step: dict[str, StepResult] = {}
        """The current step's activities that passed (carried if the run hands over)."""
        if inp.carried is not None:
            self._take_over(inp.carried)

    def _take_over(self, carried: Carryover) -> None:
        """Go on from where the previous run handed over (see `_continue_as_new`)."""
        self._status = carried.status
        self._opened_at = carried.opened_at
        self._audit_seq = carried.audit_seq
        self._audit_pending = list(carried.audit_pending)
        self._outgoing = list(carried.notifications_pending)
        self._owner_receipt = carried.owner_receipt
        self._retry_requested = dict(carried.retry_requested)
        self._runs = carried.runs
        self._resume_at = carried.status.current_step
        self._nonces = dict(carried.nonces)
        self._refused_digests = list(carried.refused_digests)
        self._record_opened = carried.record_opened
        self._passed_in_step = dict(carried.passed_in_step)
        if carried.blocked is not None:
            self._blocked_at = carried.blocked
            self._resume_at = None  # not at its gates: blocked before or after them

    # ------------------------------------------------------------------ inputs
    # Every human input goes through one pipeline (`workflows/inputs.py`).

    @workflow.update
    async def give_input(self, envelope: Envelope) -> Receipt:
        """Take one signed input; the update fails with the reason if it is refused."""
        return await self._give(envelope)

    @give_input.validator
    def _validate_give_input(self, envelope: Envelope) -> None:
        self._check_give(envelope)

    @workflow.signal(name=INPUT_SIGNAL)
    def input_signal(self, payload: Any) -> None:
        """The Web UI's way in: an envelope as `--print-signal` prints it."""
        self._take_signal(INPUT_SIGNAL, payload)

    @workflow.signal(dynamic=True)
    def named_signal(self, name: str, args: Sequence[RawValue]) -> None:
        """A signal named after its input (`sign_off`, ...), or an unknown one: refused."""
        self._named_signal(name, args)

    @workflow.update(dynamic=True)
    def named_update(self, name: str, args: Sequence[RawValue]) -> Receipt:
        """An update named after its input: the unsigned form of runs from before signing."""
        return self._named_update(name, args)

    @named_update.validator
    def _validate_named_update(self, name: str, args: Sequence[RawValue]) -> None:
        self._check_named_update(name, args)

    @workflow.query(name="status")
    def status(self) -> OnboardingStatus:
        """The onboarding as `onboard status` shows it."""
        return self._status

    # ------------------------------------------------------------------ the run

    @workflow.run
    async def run(self, inp: OnboardingInput) -> OnboardingStatus:
        self._signed()  # marks a run of this release (signed inputs) before anything else
        recorder = asyncio.create_task(self._record_audit())
        sender = asyncio.create_task(self._send_notifications())
        await self._load_policy()
        if not self._finished(StepKey.PRE_ONBOARDING):
            await self._pre_onboarding(inp)

        await self._step(
            StepKey.INTERNAL_READINESS,
            lambda: self._run_checks(StepKey.INTERNAL_READINESS, "check_internal_readiness"),
        )
        for key, activity_name in (
            (StepKey.ACCOUNT_PROVISIONING, "provision_account"),
            (StepKey.ACCESS_IDENTITY, "verify_access_identity"),
            (StepKey.ENVIRONMENT_VALIDATION, "validate_environment"),
            (StepKey.FEATURE_ENABLEMENT, "enable_features"),
        ):
            await self._step(key, functools.partial(self._run_checks, key, activity_name))
        await self._step(StepKey.CUSTOMER_ENABLEMENT, self._deliver_documents)
        await self._step(StepKey.GO_LIVE, self._prepare_go_live, self._activate)
        await self._step(StepKey.POST_ONBOARDING_REVIEW, self._open_review, self._document_review)

        self._status.state = OnboardingState.COMPLETED
        self._status.current_step = None
        self._publish()
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._audit_drained()
        recorder.cancel()
        sender.cancel()  # what is left is about gates that closed: moot
        return self._status

    def _finished(self, key: StepKey) -> bool:
        return self._status.step(key).status in (StepStatus.DONE, StepStatus.WAIVED)

    async def _step(
        self,
        key: StepKey,
        before_gates: Callable[[], Awaitable[object]],
        after_gates: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        """Run a step: its machine work, its human gates (if any), what follows them.

        A run that continued as new skips the steps already finished and goes straight
        back to the gates of the step it handed over at.
        """
        if self._finished(key):
            return
        if self._resume_at is key:
            self._resume_at = None
        else:
            if self._blocked_at is None or self._blocked_at.step is not key:
                self._begin(key)
            # Resumed while blocked: what passed returns at once, the blocked one waits on.
            await before_gates()
        if key in GATED_STEPS:
            await self._wait_for_people(key)
        if after_gates is not None:
            await after_gates()
        self._finish(key)

    async def _pre_onboarding(self, inp: OnboardingInput) -> None:
        self._begin(StepKey.PRE_ONBOARDING)
        record = self._status.step(StepKey.PRE_ONBOARDING)
        record.add_actor(inp.started_by)
        record.checks = pre_onboarding_checks(self._contract, workflow.now())
        if self._signed():
            record.checks.append(self._start_signed(inp))
        self._audit_checks(StepKey.PRE_ONBOARDING, record.checks)
        # The CLI refuses incomplete contracts, so this only fails for a contract that
        # bypassed it; such an onboarding must not proceed (PHASE-33).
        failed = [c for c in record.checks if not c.passed]
        if failed:
            self._status.state = OnboardingState.FAILED
            record.status = StepStatus.BLOCKED
            record.blocked_reason = "; ".join(c.detail for c in failed)
            self._publish()
            self._audit(
                "step_finished",
                StepKey.PRE_ONBOARDING,
                "system",
                status="failed",
                reason=record.blocked_reason,
            )
            await self._audit_drained()
            raise ApplicationError(
                f"pre-onboarding requirements not met: {record.blocked_reason}",
                type="PreOnboardingIncomplete",
                non_retryable=True,
            )
        self._finish(StepKey.PRE_ONBOARDING)

    def _start_signed(self, inp: OnboardingInput) -> CheckResult:
        """The start must be signed by the member of staff it names (PHASE-33: owner and
        timestamps recorded, proven)."""
        now = workflow.now()
        assert self._policy is not None
        reason: str | None
        if inp.start_proof is None:
            reason = "the start is not signed; start onboardings with `onboard start`"
        else:
            verified = verify(
                inp.start_proof,
                input_name=START,
                payload=start_payload(inp.contract, inp.started_by),
                workflow_id=self._status.workflow_id,
                keyring=self._policy.keyring(),
                now=now,
            )
            if isinstance(verified, Unproven):
                reason = verified.reason
            elif verified.channel is not Channel.STAFF or verified.signer != inp.started_by:
                reason = f"only the member of staff named as starter ({inp.started_by}) may sign it"
            else:
                self._nonces[inp.start_proof.nonce] = inp.start_proof.signed_at
                return CheckResult(
                    name="start_signed",
                    passed=True,
                    detail=f"started by {verified.signer} (key {verified.key_fingerprint})",
                    observed=verified.key_fingerprint,
                    checked_at=now,
                )
        return CheckResult(
            name="start_signed",
            passed=False,
            detail=f"the start of this onboarding is not proven: {reason}",
            checked_at=now,
        )

    async def _prepare_go_live(self) -> None:
        await self._register_support()
        await self._run_checks(StepKey.GO_LIVE, "verify_monitoring")

    async def _activate(self) -> None:
        """Every sign-off is in: record the go-live date, activate, schedule the review."""
        policy = self._policy or await self._load_policy()
        go_live_at = self._status.go_live_at or workflow.now()  # resumed: kept as recorded
        self._status.go_live_at = go_live_at
        # PHASE-33: the review happens within 30 days; the policy model caps the delay.
        self._status.review_due_at = go_live_at + policy.review_after
        await self._run_checks(StepKey.GO_LIVE, "activate_tenant")
        self._status.state = OnboardingState.LIVE
        workflow.logger.info("tenant is live", extra={"go_live_at": go_live_at.isoformat()})

    async def _deliver_documents(self) -> None:
        """Step 6 starts by delivering the versioned customer documents; each is recorded."""
        result = await self._run_checks(StepKey.CUSTOMER_ENABLEMENT, "deliver_documents")
        if self._status.documents:  # recorded by the run that handed over
            return
        self._status.documents = list(result.facts.get("documents", []))
        for doc in self._status.documents:
            self._audit(
                "document_delivered",
                StepKey.CUSTOMER_ENABLEMENT,
                "system",
                document=doc["key"],
                title=doc.get("title"),
                template_version=doc["version"],
                content_hash=doc["content_hash"],
                recipients=doc["recipients"],
                location=doc.get("path"),
            )

    async def _register_support(self) -> None:
        """Register the support model before go-live; the support sign-off waits for it."""
        result = await self._run_checks(StepKey.GO_LIVE, "register_support")
        if "support" not in result.facts:  # passed over by a deviation: nothing registered
            return
        if self._status.support is not None:  # recorded by the run that handed over
            return
        model = SupportModel.model_validate(result.facts["support"])
        self._status.support = model
        self._audit(
            "support_registered",
            StepKey.GO_LIVE,
            "system",
            primary_channel=model.primary_channel,
            escalation_contacts=[c.model_dump(mode="json") for c in model.escalation_contacts],
            severities=[
                {"level": s.level, "definition": s.definition, "response": s.response}
                for s in model.severities
            ],
            reference=str(result.facts.get("support_registered_at") or "") or None,
        )

    async def _open_review(self) -> None:
        """Wait for the review date, then gather the usage figures and open feedback."""
        key = StepKey.POST_ONBOARDING_REVIEW
        due = self._status.review_due_at or workflow.now()
        record = self._status.step(key)
        record.status = StepStatus.WAITING
        record.waiting_for = f"the review date {due.isoformat()}"
        self._status.state = OnboardingState.LIVE
        self._publish()
        delay = due - workflow.now()
        self._audit("wait_started", key, "system", waiting_for=record.waiting_for)
        if delay > timedelta(0):
            await workflow.sleep(
                delay, summary=f"post-onboarding review of {self._status.tenant_id}"
            )
        self._audit("wait_finished", key, "system", waiting_for=record.waiting_for)
        result = await self._run_checks(key, "gather_usage")
        self._status.usage = dict(result.facts)
        self._status.review_opened_at = workflow.now()
        self._status.state = OnboardingState.LIVE

    async def _document_review(self) -> None:
        """PHASE-33: review findings must be documented: a report artifact, on record."""
        feedback = self._status.feedback[0]
        request = ReviewReportRequest(
            contract=self._contract,
            usage=dict(self._status.usage),
            feedback_text=feedback.text,
            feedback_by=feedback.by,
            feedback_at=feedback.at,
            go_live_at=self._status.go_live_at or workflow.now(),
            reviewed_at=self._status.review_opened_at or workflow.now(),
        )
        key = StepKey.POST_ONBOARDING_REVIEW
        result = await self._run_checks(key, "write_review_report", request)
        report = result.facts.get("report") or {}
        self._status.review = {
            "report": report,
            "passed": result.facts.get("passed"),
            "findings": result.facts.get("findings", []),
        }
        if report.get("path"):
            self._audit(
                "artifact",
                key,
                "system",
                name="post-onboarding-review.md",
                location=str(report["path"]),
                sha256=report.get("sha256"),
                passed=result.facts.get("passed"),
                findings=[
                    {k: f.get(k) for k in ("code", "severity", "area", "subject")}
                    for f in result.facts.get("findings", [])
                    if isinstance(f, dict)
                ],
            )

    # ------------------------------------------------------------ step helpers

    def _begin(self, key: StepKey) -> None:
        record = self._status.step(key)
        record.status = StepStatus.RUNNING
        record.started_at = workflow.now()
        self._status.current_step = key
        self._status.state = OnboardingState.RUNNING
        self._publish()
        record.runs = 1
        self._audit("step_started", key, "system", run=1)
        workflow.logger.info("step started", extra={"step": key.value})

    def _finish(self, key: StepKey) -> None:
        self._passed_in_step = {}
        record = self._status.step(key)
        waivers = sorted({c.waived_by_deviation for c in record.checks if c.waived_by_deviation})
        # A step passed over by an approved deviation is waived, never done.
        record.status = StepStatus.WAIVED if waivers else StepStatus.DONE
        record.completed_at = workflow.now()
        record.waiting_for = None
        record.add_actor("system")
        self._publish()
        extra: dict[str, Any] = {"run": record.runs}
        if waivers:
            extra["deviation_id"] = ", ".join(waivers)
        if key is StepKey.GO_LIVE and self._status.go_live_at is not None:
            extra["go_live_at"] = self._status.go_live_at.isoformat()
        self._audit("step_finished", key, "system", status=record.status.value, **extra)
        workflow.logger.info("step done", extra={"step": key.value})

    async def _load_policy(self) -> OnboardingPolicy:
        policy: OnboardingPolicy = await workflow.execute_activity(
            POLICY_ACTIVITY,
            self._status.tenant_id,
            result_type=OnboardingPolicy,
            start_to_close_timeout=timedelta(seconds=30),
            summary="load the staff roster and onboarding policy",
        )
        self._policy = policy
        if self._signed():
            self._take_held_signals()
        return policy

    async def _run_checks(
        self, key: StepKey, activity_name: str, request: BaseModel | None = None
    ) -> StepResult:
        """Run a step's checks until they all pass; a failure blocks until a retry.

        The activity takes a `StepRequest` unless ``request`` gives its input.
        """
        record = self._status.step(key)
        policy = self._policy or await self._load_policy()
        if (done := self._passed_in_step.get(activity_name)) is not None:
            return done  # passed in the run that handed over
        while True:
            resumed = self._blocked_at
            if resumed is not None and resumed.activity == activity_name:
                self._blocked_at = None
                outcome = await self._blocked(key, resumed.reason, activity_name, resumed.result)
                record.runs += 1
                self._audit("step_started", key, "system", run=record.runs)
                if outcome == "waived" and resumed.result is not None:
                    return self._passed(activity_name, resumed.result)
                continue
            record.status = StepStatus.RUNNING
            record.blocked_reason = None
            self._status.state = OnboardingState.RUNNING
            self._publish()
            arg = request or StepRequest(
                workflow_id=self._status.workflow_id,
                step=key,
                contract=self._contract,
                attempt=record.runs,
                owner=self._status.owner,
                go_live_at=self._status.go_live_at,
            )
            result: StepResult | None = None
            try:
                result = await workflow.execute_activity(
                    activity_name,
                    arg,
                    result_type=StepResult,
                    start_to_close_timeout=STEP_ACTIVITY_TIMEOUT,
                    heartbeat_timeout=STEP_HEARTBEAT_TIMEOUT,
                    retry_policy=RetryPolicy(
                        initial_interval=timedelta(seconds=1),
                        maximum_interval=timedelta(seconds=30),
                        maximum_attempts=policy.step_max_attempts,
                    ),
                    summary=f"{activity_name.replace('_', ' ')} for {self._status.tenant_id}",
                )
            except ActivityError as err:
                reason = self._failure_reason(key, activity_name, err, policy.step_max_attempts)
            else:
                merge_checks(record, result.checks)
                self._audit_checks(key, result.checks)
                if result.passed:
                    return self._passed(activity_name, result)
                reason = "; ".join(f"{c.name}: {c.detail}" for c in result.failed)
            self._audit(
                "step_finished",
                key,
                "system",
                status="blocked",
                reason=reason,
                run=record.runs,
            )
            outcome = await self._blocked(key, reason, activity_name, result)
            record.runs += 1  # a retried or waived step starts a new run
            self._audit("step_started", key, "system", run=record.runs)
            if outcome == "waived" and result is not None:
                return self._passed(activity_name, result)

    def _failure_reason(
        self, key: StepKey, activity_name: str, err: ActivityError, attempts: int
    ) -> str:
        return failure_reason(self._status.tenant_id, key.value, activity_name, err, attempts)

    def _passed(self, activity_name: str, result: StepResult) -> StepResult:
        if self._signed():  # kept for a handover while a later activity of the step blocks
            self._passed_in_step[activity_name] = result
        return result

    async def _blocked(
        self, key: StepKey, reason: str, activity_name: str, result: StepResult | None
    ) -> str:
        """Wait for a retry, or for approved deviations covering every failed check.

        Past the history budget (a flood of inputs while nobody fixes the cause) the run
        continues as new and the next one waits on right here.
        """
        record = self._status.step(key)
        record.status = StepStatus.BLOCKED
        record.blocked_reason = reason
        self._status.state = OnboardingState.BLOCKED
        self._publish()
        workflow.logger.warning("step blocked", extra={"step": key.value, "reason": reason})
        watch_budget = key is not StepKey.POST_ONBOARDING_REVIEW and changed(HANDOVER_WHEN_BLOCKED)

        def decided() -> bool:
            return key in self._retry_requested or self._approved_waivers(key) is not None

        await workflow.wait_condition(
            lambda: decided() or (watch_budget and self._over_history_budget())
        )
        if not decided():
            await self._continue_as_new(
                BlockedAt(step=key, activity=activity_name, reason=reason, result=result)
            )
        if key in self._retry_requested:
            record.add_actor(self._retry_requested.pop(key))
            return "retry"
        waivers = self._approved_waivers(key) or {}
        for check in record.checks:
            if check.name in waivers:
                check.waived_by_deviation = waivers[check.name].id
                record.add_actor(waivers[check.name].requested_by)
                record.add_actor(waivers[check.name].decided_by or "unknown approver")
        record.blocked_reason = None
        record.status = StepStatus.RUNNING
        self._status.state = OnboardingState.RUNNING
        self._publish()
        return "waived"

    def _approved_waivers(self, key: StepKey) -> dict[str, DeviationRecord] | None:
        """Approved deviations by check name, if they cover every failed check of the step."""
        failed = [c.name for c in self._status.step(key).checks if not c.passed]
        approved = {
            d.check: d for d in self._status.deviations if d.step is key and d.state == "approved"
        }
        if failed and all(name in approved for name in failed):
            return approved
        return None

    async def _wait_for_people(self, key: StepKey) -> None:
        """Open the step's human gates and chase them until every one is closed.

        Each gate has a deadline from the policy (per SLA tier). One durable timer at a
        time wakes the loop for the next reminder or escalation of any of the step's
        gates; an input wakes it at once. Notifications go to a background sender, so a
        failing sender never holds the onboarding up.
        """
        record = self._status.step(key)
        if not any(g.step is key for g in self._status.gates):  # not resumed: open them
            specs = [spec for spec in gates_of(key) if not is_closed(self._status, spec.id)]
            if not specs:
                return
            policy = await self._load_policy()  # pick up roster changes made while we ran
            opened = workflow.now()
            due = opened + policy.gate_deadline(self._contract.contract.sla_tier)
            self._status.gates += [
                open_gate(spec, self._status, self._contract, policy.roster, opened, due)
                for spec in specs
            ]
            record.waiting_for = self._awaiting(key)
            self._audit(
                "wait_started",
                key,
                "system",
                waiting_for=record.waiting_for or "people",
                due_at=due.isoformat(),
                gates=[spec.id for spec in specs],
            )
        record.status = StepStatus.WAITING
        self._status.state = OnboardingState.WAITING
        waiting_for = record.waiting_for or "people"
        while gates := self._open_gates(key):
            record.waiting_for = self._awaiting(key)
            now = workflow.now()
            policy = self._policy or await self._load_policy()
            ladder = policy.gate_ladder(self._contract.contract.sla_tier)
            for gate in gates:
                self._outgoing += chase(gate, ladder, self._status, self._contract, now)
                if self._signed():
                    self._outgoing += invites_due(gate, self._status, self._contract, now)
            self._publish()
            if self._over_history_budget() or (not self._signed() and changed(LEGACY_HANDOVER)):
                await self._continue_as_new()
            nearest = min(gates, key=lambda g: g.next_notice_at or g.due_at)
            wake = nearest.next_notice_at or nearest.due_at
            self._woken = False
            # A timeout means a reminder or escalation fell due: the loop sends it. A flood
            # of inputs (refused ones included) wakes it too once the run is past its
            # history budget, so it continues as new at once (runs of earlier releases
            # waited for their next wake-up).
            watch_budget = changed(WAKE_ON_HISTORY_BUDGET)
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    functools.partial(self._wake_at_gate, watch_budget),
                    timeout=max(wake - now, timedelta(seconds=1)),
                    timeout_summary=f"next reminder about {nearest.title} for "
                    f"{self._status.tenant_id}, {wake:%Y-%m-%d %H:%M:%S} UTC",
                )
        record.waiting_for = None
        self._publish()
        self._audit("wait_finished", key, "system", waiting_for=waiting_for)

    def _wake_at_gate(self, watch_budget: bool) -> bool:
        """Whether a waiting gate loop looks again: an input came, or the run is over its
        history budget (when it watches it)."""
        return self._woken or (watch_budget and self._over_history_budget())

    def _open_gates(self, key: StepKey) -> list[GateRecord]:
        """The step's gates still open; the ones whose input arrived are closed here."""
        self._status.gates = [g for g in self._status.gates if not is_closed(self._status, g.gate)]
        return [g for g in self._status.gates if g.step is key]

    def _awaiting(self, key: StepKey) -> str | None:
        """Who the step waits for, in words, for status and the Web UI."""
        missing = [g for g in self._status.gates if g.step is key]
        missing = [g for g in missing if not is_closed(self._status, g.gate)]
        if not missing:
            return None
        if key is StepKey.INTERNAL_READINESS:
            return "an onboarding owner (onboard assign-owner)"
        if key is StepKey.CUSTOMER_ENABLEMENT:
            return "enablement evidence: " + ", ".join(g.gate.split(":")[1] for g in missing)
        if key is StepKey.GO_LIVE:
            return "sign-offs: " + ", ".join(g.gate.split(":")[1] for g in missing)
        return "review feedback (onboard feedback)"

    def _publish(self) -> None:
        """Make the state visible: search attributes for filters, details for the Web UI.

        Search attributes are upserted only when one changed: each upsert is a history
        event, and an onboarding that waits for weeks must keep its history small.
        """
        status = self._status
        visible = (
            status.state.value,
            status.current_step.value if status.current_step else "done",
            status.state is OnboardingState.BLOCKED,
            status.owner,
            min((g.due_at for g in status.gates), default=None),
            status.go_live_at,
        )
        if visible != self._published:
            state, step, blocked, owner, gate_due_at, go_live_at = visible
            updates: list[SearchAttributeUpdate[Any]] = [
                search.STATE.value_set(state),
                search.STEP.value_set(step),
                search.BLOCKED.value_set(blocked),
                search.GATE_DUE_AT.value_set(gate_due_at)
                if gate_due_at
                else search.GATE_DUE_AT.value_unset(),
            ]
            if owner:
                updates.append(search.OWNER.value_set(owner))
            if go_live_at:
                updates.append(search.GO_LIVE_AT.value_set(go_live_at))
            workflow.upsert_search_attributes(updates)
            self._published = visible
        workflow.set_current_details(current_details(status))

    # ------------------------------------------------------------ notifications

    async def _send_notifications(self) -> None:
        """Hand queued reminders and escalations to the sender activity, in order.

        The activity puts each in the outbox and delivers it, once per key; it is retried
        until a sender takes it. A notification refused outright (a key conflict, a bug)
        is logged and dropped rather than stopping the ones behind it.
        """
        while True:
            await workflow.wait_condition(lambda: bool(self._outgoing) and not self._handing_over)
            batch = self._outgoing[:NOTIFY_BATCH]
            self._notify_busy = True
            try:
                await workflow.execute_activity(
                    NOTIFY_ACTIVITY,
                    NotificationBatch(notifications=batch),
                    start_to_close_timeout=timedelta(minutes=2),
                    retry_policy=NOTIFY_RETRY,
                    summary=f"send {len(batch)} reminder(s) about {self._status.tenant_id}",
                )
            except ActivityError as err:
                workflow.logger.error(
                    "notifications dropped",
                    extra={"keys": [n.key for n in batch], "error": str(err.cause or err)},
                )
            del self._outgoing[: len(batch)]
            self._notify_busy = False

    # ------------------------------------------------------------ long lives

    def _over_history_budget(self) -> bool:
        """Past the policy's budget (400 events by default), or Temporal suggests it."""
        info = workflow.info()
        budget = self._policy.history_budget if self._policy else HISTORY_BUDGET
        return info.get_current_history_length() >= budget or info.is_continue_as_new_suggested()

    async def _continue_as_new(self, blocked: BlockedAt | None = None) -> None:
        """Hand all the state to a fresh run: the history stays small however long people
        take. Entries and notifications not yet written go along (their keys make a
        second write harmless)."""
        await workflow.wait_condition(workflow.all_handlers_finished)
        # Hand over between writes: a write in flight would be cut off with this run.
        # A store or sender that is down for long is not waited for: what is queued
        # goes along and is written by the next run. Since the quick-handover release only
        # the writes in flight are awaited: under a flood of inputs the queue never
        # empties, and every further write would grow this run's history.
        quick = changed(QUICK_HANDOVER)
        # No new write starts now: one scheduled in the run's last task would be lost with
        # it (and stalls the time-skipping test server).
        self._handing_over = quick
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                lambda: (
                    not (self._audit_busy or self._notify_busy)
                    if quick
                    else not (self._audit_pending or self._audit_busy or self._outgoing)
                ),
                timeout=HANDOVER_WAIT,
            )
        events = workflow.info().get_current_history_length()
        # Not queued here (that would start a write in this run's last task): the next
        # run writes it first.
        handover = self._entry(
            "continued_as_new",
            self._status.current_step,
            "system",
            {"history_events": events, "run": self._runs + 1},
        )
        workflow.logger.info(
            "continuing as new", extra={"history_events": events, "run": self._runs + 1}
        )
        carried = Carryover(
            status=self._status,
            opened_at=self._opened_at,
            audit_seq=self._audit_seq,
            audit_pending=[*self._audit_pending, handover],
            notifications_pending=list(self._outgoing),
            owner_receipt=self._owner_receipt,
            retry_requested=dict(self._retry_requested),
            runs=self._runs + 1,
            nonces=dict(self._nonces),
            refused_digests=list(self._refused_digests),
            record_opened=self._record_opened,
            blocked=blocked,
            passed_in_step=dict(self._passed_in_step),
        )
        workflow.continue_as_new(
            OnboardingInput(contract=self._contract, started_by=self._started_by, carried=carried)
        )
