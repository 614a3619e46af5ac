"""Workflow logic in the time-skipping environment, platform activities replaced by name."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from onboarding import search
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    Feedback,
    RecordEnablement,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.status import OnboardingStatus
from onboarding.steps import (
    STEP_ORDER,
    EnablementItem,
    OnboardingState,
    SignOffGate,
    StepKey,
    StepStatus,
)
from tests.helpers import make_contract, wait_status
from tests.identities import MALLORY, signer
from tests.workflow.support import (
    ADMIN,
    APPROVER,
    OWNER,
    STEP_ACTIVITIES,
    SUPPORT,
    TWO_HATS,
    FakePlatform,
    drive_to_go_live,
    envelope_for,
    fake_facts,
    refused,
    sender_of,
    signed_start,
    update,
    waiting_at,
)
from workflows.inputs import INPUT_SIGNAL
from workflows.onboarding import OnboardingWorkflow


async def test_steps_run_in_order_and_record_times_and_actors(
    own_time_env: WorkflowEnvironment,
    started_alone: WorkflowHandle[Any, Any],
    platform: FakePlatform,
) -> None:
    time_env, started = own_time_env, started_alone
    live = await drive_to_go_live(started)
    assert live.review_due_at == live.go_live_at + timedelta(days=30)  # type: ignore[operator]
    assert "opens when the review runs" in await refused(
        started, "give_feedback", Feedback(by=ADMIN, text="too early")
    )
    assert platform.calls["gather_usage"] == 0

    # 30 days pass: the review timer fires, usage is gathered, feedback completes it.
    await time_env.sleep(timedelta(days=30, minutes=1))
    review = await wait_status(started, lambda s: bool(s.usage))
    assert review.usage == fake_facts("gather_usage", None)
    await update(started, "give_feedback", Feedback(by=ADMIN, text="Works well"))
    final = await started.result()

    assert final.state is OnboardingState.COMPLETED
    assert [s.key for s in final.steps] == list(STEP_ORDER)
    assert all(s.status is StepStatus.DONE for s in final.steps)
    previous_end = None
    for step in final.steps:
        assert step.started_at is not None and step.completed_at is not None
        assert step.started_at <= step.completed_at
        if previous_end is not None:
            assert previous_end <= step.started_at, f"{step.key} started before the previous ended"
        previous_end = step.completed_at
    assert OWNER in final.step(StepKey.PRE_ONBOARDING).actors
    assert OWNER in final.step(StepKey.INTERNAL_READINESS).actors
    assert {ADMIN, APPROVER, SUPPORT} <= set(final.step(StepKey.GO_LIVE).actors)
    assert ADMIN in final.step(StepKey.POST_ONBOARDING_REVIEW).actors
    assert final.step(StepKey.POST_ONBOARDING_REVIEW).completed_at >= final.review_due_at  # type: ignore[operator]
    assert {s.gate for s in final.sign_offs} == {"customer", "platform", "support"}
    assert "owner_assigned" in {c.name for c in final.step(StepKey.INTERNAL_READINESS).checks}
    assert all(platform.calls[name] == 1 for name in STEP_ACTIVITIES), platform.calls
    # The review is documented from the gathered usage and the captured feedback.
    [review_request] = platform.review_requests
    assert review_request.feedback_by == ADMIN and review_request.usage == review.usage
    assert final.review is not None and final.review["passed"] is True


async def test_failed_check_blocks_until_retry(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.failing.add("rate_limit")
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    await update(started, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    blocked = await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)
    step = blocked.step(StepKey.ENVIRONMENT_VALIDATION)
    assert blocked.current_step is StepKey.ENVIRONMENT_VALIDATION
    assert step.status is StepStatus.BLOCKED
    assert "rate_limit" in (step.blocked_reason or "")
    assert [c.passed for c in step.checks if c.name == "rate_limit"] == [False]
    # Nothing after the blocked step has started.
    assert blocked.step(StepKey.FEATURE_ENABLEMENT).status is StepStatus.PENDING

    # A retry of a step that is not blocked is refused; a stranger may not retry.
    reason = await refused(started, "retry_step", RetryStep(by=OWNER, step=StepKey.GO_LIVE))
    assert "not blocked" in reason
    reason = await refused(
        started, "retry_step", RetryStep(by=SUPPORT, step=StepKey.ENVIRONMENT_VALIDATION)
    )
    assert "may not retry" in reason

    platform.failing.clear()
    await update(started, "retry_step", RetryStep(by=APPROVER, step=StepKey.ENVIRONMENT_VALIDATION))
    after = await wait_status(started, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    env_step = after.step(StepKey.ENVIRONMENT_VALIDATION)
    assert env_step.status is StepStatus.DONE and env_step.runs == 2
    assert APPROVER in env_step.actors
    assert all(c.passed for c in env_step.checks)


async def test_platform_down_blocks_with_reason(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.down.add("check_internal_readiness")
    blocked = await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)
    reason = blocked.step(StepKey.INTERNAL_READINESS).blocked_reason or ""
    assert "could not be reached after 2 attempts" in reason
    assert "onboard retry" in reason
    assert platform.calls["check_internal_readiness"] == 2  # bounded, not forever
    platform.down.clear()
    await update(started, "retry_step", RetryStep(by=OWNER, step=StepKey.INTERNAL_READINESS))
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))


async def test_inputs_are_authorised_and_gates_must_be_open(
    started: WorkflowHandle[Any, Any],
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    stranger = "mallory@elsewhere.example"

    assert f"not on the roster for {stranger}" in await refused(
        started, "assign_owner", AssignOwner(by=stranger, owner=OWNER), by=signer(stranger)
    )
    assert "onboarding_owner role" in await refused(
        started, "assign_owner", AssignOwner(by=OWNER, owner=SUPPORT)
    )
    assert "opens at step go_live" in await refused(
        started, "sign_off", SignOff(by=ADMIN, gate=SignOffGate.CUSTOMER)
    )
    assert "opens at step customer_enablement" in await refused(
        started,
        "record_enablement",
        RecordEnablement(by=OWNER, item=EnablementItem.WALKTHROUGH, evidence="https://e.example/w"),
    )

    await update(started, "assign_owner", AssignOwner(by=APPROVER, owner=TWO_HATS))
    await wait_status(started, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    assert "only the onboarding owner" in await refused(
        started,
        "record_enablement",
        RecordEnablement(
            by=SUPPORT, item=EnablementItem.WALKTHROUGH, evidence="https://e.example/w"
        ),
    )
    for item in EnablementItem:
        await update(
            started,
            "record_enablement",
            RecordEnablement(by=OWNER, item=item, evidence=f"https://e.example/{item.value}"),
        )
    await wait_status(started, waiting_at(StepKey.GO_LIVE))

    assert "a staff key cannot sign for the customer" in await refused(
        started, "sign_off", SignOff(by=OWNER, gate=SignOffGate.CUSTOMER)
    )
    assert "owner may not give the platform sign-off" in await refused(
        started, "sign_off", SignOff(by=TWO_HATS, gate=SignOffGate.PLATFORM)
    )
    assert "platform_approver" in await refused(
        started, "sign_off", SignOff(by=SUPPORT, gate=SignOffGate.PLATFORM)
    )
    assert "support_lead" in await refused(
        started, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.SUPPORT)
    )
    assert "opens at step post_onboarding_review" in await refused(
        started, "give_feedback", Feedback(by=ADMIN, text="too early")
    )

    status = await started.query("status", result_type=OnboardingStatus)
    assert status.sign_offs == []  # refused inputs changed nothing
    assert status.refused_total == 10  # and every refusal is kept on record
    assert status.refused[0].by == f"unverified ({stranger})"
    assert {r.by for r in status.refused[1:]} >= {OWNER, ADMIN, TWO_HATS, SUPPORT, APPROVER}


async def test_repeated_input_is_harmless_and_says_when_it_was_recorded(
    started: WorkflowHandle[Any, Any],
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    first = await update(started, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    again = await update(started, "assign_owner", AssignOwner(by=APPROVER, owner=OWNER))
    assert first.accepted and not first.already_recorded
    assert again.already_recorded
    assert again.recorded_by == OWNER and again.recorded_at == first.recorded_at
    assert OWNER in again.message


async def test_signals_from_the_web_ui_are_validated_and_refusals_kept(
    started: WorkflowHandle[Any, Any],
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    # The first release's unsigned signals: refused, on record, claims shown as claims.
    await started.signal("assign_owner", {"by": "mallory@elsewhere.example", "owner": OWNER})
    await started.signal("assign_owner", "not even an object")
    # Signed, but malformed: refused with the verified signer.
    bad_gate = await envelope_for(
        started, "sign_off", {"by": ADMIN, "gate": "everyone"}, by=sender_of(ADMIN)
    )
    await started.signal(INPUT_SIGNAL, bad_gate.model_dump(mode="json"))
    status = await wait_status(started, lambda s: len(s.refused) == 3)
    assert status.owner is None
    reasons = [r.reason for r in status.refused]
    assert reasons[0].startswith("unsigned")
    assert status.refused[0].by == "unverified (mallory@elsewhere.example)"
    assert reasons[1].startswith("unsigned")
    assert reasons[2].startswith("malformed payload: gate")
    assert status.refused[2].by == ADMIN

    good = await envelope_for(started, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    await started.signal("assign_owner", good.model_dump(mode="json"))  # named after its input
    status = await wait_status(started, lambda s: s.owner == OWNER)
    assert OWNER in status.step(StepKey.INTERNAL_READINESS).actors


async def test_incomplete_contract_fails_pre_onboarding(
    time_env: WorkflowEnvironment, platform: FakePlatform
) -> None:
    # A contract that bypassed the CLI: signed in the future (as seen by workflow time).
    future = (datetime.now(UTC) + timedelta(days=400)).date().isoformat()
    contract = make_contract("future-co", contract__signed_on="2020-01-01")
    contract = contract.model_copy(
        update={"contract": contract.contract.model_copy(update={"signed_on": future})}
    )
    queue = f"test-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OnboardingWorkflow],
        activities=platform.activities(),
    ):
        workflow_id = f"onboarding-future-{uuid.uuid4().hex[:6]}"
        with pytest.raises(WorkflowFailureError) as info:
            await time_env.client.execute_workflow(
                OnboardingWorkflow.run,
                await signed_start(time_env.client, contract, workflow_id),
                id=workflow_id,
                task_queue=queue,
            )
    assert "dated in the future" in str(info.value.cause)
    assert platform.calls["check_internal_readiness"] == 0


async def test_every_transition_and_input_reaches_the_audit_trail(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    forged = await envelope_for(
        started, "sign_off", {"by": "mallory@evil.example", "gate": "platform"}, by=signer(MALLORY)
    )
    await started.signal(INPUT_SIGNAL, forged.model_dump(mode="json"))
    await update(started, "assign_owner", AssignOwner(by=APPROVER, owner=OWNER))
    await wait_status(started, waiting_at(StepKey.CUSTOMER_ENABLEMENT))

    def recorded() -> bool:
        return any(
            e.kind == "step_finished" and e.step == "feature_enablement" for e in platform.entries()
        )

    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while not recorded() and datetime.now(UTC) < deadline:
        await started.query("status", result_type=OnboardingStatus)
    started_steps = [e.step for e in platform.entries("step_started")]
    assert started_steps[:6] == [k.value for k in STEP_ORDER[:6]]
    finished = {e.step: e.payload["status"] for e in platform.entries("step_finished")}
    assert finished["internal_readiness"] == "done"
    checks = {e.payload["name"] for e in platform.entries("check")}
    assert {"signed_contract", "production_stability", "owner_assigned", "rate_limit"} <= checks
    accepted = platform.entries("input_accepted")
    assert [(e.payload["input"], e.actor) for e in accepted] == [("assign_owner", APPROVER)]
    refused = platform.entries("input_refused")
    assert refused[0].actor == "unverified"
    assert refused[0].payload["claimed_by"] == "mallory@evil.example"
    assert "not on the roster" in refused[0].payload["reason"]
    waits = [e.payload["waiting_for"] for e in platform.entries("wait_started")]
    assert any("owner" in w for w in waits)
    keys = [e.key for e in platform.entries()]
    assert len(keys) == len(set(keys))
    assert all(k.startswith(f"{started.id}:") for k in keys)


async def test_a_deviation_needs_a_second_person_and_marks_the_step_waived(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.failing.add("rate_limit")
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    await update(started, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)

    assert "not a failed check" in await refused(
        started,
        "request_deviation",
        RequestDeviation(
            by=OWNER,
            step=StepKey.ENVIRONMENT_VALIDATION,
            check="api_health",
            reason="health is fine, the probe is flaky today",
        ),
    )
    receipt = await update(
        started,
        "request_deviation",
        RequestDeviation(
            by=OWNER,
            step=StepKey.ENVIRONMENT_VALIDATION,
            check="rate_limit",
            reason="customer agreed to a lower limit until the upgrade",
        ),
    )
    deviation_id = receipt.reference
    assert deviation_id == "DEV-1"
    assert "requester may not decide" in await refused(
        started, "approve_deviation", ApproveDeviation(by=OWNER, deviation_id="DEV-1")
    )
    assert "platform_approver" in await refused(
        started, "approve_deviation", ApproveDeviation(by=SUPPORT, deviation_id="DEV-1")
    )
    assert "no deviation DEV-9" in await refused(
        started, "approve_deviation", ApproveDeviation(by=APPROVER, deviation_id="DEV-9")
    )
    still = await started.query("status", result_type=OnboardingStatus)
    assert still.state is OnboardingState.BLOCKED  # nothing but an approval passes it over

    await update(
        started,
        "approve_deviation",
        ApproveDeviation(by=APPROVER, deviation_id="DEV-1", note="ok until Q1"),
    )
    after = await wait_status(started, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    step = after.step(StepKey.ENVIRONMENT_VALIDATION)
    assert step.status is StepStatus.WAIVED  # never done
    waived = [c for c in step.checks if c.name == "rate_limit"]
    assert waived[0].passed is False and waived[0].waived_by_deviation == "DEV-1"
    assert {OWNER, APPROVER} <= set(step.actors)
    deviation = after.deviation("DEV-1")
    assert deviation is not None and deviation.state == "approved"
    assert deviation.decided_by == APPROVER and deviation.requested_by == OWNER

    again = await update(
        started, "approve_deviation", ApproveDeviation(by=APPROVER, deviation_id="DEV-1")
    )
    assert again.already_recorded
    deadline = datetime.now(UTC) + timedelta(seconds=20)
    while datetime.now(UTC) < deadline and not any(
        e.kind == "step_finished" and e.payload.get("status") == "waived"
        for e in platform.entries()
    ):
        await started.query("status", result_type=OnboardingStatus)
    kinds = [e.kind for e in platform.entries()]
    assert "deviation_requested" in kinds and "deviation_approved" in kinds
    waived_entry = [
        e for e in platform.entries("step_finished") if e.payload.get("status") == "waived"
    ]
    assert waived_entry and waived_entry[0].payload["deviation_id"] == "DEV-1"


async def test_gates_carry_their_deadline_and_turn_overdue(
    own_time_env: WorkflowEnvironment, started_alone: WorkflowHandle[Any, Any]
) -> None:
    waiting = await wait_status(started_alone, waiting_at(StepKey.INTERNAL_READINESS))
    [gate] = waiting.gates
    assert gate.gate == "owner-assignment" and "onboarding owner" in gate.awaiting
    assert gate.due_at - gate.opened_at == timedelta(days=5)  # enterprise tier default
    assert not gate.overdue

    await own_time_env.sleep(timedelta(days=5, minutes=1))
    late = await wait_status(started_alone, lambda s: bool(s.gates) and s.gates[0].overdue)
    assert late.state is OnboardingState.WAITING  # overdue never skips or fails a step

    await update(started_alone, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    after = await wait_status(started_alone, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    assert [g.gate for g in after.gates] == [f"enablement:{i.value}" for i in EnablementItem]
    assert not any(g.overdue for g in after.gates)


async def test_an_owner_assigned_while_readiness_is_blocked_is_published_at_once(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.failing.add("capacity")
    await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)
    await update(started, "assign_owner", AssignOwner(by=APPROVER, owner=OWNER))

    # The Web UI's "Mine" view filters on it: it must not wait for the next transition.
    history = await started.fetch_history()
    upserted = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    last = upserted[-1]
    assert json.loads(last[search.OWNER.name].data) == OWNER
    assert json.loads(last[search.BLOCKED.name].data) is True
    assert (await started.query(OnboardingWorkflow.status)).state is OnboardingState.BLOCKED


async def test_a_result_too_large_to_report_blocks_with_its_name_not_as_platform_down(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.too_large.add("check_internal_readiness")
    blocked = await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)
    reason = blocked.step(StepKey.INTERNAL_READINESS).blocked_reason or ""
    assert "ActivityResultTooLarge" in reason and "over the 256 KB" in reason
    assert "could not be reached" not in reason
    assert platform.calls["check_internal_readiness"] == 1  # final: not retried
