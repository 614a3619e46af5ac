"""A change to in-flight logic guarded with `workflow.patched` replays the recorded
histories of onboardings started before it; the same change unguarded does not.

The example change (kept here, not in the workflow): from release 0.2.0 the onboarding
waits one minute after loading its policy, so roster changes made in that minute are
read at the first gate. It adds a timer: a new command where old histories have none.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflow.patched_example import SETTLE, PatchedOnboarding, UnguardedOnboarding
from tests.workflow.test_replay import RECORDED_ID
from workflows.versioning import CHANGES

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def _histories() -> list[WorkflowHistory]:
    return [WorkflowHistory.from_json(RECORDED_ID, p.read_text()) for p in HISTORIES]


async def _replay(workflow_class: type, history: WorkflowHistory) -> Exception | None:
    replayer = Replayer(workflows=[workflow_class], data_converter=pydantic_data_converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    return result.replay_failure


@pytest.mark.parametrize("history", _histories(), ids=[p.stem for p in HISTORIES])
async def test_an_old_history_replays_through_the_patched_change(
    history: WorkflowHistory,
) -> None:
    assert await _replay(PatchedOnboarding, history) is None


@pytest.mark.parametrize("history", _histories(), ids=[p.stem for p in HISTORIES])
async def test_the_same_change_unguarded_breaks_the_old_history(history: WorkflowHistory) -> None:
    failure = await _replay(UnguardedOnboarding, history)
    assert failure is not None
    assert "nondetermin" in str(failure).lower(), failure


def test_change_ids_are_unique() -> None:
    ids = [c.id for c in (*CHANGES, SETTLE)]
    assert len(ids) == len(set(ids))
