"""Every forgery the issue's trial used, and the others we could think of: each refused
with its reason, kept on record, and not one workflow task failed.

Who did something is what a signature proves. These tests sign as an attacker would:
with their own key, with a colleague's name, with an old or borrowed signature.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from onboarding.audit import AuditEntry
from onboarding.inputs import (
    ApproveDeviation,
    AssignOwner,
    RecordEnablement,
    RequestDeviation,
    RetryStep,
    SignOff,
)
from onboarding.policy import OnboardingInput
from onboarding.roster import Roster
from onboarding.status import OnboardingStatus
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey
from tests.helpers import make_contract, wait_status
from tests.identities import MALLORY, service_for, sign, signer, time_of
from tests.workflow.support import (
    ADMIN,
    APPROVER,
    OWNER,
    SUPPORT,
    TWO_HATS,
    FakePlatform,
    drive_to_sign_offs,
    envelope_for,
    refused,
    refused_envelope,
    roster_with_two_hats,
    run_lengths,
    send,
    start_onboarding,
    update,
    waiting_at,
)
from workflows.inputs import INPUT_SIGNAL
from workflows.onboarding import OnboardingWorkflow


async def status_of(handle: WorkflowHandle[Any, Any]) -> OnboardingStatus:
    return await handle.query(OnboardingWorkflow.status)


async def task_failures(handle: WorkflowHandle[Any, Any]) -> int:
    history = await handle.fetch_history()
    return sum(e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED for e in history.events)


async def recorded_input(
    handle: WorkflowHandle[Any, Any], platform: FakePlatform, name: str
) -> AuditEntry:
    """The `input_accepted` entry of an input, once the background writer recorded it."""
    for _ in range(200):
        found = [e for e in platform.entries("input_accepted") if e.payload["input"] == name]
        if found:
            return found[-1]
        await status_of(handle)  # lets the (time-skipping) server run the writer
    raise AssertionError(f"no {name} input recorded")


async def task_failure_causes(client: Any, workflow_id: str, first_run: str) -> set[str]:
    """The causes of every failed workflow task, over every run of the onboarding."""
    from temporalio.api.enums.v1 import WorkflowTaskFailedCause

    causes: set[str] = set()
    run_id: str | None = first_run
    while run_id:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        run_id = None
        for event in history.events:
            if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
                cause = event.workflow_task_failed_event_attributes.cause
                causes.add(WorkflowTaskFailedCause.Name(cause))
            if event.HasField("workflow_execution_continued_as_new_event_attributes"):
                attrs = event.workflow_execution_continued_as_new_event_attributes
                run_id = attrs.new_execution_run_id
    return causes


async def on_record(
    handle: WorkflowHandle[Any, Any], platform: FakePlatform, fragment: str
) -> bool:
    """Whether a refusal with this reason reached the audit trail (written in the background)."""
    for _ in range(200):
        if any(fragment in e.payload["reason"] for e in platform.entries("input_refused")):
            return True
        await status_of(handle)
    return False


async def test_staff_cannot_sign_as_someone_else(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    owner_key = signer(OWNER)

    # Typing a colleague's e-mail into the payload: the signature says who really sent it.
    why = await refused(
        started, "assign_owner", AssignOwner(by=APPROVER, owner=OWNER), by=owner_key
    )
    assert f"names '{APPROVER}' but is signed by {OWNER}" in why
    # Claiming to be the colleague in the proof itself: the key is not theirs.
    claiming = await envelope_for(started, "assign_owner", AssignOwner(by=APPROVER, owner=OWNER))
    forged = claiming.model_copy(update={"proof": {**claiming.proof, "key": await _public(OWNER)}})
    assert f"not on the roster for {APPROVER}" in await refused_envelope(started, forged)
    # Someone not on the roster, with a key of their own.
    assert "not on the roster" in await refused(
        started, "assign_owner", AssignOwner(by=MALLORY, owner=OWNER), by=signer(MALLORY)
    )

    status = await status_of(started)
    assert status.owner is None
    assert status.refused_total == 3
    assert status.refused[0].by == OWNER  # verified: the owner tried it, on record
    assert await on_record(started, platform, "but is signed by")
    assert await task_failures(started) == 0


async def test_four_eyes_hold_for_the_platform_sign_off_and_deviations(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    platform.failing.add("rate_limit")
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    await update(started, "assign_owner", AssignOwner(by=APPROVER, owner=TWO_HATS))
    await wait_status(started, lambda s: s.state is OnboardingState.BLOCKED)

    # One person requests and approves a deviation that waives a check: refused twice.
    request = RequestDeviation(
        by=TWO_HATS,
        step=StepKey.ENVIRONMENT_VALIDATION,
        check="rate_limit",
        reason="limits are verified by the load test next week",
    )
    assert (await update(started, "request_deviation", request)).reference == "DEV-1"
    assert "requester may not decide" in await refused(
        started, "approve_deviation", ApproveDeviation(by=TWO_HATS, deviation_id="DEV-1")
    )
    assert "but is signed by" in await refused(
        started,
        "approve_deviation",
        ApproveDeviation(by=APPROVER, deviation_id="DEV-1"),
        by=signer(TWO_HATS),
    )
    status = await status_of(started)
    assert status.deviation("DEV-1") is not None
    assert status.deviation("DEV-1").state == "pending"  # type: ignore[union-attr]

    await update(started, "approve_deviation", ApproveDeviation(by=APPROVER, deviation_id="DEV-1"))
    await drive_to_sign_offs(started, owner_assigned=True)

    # The owner is refused the platform sign-off, then tries again as a colleague.
    assert "owner may not give the platform sign-off" in await refused(
        started, "sign_off", SignOff(by=TWO_HATS, gate=SignOffGate.PLATFORM)
    )
    assert "but is signed by" in await refused(
        started, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.PLATFORM), by=signer(TWO_HATS)
    )
    assert (await status_of(started)).sign_offs == []
    assert await task_failures(started) == 0


async def test_customers_sign_only_through_the_approvals_service(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    await drive_to_sign_offs(started)
    customer = SignOff(by=ADMIN, gate=SignOffGate.CUSTOMER)

    # A staff member signs for the customer with their own key.
    assert "a staff key cannot sign for the customer" in await refused(
        started, "sign_off", SignOff(by=OWNER, gate=SignOffGate.CUSTOMER)
    )
    # A raw signal whose "by" names a customer admin (the trial's forgery).
    await started.signal("sign_off", {"by": ADMIN, "gate": "customer"})
    # The service's key vouching for someone who is not an admin of this contract.
    assert "not a named customer admin" in await refused(
        started, "sign_off", SignOff(by=SUPPORT, gate=SignOffGate.CUSTOMER), by=service_for(SUPPORT)
    )
    # The service's key used for a staff sign-off.
    assert "vouches for customer admins only" in await refused(
        started, "sign_off", SignOff(by=ADMIN, gate=SignOffGate.PLATFORM), by=service_for(ADMIN)
    )
    status = await wait_status(started, lambda s: s.refused_total == 4)
    assert status.sign_offs == []
    assert status.refused[1].by == f"unverified ({ADMIN})"
    assert status.refused[1].reason.startswith("unsigned")

    receipt = await update(started, "sign_off", customer)  # the admin, through the service
    assert receipt.accepted and receipt.recorded_by == ADMIN
    accepted = await recorded_input(started, platform, "sign_off")
    assert accepted.payload["channel"] == "customer"
    assert accepted.payload["signed"]["signer"] == ADMIN
    assert await task_failures(started) == 0


async def test_replayed_borrowed_altered_and_stale_signatures_are_refused(
    time_env: WorkflowEnvironment, started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    assign = AssignOwner(by=OWNER, owner=OWNER)

    captured = await envelope_for(started, "assign_owner", assign)
    # Signed for another tenant's onboarding, sent here.
    elsewhere = sign(
        "onboarding-other-tenant",
        "assign_owner",
        assign,
        by=signer(OWNER),
        at=await time_of(time_env.client),
    )
    assert "signed for onboarding-other-tenant" in await refused_envelope(started, elsewhere)
    # Altered after signing (another owner), or renamed as another input.
    altered = captured.model_copy(update={"payload": {**captured.payload, "owner": TWO_HATS}})
    assert "does not match the input" in await refused_envelope(started, altered)
    renamed = captured.model_copy(update={"input": "retry_step"})
    assert "does not match the input" in await refused_envelope(started, renamed)
    # Kept for later, or dated ahead.
    now = await time_of(time_env.client)
    stale = sign(
        started.id, "assign_owner", assign, by=signer(OWNER), at=now - timedelta(minutes=6)
    )
    assert "more than 5 minutes ago" in await refused_envelope(started, stale)
    ahead = sign(
        started.id, "assign_owner", assign, by=signer(OWNER), at=now + timedelta(minutes=5)
    )
    assert "in the future" in await refused_envelope(started, ahead)
    # Unsigned, and the first release's report_refusal naming a colleague.
    unsigned = captured.model_copy(update={"proof": None})
    assert "unsigned" in await refused_envelope(started, unsigned)
    await started.signal(
        "report_refusal", {"by": APPROVER, "input": "sign_off", "reason": "I refuse"}
    )

    # The genuine one is taken once; the same signed input again is a replay.
    assert (await send(started, captured)).accepted
    assert "replay" in await refused_envelope(started, captured)
    status = await wait_status(
        started, lambda s: any(r.input == "report_refusal" for r in s.refused)
    )
    with pytest.raises(WorkflowUpdateFailedError):  # and again: turned away for free
        await send(started, captured)
    assert (await status_of(started)).refused_total == status.refused_total
    assert status.owner == OWNER
    [forged_report] = [r for r in status.refused if r.input == "report_refusal"]
    assert forged_report.reason.startswith("unsigned")
    assert forged_report.by == f"unverified ({APPROVER})"  # never "refused by a colleague"
    assert await on_record(started, platform, "replay")
    assert await task_failures(started) == 0


async def test_a_key_removed_from_the_roster_signs_nothing_more(
    started: WorkflowHandle[Any, Any], platform: FakePlatform
) -> None:
    await wait_status(started, waiting_at(StepKey.INTERNAL_READINESS))
    await update(started, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    full = roster_with_two_hats()
    platform.roster = Roster(
        people=[
            p.model_copy(update={"public_keys": []}) if p.email == APPROVER else p
            for p in full.people
        ]
    )  # revoked: the gate re-reads the roster when it opens
    await drive_to_sign_offs(started, owner_assigned=True)

    assert f"{APPROVER} has no public key on the roster" in await refused(
        started, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.PLATFORM)
    )
    assert await on_record(started, platform, "no public key on the roster")
    assert await task_failures(started) == 0


async def test_an_unsigned_or_borrowed_start_stops_at_pre_onboarding(
    time_env: WorkflowEnvironment, platform: FakePlatform
) -> None:
    queue = f"test-{uuid.uuid4()}"
    async with Worker(
        time_env.client,
        task_queue=queue,
        workflows=[OnboardingWorkflow],
        activities=platform.activities(),
    ):
        for proof in (None, "mallory"):
            tenant = f"t-{uuid.uuid4().hex[:10]}"
            contract = make_contract(tenant)
            inp = OnboardingInput(contract=contract, started_by=OWNER)
            if proof is not None:  # Mallory's own valid signature, naming the owner as starter
                from onboarding.policy import START, start_payload
                from onboarding.proof import Proof

                env = sign(
                    f"onboarding-{tenant}",
                    START,
                    start_payload(contract, OWNER),
                    by=signer(MALLORY),
                    at=await time_of(time_env.client),
                )
                inp = inp.model_copy(update={"start_proof": Proof.model_validate(env.proof)})
            with pytest.raises(WorkflowFailureError) as info:
                await time_env.client.execute_workflow(
                    OnboardingWorkflow.run, inp, id=f"onboarding-{tenant}", task_queue=queue
                )
            assert "start of this onboarding is not proven" in str(info.value.cause)
    assert platform.calls["check_internal_readiness"] == 0


async def _public(who: str) -> str:
    from tests.identities import public_of

    return public_of(who)


__all__ = ["INPUT_SIGNAL"]


async def test_a_flood_of_refused_inputs_keeps_every_run_within_its_budget(
    own_time_env: WorkflowEnvironment, platform: FakePlatform
) -> None:
    platform.history_budget = 100  # the smallest budget the policy allows
    async for handle in start_onboarding(own_time_env, platform):
        first_run = handle.result_run_id
        await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
        for n in range(300):  # each one different: none is a free repeat
            await handle.signal("assign_owner", {"by": f"flood-{n}@evil.example", "owner": OWNER})
        status = await wait_status(handle, lambda s: s.refused_total == 300, timeout=120)
        assert status.owner is None
        # Every refusal is on record, written by whichever run held it.
        await wait_status(
            handle,
            lambda s: len(platform.entries("input_refused")) == 300,
            timeout=120,
        )
        # It continues as new once due: when its gate loop next wakes, which on a busy
        # machine may come a little after the last refusal is recorded.
        deadline = asyncio.get_running_loop().time() + 60
        while (
            len(lengths := await run_lengths(own_time_env.client, handle.id, first_run or "")) < 2
        ):
            assert asyncio.get_running_loop().time() < deadline, lengths
            await asyncio.sleep(0.5)
        # Signals land in the open run's history as the server receives them, and a run
        # cannot close while more arrive (the server answers "unhandled command"): a burst
        # grows it by at most its own signals, never by refusal records, timers or writes.
        assert max(lengths) <= 100 + 300 + 30, lengths
        assert lengths[-1] < 100, lengths
        failures = await task_failure_causes(own_time_env.client, handle.id, first_run or "")
        assert failures <= {"WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND"}, failures
        # ... and goes on with the onboarding as if nothing happened.
        await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
        await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT), timeout=120)


async def test_a_flood_at_a_blocked_step_hands_over_and_the_step_waits_on(
    own_time_env: WorkflowEnvironment, platform: FakePlatform
) -> None:
    platform.history_budget = 100
    platform.failing.add("rate_limit")
    async for handle in start_onboarding(own_time_env, platform):
        first_run = handle.result_run_id
        await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
        await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
        blocked = await wait_status(handle, lambda s: s.state is OnboardingState.BLOCKED)
        reason = blocked.step(StepKey.ENVIRONMENT_VALIDATION).blocked_reason
        for n in range(250):
            await handle.signal("retry_step", {"by": f"flood-{n}@evil.example", "step": "x"})
        await wait_status(handle, lambda s: s.refused_total == 250, timeout=120)
        lengths = await run_lengths(own_time_env.client, handle.id, first_run or "")
        assert len(lengths) >= 2, lengths  # handed over while blocked
        still = await status_of(handle)
        assert still.state is OnboardingState.BLOCKED
        assert still.step(StepKey.ENVIRONMENT_VALIDATION).blocked_reason == reason
        assert platform.calls["validate_environment"] == 1  # nothing ran again by itself

        platform.failing.clear()
        retry = RetryStep(by=OWNER, step=StepKey.ENVIRONMENT_VALIDATION)
        await update(handle, "retry_step", retry)
        await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
        assert platform.calls["validate_environment"] == 2
        assert platform.calls["verify_access_identity"] == 1  # earlier steps stay done


async def test_a_handover_inside_a_step_keeps_what_already_passed_in_it(
    own_time_env: WorkflowEnvironment, platform: FakePlatform
) -> None:
    platform.history_budget = 100
    platform.failing.add("monitoring")  # go-live: support registered, then monitoring fails
    async for handle in start_onboarding(own_time_env, platform):
        first_run = handle.result_run_id
        await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
        await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
        await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
        for item in EnablementItem:
            evidence = RecordEnablement(by=OWNER, item=item, evidence=f"https://e.example/{item}")
            await update(handle, "record_enablement", evidence)
        await wait_status(handle, lambda s: s.state is OnboardingState.BLOCKED)
        for n in range(250):
            await handle.signal("retry_step", {"by": f"flood-{n}@evil.example", "step": "x"})
        await wait_status(handle, lambda s: s.refused_total == 250, timeout=120)
        assert len(await run_lengths(own_time_env.client, handle.id, first_run or "")) >= 2

        platform.failing.clear()
        await update(handle, "retry_step", RetryStep(by=OWNER, step=StepKey.GO_LIVE))
        waiting = await wait_status(handle, waiting_at(StepKey.GO_LIVE))
        assert waiting.support is not None
        assert platform.calls["register_support"] == 1  # passed before the handover: kept
        assert platform.calls["verify_monitoring"] == 2
        await wait_status(handle, lambda s: len(platform.entries("support_registered")) == 1)
