"""Benchmark: the history of an onboarding stalled for 90 days with daily reminders.

    make bench-history     (or: .venv/bin/python -m tests.workflow.bench_history)

Runs the same stall twice in the time-skipping test server, each on a server of its own:
once with the default history budget (the workflow continues as new past it) and once with
the budget at Temporal's limit (one history holds everything: the baseline). Prints each
run's events against the 51,200-event limit, and the ratio of the two largest histories.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from onboarding.policy import HISTORY_BUDGET, HISTORY_LIMIT, OnboardingInput, OnboardingPolicy
from onboarding.steps import StepKey
from tests.conftest import _start_time_env
from tests.helpers import make_contract, wait_status
from tests.workflow.support import (
    OWNER,
    FakePlatform,
    drive_to_sign_offs,
    roster_with_two_hats,
    run_lengths,
)
from workflows.onboarding import OnboardingWorkflow

STALL = timedelta(days=90)


async def stalled_run_lengths(budget: int) -> list[int]:
    """Stall an onboarding at its go-live sign-offs for 90 days; each run's event count."""
    platform = FakePlatform()

    @activity.defn(name="load_policy")
    async def load_policy(tenant_id: str) -> OnboardingPolicy:
        return OnboardingPolicy(roster=roster_with_two_hats(), history_budget=budget)

    activities: list[Any] = [
        a for a in platform.activities() if getattr(a, "__name__", "") != "load_policy"
    ]
    async with await _start_time_env() as env:
        client: Client = env.client
        queue = f"bench-{uuid.uuid4()}"
        async with Worker(
            client,
            task_queue=queue,
            workflows=[OnboardingWorkflow],
            activities=[*activities, load_policy],
        ):
            handle = await client.start_workflow(
                OnboardingWorkflow.run,
                OnboardingInput(contract=make_contract("bench-tenant"), started_by=OWNER),
                id=f"onboarding-bench-{uuid.uuid4().hex[:8]}",
                task_queue=queue,
            )
            await drive_to_sign_offs(handle)
            await env.sleep(STALL + timedelta(hours=1))
            await wait_status(
                handle,
                lambda s: (
                    s.current_step is StepKey.GO_LIVE
                    and bool(s.gates)
                    and (s.gates[0].next_notice_at or s.gates[0].due_at) - s.gates[0].opened_at
                    > STALL
                ),
            )
            assert handle.result_run_id is not None
            return await run_lengths(client, handle.id, handle.result_run_id)


def share(events: int) -> str:
    return f"{events:>6} events  {100 * events / HISTORY_LIMIT:5.2f}% of {HISTORY_LIMIT:,}"


async def main() -> None:
    budgeted = await stalled_run_lengths(HISTORY_BUDGET)
    single = await stalled_run_lengths(HISTORY_LIMIT)
    print("an onboarding stalled 90 days at its go-live sign-offs, a reminder a day each:")
    print(f"  with the history budget ({HISTORY_BUDGET} events, continue-as-new):")
    for number, events in enumerate(budgeted, start=1):
        print(f"    run {number}: {share(events)}")
    print("  baseline, one history (budget at the limit):")
    print(f"    run 1: {share(single[0])}")
    ratio = single[0] / max(budgeted)
    print(f"  largest history, baseline / budgeted: {ratio:.2f}x")
    under = max(budgeted) < HISTORY_LIMIT // 100
    print(f"  every run under 1% of the limit: {'yes' if under else 'no'}")


if __name__ == "__main__":
    asyncio.run(main())
