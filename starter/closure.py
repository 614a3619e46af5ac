"""Onboardings ended (or rewound) outside the process: terminated, cancelled, timed out or
reset from the Web UI or the `temporal` CLI. Read from Temporal's own record of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.api.enums.v1 import EventType, WorkflowTaskFailedCause
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowHistoryEventFilterType,
)
from temporalio.service import RPCError, RPCStatusCode

from onboarding.status import OutsideAction
from onboarding.steps import OnboardingState

RPC_TIMEOUT = timedelta(seconds=20)
MAX_REASON = 500
LOOKUP_TIMEOUT = 5.0
CLOSED_BY_TEMPORAL: dict[WorkflowExecutionStatus, OnboardingState] = {
    WorkflowExecutionStatus.TERMINATED: OnboardingState.TERMINATED,
    WorkflowExecutionStatus.CANCELED: OnboardingState.CANCELLED,
    WorkflowExecutionStatus.TIMED_OUT: OnboardingState.TIMED_OUT,
}


async def outside_action(
    client: Client, description: WorkflowExecutionDescription
) -> OutsideAction | None:
    """What was done to the latest run outside the process, if anything.

    A closed run (terminated, cancelled, timed out) is reported with its close event; a
    running one that was reset, with the reset's marker in its history.
    """
    state = CLOSED_BY_TEMPORAL.get(description.status) if description.status else None
    run_handle = client.get_workflow_handle(description.id, run_id=description.run_id)
    if state is OnboardingState.TERMINATED:
        close = await _close_event(run_handle)
        ended = close.workflow_execution_terminated_event_attributes
        return _action(state.value, ended.identity, close, ended.reason, description.run_id)
    if state is OnboardingState.CANCELLED:
        requested = await _first(
            run_handle, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED
        )
        close = await _close_event(run_handle)
        attrs = (
            requested.workflow_execution_cancel_requested_event_attributes if requested else None
        )
        return _action(
            state.value,
            attrs.identity if attrs else None,
            close,
            attrs.cause if attrs else None,
            description.run_id,
        )
    if state is OnboardingState.TIMED_OUT:
        close = await _close_event(run_handle)
        return _action(state.value, "Temporal (workflow timeout)", close, None, description.run_id)
    extended = description.raw_description.workflow_extended_info
    if extended.HasField("last_reset_time"):
        reset = await _first(
            run_handle,
            EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
            lambda e: (
                e.workflow_task_failed_event_attributes.cause
                == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW
            ),
        )
        if reset is not None:
            marker = reset.workflow_task_failed_event_attributes
            # Temporal records its own service here, not who asked for the reset.
            by = None if marker.identity.startswith("history-") else marker.identity
            return _action("reset", by, reset, marker.failure.message, description.run_id)
        return OutsideAction(
            action="reset",
            at=extended.last_reset_time.ToDatetime(tzinfo=UTC),
            run_id=description.run_id,
        )
    return None


def _action(
    action: str, by: str | None, event: HistoryEvent, reason: str | None, run_id: str
) -> OutsideAction:
    return OutsideAction(
        action=action,
        by=_clean(by),
        at=event.event_time.ToDatetime(tzinfo=UTC)
        if event.HasField("event_time")
        else datetime.now(UTC),
        reason=_clean(reason),
        run_id=run_id,
    )


def _clean(text: str | None) -> str | None:
    """Someone else's free text, bounded and without control characters."""
    if not text:
        return None
    shown = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return shown[:MAX_REASON] or None


async def _close_event(handle: WorkflowHandle[Any, Any]) -> HistoryEvent:
    async for event in handle.fetch_history_events(
        event_filter_type=WorkflowHistoryEventFilterType.CLOSE_EVENT, rpc_timeout=RPC_TIMEOUT
    ):
        return event
    raise LookupError("a closed run without a close event")


async def _first(
    handle: WorkflowHandle[Any, Any],
    event_type: EventType.ValueType,
    matches: Any = None,
) -> HistoryEvent | None:
    async for event in handle.fetch_history_events(rpc_timeout=RPC_TIMEOUT):
        if event.event_type == event_type and (matches is None or matches(event)):
            return event
    return None


async def lookup(tenant_id: str) -> tuple[OutsideAction | None, str | None]:
    """What Temporal says was done to the tenant's onboarding outside the process.

    For `onboard verify` and `onboard export`, which work from the records store alone: they
    consult Temporal only when it answers, and say why when it does not.

    Returns:
        The action (None when there was none, or Temporal no longer has the run), and a
        note when Temporal could not be consulted.
    """
    from onboarding.contract import workflow_id_for
    from worker.client import connect
    from worker.config import InvalidSettings, Settings, load_settings

    settings = load_settings(Settings)
    address = settings.temporal.address
    try:
        client = await asyncio.wait_for(connect(settings.temporal), LOOKUP_TIMEOUT)
        handle = client.get_workflow_handle(workflow_id_for(tenant_id))
        description = await handle.describe(rpc_timeout=timedelta(seconds=LOOKUP_TIMEOUT))
        return await outside_action(client, description), None
    except InvalidSettings as err:
        return None, f"Temporal was not consulted ({err})"
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None, None
        return None, f"Temporal at {address} did not answer ({err.message})"
    except (RuntimeError, TimeoutError) as err:
        return None, f"Temporal at {address} could not be reached ({str(err)[:200]})"
