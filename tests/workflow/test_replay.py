"""Recorded histories must replay against today's workflow code.

Onboardings run for 30+ days, so a change that breaks replay would break every onboarding in
flight. When this fails, guard the change with `workflow.patched()`; never just re-record.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from tests.conftest import TEST_KEY_RING
from worker.client import encrypting_converter
from workflows.onboarding import OnboardingWorkflow

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))
RECORDED_ID = "onboarding-recorded-tenant"
"""The workflow id they were recorded under (`record_histories`): signatures name it, so a
replay under another id would rightly refuse the recorded inputs."""


def test_there_are_histories_to_replay() -> None:
    assert HISTORIES, "tests/histories/ must hold recorded histories"


@pytest.mark.parametrize(
    "history",
    [WorkflowHistory.from_json(RECORDED_ID, p.read_text()) for p in HISTORIES],
    ids=[p.stem for p in HISTORIES],
)
@pytest.mark.parametrize(
    "converter",
    # Recorded before encryption, like onboardings in flight when it was switched on: they
    # must go on replaying with the encrypting converter (unsealed payloads pass through).
    [pydantic_data_converter, encrypting_converter(TEST_KEY_RING)],
    ids=["plain", "encrypting"],
)
async def test_recorded_history_replays(history: WorkflowHistory, converter: DataConverter) -> None:
    replayer = Replayer(workflows=[OnboardingWorkflow], data_converter=converter)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
