"""What the CLI asks of Temporal: start, inspect and talk to onboardings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel
from temporalio.client import (
    Client,
    WorkflowExecutionDescription,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
)
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from identity.signer import Signer
from onboarding import search
from onboarding.contract import Contract, workflow_id_for
from onboarding.inputs import Receipt
from onboarding.policy import START, OnboardingInput, start_payload
from onboarding.proof import Envelope, Proof
from onboarding.status import OnboardingStatus, OutsideAction
from onboarding.steps import CLOSED_OUTSIDE, OnboardingState, StepKey
from onboarding.text import escape_markdown as md
from starter.closure import CLOSED_BY_TEMPORAL, outside_action
from starter.errors import CliError, ExitCode
from workflows.onboarding import OnboardingWorkflow

RPC_TIMEOUT = timedelta(seconds=20)
M = TypeVar("M", bound=BaseModel)


async def start_onboarding(
    client: Client, contract: Contract, starter: Signer, task_queue: str
) -> WorkflowHandle[Any, Any]:
    """Start the tenant's one onboarding, signed by who starts it; refuse a tenant that
    already had one."""
    terms = contract.contract
    started_by = starter.email.strip().lower()
    signed = starter.sign(contract.workflow_id, START, start_payload(contract, started_by))
    proof = Proof.model_validate(signed.proof)
    try:
        return await client.start_workflow(
            OnboardingWorkflow.run,
            OnboardingInput(contract=contract, started_by=started_by, start_proof=proof),
            id=contract.workflow_id,
            task_queue=task_queue,
            # One onboarding per tenant, ever: no shared or reused accounts (PHASE-33).
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(search.TENANT, contract.tenant.id),
                    SearchAttributePair(search.REGION, contract.data_residency.region),
                    SearchAttributePair(search.SLA_TIER, terms.sla_tier.value),
                    SearchAttributePair(search.STATE, "running"),
                    SearchAttributePair(search.STEP, "pre_onboarding"),
                ]
            ),
            static_summary=(
                f"{md(contract.tenant.name)} ({md(contract.tenant.id)}): "
                f"{md(contract.data_residency.region)}, {md(terms.sla_tier.value)} SLA"
            ),
            static_details=(
                f"**Contract** {md(terms.reference)}, signed {terms.signed_on}  \n"
                f"**Seats** {terms.seats}  \n**Features** {md(', '.join(terms.features))}  \n"
                f"**Rate limit** {terms.api_rate_limit_per_minute}/min  \n"
                f"**Admins** {md(', '.join(a.email for a in contract.contacts.admins))}"
            ),
            rpc_timeout=RPC_TIMEOUT,
        )
    except WorkflowAlreadyStartedError:
        raise CliError(
            f"tenant {contract.tenant.id} already has an onboarding "
            f"({contract.workflow_id}); accounts are never shared or reused. "
            f"See `onboard status {contract.tenant.id}`."
        ) from None
    except RPCError as err:
        raise unavailable(err) from None


def unavailable(err: RPCError) -> CliError:
    return CliError(
        f"Temporal did not answer ({err.message}). Is `onboard dev` running, "
        "and does TEMPORAL_ADDRESS point at it?",
        ExitCode.UNAVAILABLE,
    )


async def _existing_handle(client: Client, tenant_id: str) -> WorkflowHandle[Any, Any]:
    handle = client.get_workflow_handle(workflow_id_for(tenant_id), result_type=OnboardingStatus)
    try:
        await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            raise CliError(
                f"no onboarding for tenant {tenant_id!r}; `onboard list` shows them all",
                ExitCode.NOT_FOUND,
            ) from None
        raise unavailable(err) from None
    return handle


async def get_status(client: Client, tenant_id: str) -> OnboardingStatus:
    """The onboarding's status; one terminated, cancelled or reset outside the process says
    so (state, who, when, why) instead of looking in progress."""
    handle = await _existing_handle(client, tenant_id)
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
        outside = await outside_action(client, description)
        if outside is not None and outside.closed:
            return _closed_outside(await _last_known(handle, description), outside)
        if description.status == WorkflowExecutionStatus.COMPLETED:
            result: OnboardingStatus = await handle.result(rpc_timeout=RPC_TIMEOUT)
            return result
        queried: OnboardingStatus = await handle.query(
            "status", result_type=OnboardingStatus, rpc_timeout=RPC_TIMEOUT
        )
        queried.outside = outside
        return queried
    except RPCError as err:
        if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
            raise CliError(
                "no worker answered; is `onboard worker` (or `onboard dev`) running?",
                ExitCode.UNAVAILABLE,
            ) from None
        raise unavailable(err) from None


async def _last_known(
    handle: WorkflowHandle[Any, Any], description: WorkflowExecutionDescription
) -> OnboardingStatus:
    """The checklist as it stood when the run was closed (a worker replays it), or, with
    no worker to answer, what the search attributes still say."""
    try:
        known: OnboardingStatus = await handle.query(
            "status", result_type=OnboardingStatus, rpc_timeout=timedelta(seconds=5)
        )
        return known
    except (RPCError, WorkflowQueryFailedError):
        attrs = description.typed_search_attributes
        tenant = attrs.get(search.TENANT) or handle.id.removeprefix("onboarding-")
        step = attrs.get(search.STEP)
        return OnboardingStatus(
            tenant_id=tenant,
            tenant_name=tenant,
            workflow_id=handle.id,
            current_step=StepKey(step) if step in {k.value for k in StepKey} else None,
            owner=attrs.get(search.OWNER),
        )


async def _ended_how(client: Client, handle: WorkflowHandle[Any, Any]) -> str:
    """How a run that takes no more input ended, if outside the process (else nothing)."""
    try:
        outside = await outside_action(client, await handle.describe(rpc_timeout=RPC_TIMEOUT))
    except RPCError:
        return ""
    return f" ({outside.sentence()})" if outside is not None else ""


def _closed_outside(status: OnboardingStatus, outside: OutsideAction) -> OnboardingStatus:
    status.state = OnboardingState(outside.action)
    status.outside = outside
    status.gates = []  # nobody is awaited any more: the run is closed
    return status


BUSY_RETRY_FOR = timedelta(seconds=15)
"""How long to keep trying while the onboarding has the most updates in flight Temporal
allows (10 per workflow)."""


async def send_input(client: Client, tenant_id: str, envelope: Envelope) -> Receipt:
    """Send a signed input as the `input` update: accepted, or refused with the reason.

    The update's id is the signature's nonce, so sending the same signed input again
    (a retry after a timeout) gets the first answer back instead of a second run. The
    workflow records every refusal itself.

    Raises:
        CliError: Refused (exit 1), ended, busy past `BUSY_RETRY_FOR` (exit 6), no worker
            or Temporal unreachable (exit 3).
    """
    handle = client.get_workflow_handle_for(
        OnboardingWorkflow.run, (await _existing_handle(client, tenant_id)).id
    )
    nonce = envelope.proof.get("nonce") if isinstance(envelope.proof, dict) else None
    deadline = asyncio.get_running_loop().time() + BUSY_RETRY_FOR.total_seconds()
    pause = 0.2
    while True:
        try:
            result: Receipt = await handle.execute_update(
                OnboardingWorkflow.give_input,
                envelope,
                id=f"input-{nonce}" if nonce else None,
                rpc_timeout=RPC_TIMEOUT,
            )
            return result
        except WorkflowUpdateFailedError as err:
            cause = err.cause
            reason = getattr(cause, "message", None) or str(cause or err)
            raise CliError(f"refused: {reason}") from None
        except RPCError as err:
            if err.status == RPCStatusCode.RESOURCE_EXHAUSTED:
                if asyncio.get_running_loop().time() < deadline:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 2.0)
                    continue
                raise CliError(
                    f"the onboarding of {tenant_id} is busy: it has as many inputs in flight "
                    "as Temporal allows; nothing was sent, try again in a moment",
                    ExitCode.BUSY,
                ) from None
            if err.status == RPCStatusCode.NOT_FOUND:
                raise CliError(
                    f"the onboarding of {tenant_id} has already ended"
                    f"{await _ended_how(client, handle)}; nothing more is taken",
                ) from None
            if err.status == RPCStatusCode.DEADLINE_EXCEEDED:
                raise CliError(
                    "no worker answered; is `onboard worker` (or `onboard dev`) running?",
                    ExitCode.UNAVAILABLE,
                ) from None
            raise unavailable(err) from None


class ListedOnboarding(BaseModel):
    tenant_id: str
    workflow_id: str
    state: str
    current_step: str
    owner: str | None
    region: str | None
    sla_tier: str | None
    started_at: str
    temporal_status: str


_EXECUTION_STATUS = {
    OnboardingState.TERMINATED: "Terminated",
    OnboardingState.CANCELLED: "Canceled",
    OnboardingState.TIMED_OUT: "TimedOut",
}


def _quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def list_filter(
    *,
    state: str | None = None,
    step: str | None = None,
    blocked: bool = False,
    overdue: bool = False,
    owner: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
) -> str:
    """The visibility query for `onboard list` filters (the same the Web UI takes)."""
    # A run that continued as new is closed; its onboarding goes on in the latest run.
    clauses = ["WorkflowType = 'OnboardingWorkflow'", "ExecutionStatus != 'ContinuedAsNew'"]
    if state in CLOSED_OUTSIDE:  # Temporal's own status: the workflow cannot record it
        clauses.append(f"ExecutionStatus = {_quoted(_EXECUTION_STATUS[OnboardingState(state)])}")
    elif state:
        clauses.append(f"{search.STATE.name} = {_quoted(state)}")
    if step:
        clauses.append(f"{search.STEP.name} = {_quoted(step)}")
    if blocked:
        clauses.append(f"{search.BLOCKED.name} = true")
    if overdue:
        # Full precision: truncating to the second would miss a gate due a moment ago.
        moment = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        clauses.append(f"{search.GATE_DUE_AT.name} < '{moment}'")
    if (state and state not in CLOSED_OUTSIDE) or blocked or overdue:
        # What the workflow last recorded no longer holds for a run closed from outside.
        clauses += [f"ExecutionStatus != {_quoted(v)}" for v in _EXECUTION_STATUS.values()]
    if owner:
        clauses.append(f"{search.OWNER.name} = {_quoted(owner.lower())}")
    if region:
        clauses.append(f"{search.REGION.name} = {_quoted(region)}")
    return " AND ".join(clauses)


async def list_onboardings(client: Client, query: str | None = None) -> list[ListedOnboarding]:
    """Every onboarding matching ``query``, newest first, from visibility (no worker needed)."""
    clauses = [query or list_filter()]
    found = []
    try:
        async for wf in client.list_workflows(" AND ".join(clauses), rpc_timeout=RPC_TIMEOUT):
            attrs = wf.typed_search_attributes
            status = wf.status.name.lower() if wf.status else "unknown"
            state = attrs.get(search.STATE) or "running"
            if wf.status in CLOSED_BY_TEMPORAL:
                state = CLOSED_BY_TEMPORAL[wf.status].value  # closed outside the process
            elif wf.status not in (
                None,
                WorkflowExecutionStatus.RUNNING,
                WorkflowExecutionStatus.COMPLETED,
            ):
                state = status  # failed
            found.append(
                ListedOnboarding(
                    tenant_id=attrs.get(search.TENANT) or wf.id.removeprefix("onboarding-"),
                    workflow_id=wf.id,
                    state=state,
                    current_step=attrs.get(search.STEP) or "",
                    owner=attrs.get(search.OWNER),
                    region=attrs.get(search.REGION),
                    sla_tier=attrs.get(search.SLA_TIER),
                    started_at=wf.start_time.isoformat(),
                    temporal_status=status,
                )
            )
    except RPCError as err:
        raise unavailable(err) from None
    return found
