"""The baseline of `make bench`: a bare workflow that does an onboarding's Temporal work
and nothing else.

It schedules as many no-op activities, starts as many short timers, accepts as many updates
and upserts its search attributes as often as a real onboarding's history shows, on the
same server, so the difference between the two is what our workflow, activities and
platform checks cost on top of Temporal's own work. It runs on a worker of its own (a
subprocess, `python -m starter.bare ADDRESS TASK_QUEUE`, so its CPU is measured apart
from the bench's driving) with the pydantic converter and no payload codec: bare Temporal.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

with workflow.unsafe.imports_passed_through():
    from onboarding.search import STEP

TIMER = timedelta(milliseconds=50)
"""Short: the baseline counts the timers, it does not wait for an onboarding's deadlines."""
ACTIVITY_TIMEOUT = timedelta(seconds=60)


class BareCounts(BaseModel):
    """How much Temporal work one onboarding did, counted from its history."""

    activities: int
    """ACTIVITY_TASK_SCHEDULED events."""
    timers: int
    """TIMER_STARTED events."""
    updates: int
    """WORKFLOW_EXECUTION_UPDATE_ACCEPTED events: the bench sends that many."""
    upserts: int
    """UPSERT_WORKFLOW_SEARCH_ATTRIBUTES events."""


class BareUpdate(BaseModel):
    """One update, as a sign-off would be: its sequence number."""

    seq: int


@activity.defn(name="bare_noop")
async def bare_noop() -> None:
    """Do nothing: the activity's cost is Temporal's scheduling and the worker's polling."""


@workflow.defn(name="BareWorkflow")
class BareWorkflow:
    """An onboarding's counts with as little Temporal work and waiting as they allow.

    All activities start at once, each followed by an upsert (the rest come after), while
    the timers run side by side: the fewest workflow tasks for those counts, so the
    baseline is Temporal's floor, not a slow sequence that would flatter the onboarding.
    Then it waits for its updates, which the bench sends once it waits, as sign-offs are
    sent to an onboarding waiting at its gate.
    """

    def __init__(self) -> None:
        self.received = 0
        self.waiting = False

    @workflow.run
    async def run(self, counts: BareCounts) -> int:
        def upsert(n: int) -> None:
            if n < counts.upserts:
                workflow.upsert_search_attributes([STEP.value_set(f"bare-{n}")])

        async def activity_then_upsert(n: int) -> None:
            await workflow.execute_activity(bare_noop, start_to_close_timeout=ACTIVITY_TIMEOUT)
            upsert(n)

        await asyncio.gather(
            *(workflow.sleep(TIMER) for _ in range(counts.timers)),
            *(activity_then_upsert(n) for n in range(counts.activities)),
        )
        for n in range(counts.activities, counts.upserts):
            upsert(n)
        self.waiting = True
        await workflow.wait_condition(
            lambda: self.received >= counts.updates and workflow.all_handlers_finished()
        )
        return self.received

    @workflow.update
    async def give(self, update: BareUpdate) -> int:
        """Count an update; the answer is the count so far."""
        self.received += 1
        return self.received

    @workflow.query
    def count(self) -> int:
        """The updates received: the bench's query after each update."""
        return self.received

    @workflow.query
    def is_waiting(self) -> bool:
        """Whether its work is done and it waits for the updates (the bench's poll)."""
        return self.waiting


async def bare_client(address: str) -> Client:
    """A plain client of the server (no codec): bare Temporal."""
    return await Client.connect(address, data_converter=pydantic_data_converter)


async def serve(address: str, task_queue: str) -> None:
    """Run the bare worker until SIGTERM or SIGINT."""
    client = await bare_client(address)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with Worker(
        client, task_queue=task_queue, workflows=[BareWorkflow], activities=[bare_noop]
    ):
        print(f"bare worker polling {task_queue}", flush=True)
        await stop.wait()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m starter.bare ADDRESS TASK_QUEUE", file=sys.stderr)
        return 2
    asyncio.run(serve(argv[0], argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
