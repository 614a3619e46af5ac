"""Record the workflow histories that tests/workflow/test_replay.py replays.

Run after a deliberate, compatible workflow change only (and say so in the commit):
    .venv/bin/python -m tests.workflow.record_histories
A history that no longer replays means running onboardings would break: use
`workflow.patched()` instead of re-recording. It writes `signed_onboarding_with_retry*`
(inputs signed, as since the signed-inputs release); the first release's recordings,
`complete_onboarding_with_retry*`, are kept as they are: runs from then must replay too.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio.worker import Worker

from onboarding.inputs import AssignOwner, Feedback, MoveDeadline, RetryStep, SignOff
from onboarding.steps import OnboardingState, SignOffGate, StepKey
from tests.conftest import _start_time_env
from tests.helpers import make_contract, wait_status
from tests.identities import MALLORY, signer
from tests.workflow.support import (
    ADMIN,
    OWNER,
    FakePlatform,
    drive_to_go_live,
    envelope_for,
    signed_start,
    update,
)
from workflows.onboarding import OnboardingWorkflow

HISTORIES = Path(__file__).resolve().parent.parent / "histories"


async def record() -> None:
    env = await _start_time_env()
    async with env:
        platform = FakePlatform(failing={"rate_limit"})
        queue = f"record-{uuid.uuid4()}"
        async with Worker(
            env.client,
            task_queue=queue,
            workflows=[OnboardingWorkflow],
            activities=platform.activities(),
        ):
            workflow_id = "onboarding-recorded-tenant"
            handle = await env.client.start_workflow(
                OnboardingWorkflow.run,
                await signed_start(env.client, make_contract("recorded-tenant"), workflow_id),
                id=workflow_id,
                task_queue=queue,
            )
            # Blocked at environment validation, then retried once the cause is fixed.
            await wait_status(
                handle,
                lambda s: (
                    s.current_step is StepKey.INTERNAL_READINESS
                    and s.owner is None
                    and s.step(s.current_step).waiting_for is not None
                ),
            )
            await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
            await wait_status(handle, lambda s: s.state is OnboardingState.BLOCKED)
            # Refused: an unsigned signal, and one signed by a key not on the roster.
            await handle.signal("sign_off", {"by": "mallory@evil.example", "gate": "platform"})
            forged = await envelope_for(
                handle, "sign_off", SignOff(by=MALLORY, gate=SignOffGate.PLATFORM), signer(MALLORY)
            )
            await handle.signal("give_input", forged.model_dump(mode="json"))
            platform.failing.clear()
            await update(
                handle, "retry_step", RetryStep(by=OWNER, step=StepKey.ENVIRONMENT_VALIDATION)
            )
            # Chased at the enablement gates: reminders, an escalation, a moved deadline.
            waiting = await wait_status(
                handle, lambda s: s.current_step is StepKey.CUSTOMER_ENABLEMENT and bool(s.gates)
            )
            await update(
                handle,
                "move_deadline",
                MoveDeadline(
                    by=OWNER,
                    gate="enablement:walkthrough",
                    due=waiting.gates[0].due_at + timedelta(days=3),
                ),
            )
            await env.sleep(timedelta(days=6, hours=1))
            await wait_status(handle, lambda s: any(g.escalation_level for g in s.gates))
            await drive_to_go_live(handle, owner_assigned=True)
            await env.sleep(timedelta(days=30, minutes=1))
            await wait_status(handle, lambda s: s.review_opened_at is not None)
            await update(handle, "give_feedback", Feedback(by=ADMIN, text="recorded"))
            await handle.result()
            # Every run of the chain: the onboarding continues as new when its history
            # reaches the budget, and each run must replay.
            run_id: str | None = handle.first_execution_run_id
            runs = []
            while run_id is not None:
                history = await env.client.get_workflow_handle(
                    handle.id, run_id=run_id
                ).fetch_history()
                runs.append(history)
                last = history.events[-1]
                run_id = None
                if last.HasField("workflow_execution_continued_as_new_event_attributes"):
                    attrs = last.workflow_execution_continued_as_new_event_attributes
                    run_id = attrs.new_execution_run_id
    for old in HISTORIES.glob("signed_onboarding_with_retry*.json"):
        old.unlink()
    for number, history in enumerate(runs, start=1):
        suffix = "" if number == 1 else f"_run{number}"
        path = HISTORIES / f"signed_onboarding_with_retry{suffix}.json"
        path.write_text(history.to_json())


if __name__ == "__main__":
    asyncio.run(record())
