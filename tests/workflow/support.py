"""The workflow tests' stand-ins and helpers: a fake platform, a worker, inputs by update."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from identity.signer import Signer
from onboarding.audit import AuditBatch, AuditEntry, RecordedBatch
from onboarding.checks import CheckResult, StepRequest, StepResult
from onboarding.inputs import (
    AssignOwner,
    Receipt,
    RecordEnablement,
    SignOff,
)
from onboarding.notifications import Notification, NotificationBatch
from onboarding.policy import START, OnboardingInput, OnboardingPolicy, start_payload
from onboarding.problems import load_roster
from onboarding.proof import Envelope, Proof
from onboarding.review import ReviewReportRequest
from onboarding.roster import Person, Role, Roster
from onboarding.status import OnboardingStatus
from onboarding.steps import (
    EnablementItem,
    OnboardingState,
    SignOffGate,
    StepKey,
    StepStatus,
)
from onboarding.support import support_model_for
from tests.conftest import EXAMPLES
from tests.helpers import make_contract, wait_status
from tests.identities import (
    APPROVER,
    OWNER,
    SUPPORT,
    TWO_HATS,
    approvals_public,
    service_for,
    sign,
    signer,
    time_of,
    with_keys,
)
from workflows.onboarding import OnboardingWorkflow

ADMIN = "ada.park@northwind.example"
__all__ = ["ADMIN", "APPROVER", "OWNER", "SUPPORT", "TWO_HATS"]


def roster_with_two_hats() -> Roster:
    """The example roster plus Dana, who holds onboarding_owner and platform_approver (as
    owner she must not approve her own), each with their test key."""
    roster = load_roster(EXAMPLES / "roster.yaml")
    dana = Person(
        name="Dana Two-Hats", email=TWO_HATS, roles=[Role.ONBOARDING_OWNER, Role.PLATFORM_APPROVER]
    )
    return with_keys(Roster(people=[*roster.people, dana]))


STEP_ACTIVITIES = {
    "check_internal_readiness": ["production_stability", "capacity", "compliance"],
    "provision_account": ["account_created", "no_shared_account", "admin_roles"],
    "verify_access_identity": ["admin_auth", "rbac_matrix"],
    "validate_environment": ["api_health", "rate_limit"],
    "enable_features": ["contracted_features_only", "ui_visibility"],
    "deliver_documents": ["documents_current", "documents_stored", "enablement_items_published"],
    "register_support": ["support_registered"],
    "verify_monitoring": ["monitoring"],
    "activate_tenant": ["activated"],
    "gather_usage": ["usage_gathered"],
}


@dataclass
class FakePlatform:
    """Stands in for the platform activities; tests say which checks fail or which are down."""

    failing: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    too_large: set[str] = field(default_factory=set)
    """Activities whose result would be too large to report (a named, final failure)."""
    calls: Counter[str] = field(default_factory=Counter)
    review_requests: list[ReviewReportRequest] = field(default_factory=list)
    recorded: dict[str, AuditEntry] = field(default_factory=dict)
    """Audit entries by key, as the records store would keep them (idempotently)."""
    sent: dict[str, Notification] = field(default_factory=dict)
    """Notifications by key, as the outbox would keep them (idempotently)."""
    roster: Roster | None = None
    """The roster the policy hands out (default: the example roster with Dana)."""
    history_budget: int | None = None
    """The policy's history budget (default: the workflow's)."""

    def activities(self) -> list[Any]:
        made = [self._make(name, checks) for name, checks in STEP_ACTIVITIES.items()]

        @activity.defn(name="load_policy")
        async def load_policy(tenant_id: str) -> OnboardingPolicy:
            return OnboardingPolicy(
                roster=self.roster or roster_with_two_hats(),
                step_max_attempts=2,
                approvals_keys=[approvals_public()],
                **({"history_budget": self.history_budget} if self.history_budget else {}),
            )

        @activity.defn(name="write_review_report")
        async def write_review_report(req: ReviewReportRequest) -> StepResult:
            self.calls["write_review_report"] += 1
            self.review_requests.append(req)
            return StepResult(
                checks=[CheckResult(name="review_documented", passed=True, detail="written")],
                facts={
                    "report": {"path": "/tmp/review.md", "sha256": "cd" * 32},
                    "passed": True,
                    "findings": [],
                },
            )

        @activity.defn(name="record_entries")
        async def record_entries(batch: AuditBatch) -> RecordedBatch:
            for entry in batch.entries:
                self.recorded.setdefault(entry.key, entry)
            return RecordedBatch(
                written=len(batch.entries), head_seq=len(self.recorded), head_hash="ab" * 32
            )

        @activity.defn(name="send_notifications")
        async def send_notifications(batch: NotificationBatch) -> list[str]:
            for n in batch.notifications:
                self.sent.setdefault(n.key, n)
            return [n.key for n in batch.notifications]

        return [*made, load_policy, record_entries, write_review_report, send_notifications]

    def entries(self, kind: str | None = None) -> list[AuditEntry]:
        found = list(self.recorded.values())
        return [e for e in found if kind is None or e.kind == kind]

    def _make(self, name: str, checks: list[str]) -> Any:
        @activity.defn(name=name)
        async def run(req: StepRequest) -> StepResult:
            self.calls[name] += 1
            if name in self.down:
                raise ApplicationError("connection refused to platform")
            if name in self.too_large:
                raise ApplicationError(
                    "the result would be 2.3 MB, over the 256 KB a result may take (check "
                    "contracted_features_only)",
                    type="ActivityResultTooLarge",
                    non_retryable=True,
                )
            return StepResult(
                checks=[
                    CheckResult(
                        name=c,
                        passed=c not in self.failing,
                        detail=f"{c} failed: fix it" if c in self.failing else f"{c} ok",
                        checked_at=datetime.now(UTC),
                    )
                    for c in checks
                ],
                facts=fake_facts(name, req),
            )

        return run


def fake_facts(name: str, req: StepRequest | None) -> dict[str, Any]:
    """What the real activities report beside their checks, as far as the workflow reads it."""
    if name == "gather_usage":
        return {"active_users": 7, "enablement_opened": ["walkthrough", "admin-guide"]}
    assert req is not None
    if name == "register_support":
        return {"support": support_model_for(req.contract).model_dump(mode="json")}
    if name == "deliver_documents":
        admins = [a.email for a in req.contract.contacts.admins]
        return {
            "documents": [
                {
                    "key": "admin-guide",
                    "title": "Admin guide",
                    "version": "2026.11.1",
                    "content_hash": "ab" * 32,
                    "path": "/tmp/admin-guide.md",
                    "recipients": admins,
                }
            ]
        }
    return {}


async def start_onboarding(
    env: WorkflowEnvironment, platform: FakePlatform
) -> AsyncIterator[WorkflowHandle[Any, Any]]:
    queue = f"test-{uuid.uuid4()}"
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[OnboardingWorkflow],
        activities=platform.activities(),
    ):
        contract = make_contract(tenant)
        workflow_id = f"onboarding-{tenant}"
        handle = await env.client.start_workflow(
            OnboardingWorkflow.run,
            await signed_start(env.client, contract, workflow_id),
            id=workflow_id,
            task_queue=queue,
        )
        yield handle


async def signed_start(
    client: Client, contract: Any, workflow_id: str, by: str = OWNER
) -> OnboardingInput:
    """The workflow's input as `onboard start` makes it: signed by who starts it."""
    start = sign(
        workflow_id,
        START,
        start_payload(contract, by),
        by=signer(by),
        at=await time_of(client),
    )
    proof = Proof.model_validate(start.proof)
    return OnboardingInput(contract=contract, started_by=by, start_proof=proof)


def sender_of(by: str) -> Signer:
    """Who signs for `by`: staff (anyone at localizevideos.example) with their own key, on
    the roster or not; a customer admin through the approvals service."""
    return signer(by) if by.endswith("@localizevideos.example") else service_for(by)


async def envelope_for(
    handle: WorkflowHandle[Any, Any], name: str, payload: Any, by: Signer | None = None
) -> Envelope:
    """Sign an input as its sender would (or as `by` does)."""
    who = by or sender_of(payload.by)
    return sign(handle.id, name, payload, by=who, at=await time_of(handle._client))


async def send(handle: WorkflowHandle[Any, Any], envelope: Envelope) -> Receipt:
    result: Receipt = await handle.execute_update(OnboardingWorkflow.give_input, envelope)
    return result


async def update(
    handle: WorkflowHandle[Any, Any], name: str, payload: Any, by: Signer | None = None
) -> Receipt:
    """Send an input signed by its `by` (or by `by`), as the CLI does."""
    return await send(handle, await envelope_for(handle, name, payload, by))


async def refused(
    handle: WorkflowHandle[Any, Any], name: str, payload: Any, by: Signer | None = None
) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await update(handle, name, payload, by)
    return str(info.value.cause)


async def refused_envelope(handle: WorkflowHandle[Any, Any], envelope: Envelope) -> str:
    with pytest.raises(WorkflowUpdateFailedError) as info:
        await send(handle, envelope)
    return str(info.value.cause)


def waiting_at(key: StepKey) -> Any:
    return lambda s: s.current_step is key and s.step(key).status is StepStatus.WAITING


async def drive_to_sign_offs(
    handle: WorkflowHandle[Any, Any], owner_assigned: bool = False
) -> OnboardingStatus:
    """Give the owner and the enablement evidence; return once go-live awaits sign-offs."""
    if not owner_assigned:
        await wait_status(handle, waiting_at(StepKey.INTERNAL_READINESS))
        await update(handle, "assign_owner", AssignOwner(by=OWNER, owner=OWNER))
    await wait_status(handle, waiting_at(StepKey.CUSTOMER_ENABLEMENT))
    for item in EnablementItem:
        await update(
            handle,
            "record_enablement",
            RecordEnablement(
                by=OWNER, item=item, evidence=f"https://evidence.example/{item.value}"
            ),
        )
    return await wait_status(handle, waiting_at(StepKey.GO_LIVE))


async def drive_to_go_live(
    handle: WorkflowHandle[Any, Any], owner_assigned: bool = False
) -> OnboardingStatus:
    await drive_to_sign_offs(handle, owner_assigned)
    await update(handle, "sign_off", SignOff(by=ADMIN, gate=SignOffGate.CUSTOMER))
    await update(handle, "sign_off", SignOff(by=APPROVER, gate=SignOffGate.PLATFORM))
    await update(handle, "sign_off", SignOff(by=SUPPORT, gate=SignOffGate.SUPPORT))
    return await wait_status(
        handle, lambda s: s.go_live_at is not None and s.state is OnboardingState.LIVE
    )


async def run_lengths(client: Client, workflow_id: str, first_run_id: str) -> list[int]:
    """The history length of every run of a workflow, first to last."""
    lengths: list[int] = []
    run_id: str | None = first_run_id
    while run_id is not None:
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        lengths.append(len(history.events))
        last = history.events[-1]
        run_id = None
        if last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
            attrs = last.workflow_execution_continued_as_new_event_attributes
            run_id = attrs.new_execution_run_id
    return lengths
