"""Fixtures of the workflow tests: the fake platform and an onboarding started on it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.workflow.support import FakePlatform, start_onboarding


@pytest.fixture
async def platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
async def started(
    time_env: WorkflowEnvironment, platform: FakePlatform
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    async for handle in start_onboarding(time_env, platform):
        yield handle


@pytest.fixture
async def started_alone(
    own_time_env: WorkflowEnvironment, platform: FakePlatform
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    async for handle in start_onboarding(own_time_env, platform):
        yield handle
