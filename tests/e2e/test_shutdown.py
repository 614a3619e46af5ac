"""SIGTERM on a real worker process during an activity: polling stops, the activity
finishes within the grace period (or is handed over when the grace runs out), the
worker exits 0, and the onboarding goes on with nothing lost and nothing done twice."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType, PendingActivityState

from onboarding.contract import workflow_id_for
from starter.devstack import DevStack
from tests.e2e.receivers import HoldingProxy
from tests.e2e.stack import (
    OWNER,
    client_of,
    new_tenant,
    ok,
    running_stack,
    wait_for,
    waiting_at,
    write_contract,
)
from tests.e2e.test_durability import assert_provisioned_once

pytestmark = pytest.mark.e2e

ACTIVITY = "provision_account"


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[DevStack, HoldingProxy]]:
    """A stack whose worker reaches the platform through a proxy the test can hold."""
    data = tmp_path_factory.mktemp("shutdown")
    with running_stack(data) as stack:
        proxy = HoldingProxy(("127.0.0.1", stack.ports.sandbox))
        stack.stop_part("worker")
        stack.worker_env["ONBOARDING_PLATFORM_URL"] = proxy.url
        stack.start_worker()
        try:
            yield stack, proxy
        finally:
            proxy.release()
            proxy.close()


async def _activity_started(stack: DevStack, tenant: str) -> bool:
    client = await client_of(stack)
    description = await client.get_workflow_handle(workflow_id_for(tenant)).describe()
    return any(
        p.activity_type.name == ACTIVITY
        and p.state == PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        for p in description.raw_description.pending_activities
    )


async def _attempts(stack: DevStack, tenant: str) -> tuple[list[int], int, int]:
    """Attempts of the activity that started, how many completed, how many failed."""
    client = await client_of(stack)
    history = await client.get_workflow_handle(workflow_id_for(tenant)).fetch_history()
    scheduled = {
        e.event_id
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        and e.activity_task_scheduled_event_attributes.activity_type.name == ACTIVITY
    }
    started = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
        and e.activity_task_started_event_attributes.scheduled_event_id in scheduled
    ]
    completed = sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
        and e.activity_task_completed_event_attributes.scheduled_event_id in scheduled
    )
    failed = sum(
        1
        for e in history.events
        if e.event_type
        in (EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
    )
    return started, completed, failed


def _in_flight(stack: DevStack, proxy: HoldingProxy, tmp_path: Path) -> str:
    """An onboarding whose account provisioning is running, its platform calls held."""
    tenant = new_tenant("term")
    ok(stack, "start", str(write_contract(tmp_path, tenant)), "--as", OWNER)
    wait_for(stack, tenant, waiting_at("internal_readiness"))
    proxy.hold()
    ok(stack, "assign-owner", tenant, "--owner", OWNER, "--as", OWNER)
    deadline = time.monotonic() + 30
    while not asyncio.run(_activity_started(stack, tenant)):
        assert time.monotonic() < deadline, f"{ACTIVITY} never started"
        time.sleep(0.2)
    return tenant


def _terminate(stack: DevStack) -> subprocess.Popen[bytes]:
    worker = stack.procs.pop("worker")
    worker.send_signal(signal.SIGTERM)
    return worker


def test_sigterm_lets_the_running_activity_finish_and_exits_0(
    held: tuple[DevStack, HoldingProxy], tmp_path: Path
) -> None:
    stack, proxy = held
    tenant = _in_flight(stack, proxy, tmp_path)

    worker = _terminate(stack)
    time.sleep(2)
    assert worker.poll() is None, "the worker left while its activity was still running"
    proxy.release()

    assert worker.wait(timeout=25) == 0
    started, completed, failed = asyncio.run(_attempts(stack, tenant))
    assert (started, completed, failed) == ([1], 1, 0), "finished by the worker told to stop"
    log = stack.log_path("worker").read_text()
    assert "stopping: polling stops, running activities may finish" in log
    assert "worker stopped" in log

    stack.start_worker()
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    assert_provisioned_once(stack, tenant)


def test_an_activity_longer_than_the_grace_is_handed_over(
    held: tuple[DevStack, HoldingProxy], tmp_path: Path
) -> None:
    stack, proxy = held
    stack.stop_part("worker")
    stack.worker_env["ONBOARDING_SHUTDOWN_GRACE"] = "PT1S"
    stack.start_worker()
    tenant = _in_flight(stack, proxy, tmp_path)

    worker = _terminate(stack)
    assert worker.wait(timeout=20) == 0, "the worker did not leave once its grace was over"
    proxy.release()

    stack.worker_env.pop("ONBOARDING_SHUTDOWN_GRACE")
    stack.start_worker()
    wait_for(stack, tenant, waiting_at("customer_enablement"))
    started, completed, _ = asyncio.run(_attempts(stack, tenant))
    assert started[-1] >= 2 and completed == 1, (started, completed)
    assert_provisioned_once(stack, tenant)
