"""A synthetic onboarding written straight into the records, as the activities will."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import yaml
from sqlalchemy import text

from onboarding.contract import Contract
from onboarding.steps import STEP_ORDER, StepKey
from records.chain import entry_hash
from records.kinds import EntryKind, InputName
from records.models import Entry
from records.store import RecordsStore
from tests.conftest import EXAMPLES

T0 = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
WORKER = "system:worker"
OPS = "ops.lead@localizevideos.example"
OWNER = "owner@localizevideos.example"
CSM = "csm@localizevideos.example"
APPROVER = "approver@localizevideos.example"
SUPPORT_LEAD = "support.lead@localizevideos.example"
CUSTOMER = "ada.park@northwind.example"
STRANGER = "mallory@elsewhere.example"
DOCUMENTS = (
    "product-overview",
    "admin-guide",
    "security-posture",
    "sla-and-support",
    "incident-communication",
)


def contract_summary() -> dict[str, Any]:
    """The example contract, validated, as the JSON the onboarding row keeps."""
    raw = yaml.safe_load((EXAMPLES / "contract.yaml").read_text())
    return Contract.model_validate(raw).model_dump(mode="json")


@dataclass
class StepSeen:
    """What the export must show for one step."""

    started_at: datetime | None = None
    finished_at: datetime | None = None
    actors: list[str] = field(default_factory=list)


@dataclass
class Recorder:
    """Appends entries with stable idempotency keys and remembers what each step saw."""

    store: RecordsStore
    tenant: str
    steps: dict[str, StepSeen] = field(
        default_factory=lambda: {k.value: StepSeen() for k in STEP_ORDER}
    )
    count: int = 0

    @property
    def workflow_id(self) -> str:
        return f"onboarding-{self.tenant}"

    def open(self) -> None:
        self.store.ensure_onboarding(self.tenant, self.workflow_id, contract_summary(), T0, OPS)

    def add(
        self, kind: EntryKind, step: StepKey | None, actor: str, at: datetime, /, **payload: Any
    ) -> Entry:
        self.count += 1
        key = f"{self.workflow_id}:{step}:{kind}:{self.count}"
        entry = self.store.append(self.tenant, kind, step, actor, at, payload, key)
        if step is not None:
            seen = self.steps[step.value]
            if actor not in seen.actors:
                seen.actors.append(actor)
            if kind == EntryKind.STEP_STARTED and seen.started_at is None:
                seen.started_at = at
            if kind == EntryKind.STEP_FINISHED and payload["status"] in ("done", "waived"):
                seen.finished_at = at
        return entry

    def run_step(self, step: StepKey, at: datetime, checks: list[str], run: int = 1) -> datetime:
        """Record one uneventful run of a step whose checks all pass; return its end."""
        self.add(EntryKind.STEP_STARTED, step, WORKER, at, run=run)
        for number, name in enumerate(checks, start=1):
            self.check(step, at + timedelta(seconds=number), name, True)
        end = at + timedelta(seconds=len(checks) + 1)
        self.add(EntryKind.STEP_FINISHED, step, WORKER, end, status="done", run=run)
        return end

    def check(self, step: StepKey, at: datetime, name: str, passed: bool) -> None:
        self.add(
            EntryKind.CHECK,
            step,
            WORKER,
            at,
            name=name,
            passed=passed,
            detail=f"{name} {'as expected' if passed else 'differs from the contract'}",
            expected={"value": 600},
            observed={"value": 600 if passed else 60},
            checked_at=at.isoformat(),
        )

    def wait(self, step: StepKey, start: datetime, end: datetime, what: str) -> None:
        self.add(EntryKind.WAIT_STARTED, step, WORKER, start, waiting_for=what)
        self.add(EntryKind.WAIT_FINISHED, step, WORKER, end, waiting_for=what)


def finished_onboarding(store: RecordsStore, tenant: str) -> Recorder:
    """Record a whole onboarding, contract to 30-day review, with a retry, a deviation,
    a refused self-approval, a refused sign-off, documents and the support model."""
    rec = Recorder(store, tenant)
    rec.open()
    s = timedelta(seconds=1)
    h = timedelta(hours=1)

    end = rec.run_step(StepKey.PRE_ONBOARDING, T0 + s, ["contract_signed", "residency_approved"])

    step = StepKey.INTERNAL_READINESS
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    rec.check(step, start + s, "production_stable", True)
    rec.check(step, start + 2 * s, "capacity_available", True)
    owner_at = start + 2 * h
    rec.add(EntryKind.WAIT_STARTED, step, WORKER, start + 3 * s, waiting_for="onboarding owner")
    rec.add(
        EntryKind.INPUT_ACCEPTED, step, OPS, owner_at, input=InputName.ASSIGN_OWNER, owner=OWNER
    )
    rec.add(EntryKind.WAIT_FINISHED, step, WORKER, owner_at, waiting_for="onboarding owner")
    rec.add(EntryKind.STEP_FINISHED, step, WORKER, owner_at + s, status="done", run=1)

    end = rec.run_step(StepKey.ACCOUNT_PROVISIONING, owner_at + 2 * s, ["account_created"])
    rec.add(
        EntryKind.ARTIFACT,
        StepKey.ACCOUNT_PROVISIONING,
        WORKER,
        end,
        name="provisioning-report.json",
        location="https://tickets.localizevideos.example/ONB-17/provisioning-report.json",
        sha256="ab" * 32,
    )
    end = rec.run_step(StepKey.ACCESS_IDENTITY, end + s, ["admin_authentication", "session_expiry"])

    step = StepKey.ENVIRONMENT_VALIDATION
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    rec.check(step, start + s, "rate_limits", False)
    blocked_at = start + 2 * s
    rec.add(
        EntryKind.STEP_FINISHED,
        step,
        WORKER,
        blocked_at,
        status="blocked",
        run=1,
        reason="rate_limits failed",
    )
    retry_at = blocked_at + 3 * h
    rec.wait(step, blocked_at, retry_at, "a fix and a retry")
    rec.add(EntryKind.INPUT_ACCEPTED, step, OWNER, retry_at, input=InputName.RETRY, step=step.value)
    end = rec.run_step(step, retry_at + s, ["rate_limits", "logging_visible"], run=2)

    step = StepKey.FEATURE_ENABLEMENT
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    rec.check(step, start + s, "ui_visibility", False)
    rec.add(
        EntryKind.STEP_FINISHED,
        step,
        WORKER,
        start + 2 * s,
        status="blocked",
        run=1,
        reason="ui_visibility failed",
    )
    requested_at = start + h
    rec.add(
        EntryKind.DEVIATION_REQUESTED,
        step,
        CSM,
        requested_at,
        deviation_id="DEV-1",
        check="ui_visibility",
        reason="UI flag lags the API by a release",
    )
    rec.add(
        EntryKind.INPUT_REFUSED,
        step,
        CSM,
        requested_at + 60 * s,
        input="deviation_approve",
        reason="the requester may not approve their own deviation",
        deviation_id="DEV-1",
    )
    approved_at = requested_at + 2 * h
    rec.add(
        EntryKind.DEVIATION_APPROVED,
        None,
        APPROVER,
        approved_at,
        deviation_id="DEV-1",
        note="accepted until release 4.2",
    )
    rec.steps[step.value].actors.append(APPROVER)
    rec.add(EntryKind.STEP_STARTED, step, WORKER, approved_at + s, run=2)
    end = approved_at + 2 * s
    rec.add(
        EntryKind.STEP_FINISHED, step, WORKER, end, status="waived", run=2, deviation_id="DEV-1"
    )

    step = StepKey.CUSTOMER_ENABLEMENT
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    for number, document in enumerate(DOCUMENTS, start=1):
        rec.add(
            EntryKind.DOCUMENT_DELIVERED,
            step,
            "system:documents",
            start + number * s,
            document=document,
            template_version=f"2026.11.{number}",
            content_hash=f"{number:02d}" * 32,
            recipients=[CUSTOMER],
        )
    rec.add(EntryKind.WAIT_STARTED, step, WORKER, start + 10 * s, waiting_for="enablement evidence")
    for number, item in enumerate(
        ["walkthrough", "admin-guide", "security-best-practices", "support-overview"], start=1
    ):
        rec.add(
            EntryKind.INPUT_ACCEPTED,
            step,
            CSM,
            start + number * 24 * h,
            input=InputName.ENABLEMENT,
            item=item,
            evidence=f"https://recordings.localizevideos.example/{item}",
        )
    enabled_at = start + 4 * 24 * h
    rec.add(EntryKind.WAIT_FINISHED, step, WORKER, enabled_at, waiting_for="enablement evidence")
    rec.check(step, enabled_at + s, "enablement_evidence", True)
    end = enabled_at + 2 * s
    rec.add(EntryKind.STEP_FINISHED, step, WORKER, end, status="done", run=1)

    step = StepKey.GO_LIVE
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    rec.add(
        EntryKind.SUPPORT_REGISTERED,
        step,
        "system:support",
        start + s,
        primary_channel="https://support.localizevideos.example/northwind",
        escalation_contacts=[{"name": "Sam Ortiz", "email": "sam.ortiz@northwind.example"}],
        severities=[
            {"level": "Sev1", "definition": "Production down", "response": "15 minutes, 24x7"},
            {"level": "Sev2", "definition": "Major feature degraded", "response": "1 hour"},
            {"level": "Sev3", "definition": "Minor issue | workaround", "response": "1 day"},
            {"level": "Sev4", "definition": "Question", "response": "2 business days"},
        ],
        reference="SUP-4711",
    )
    rec.add(EntryKind.WAIT_STARTED, step, WORKER, start + 2 * s, waiting_for="sign-offs")
    rec.add(
        EntryKind.INPUT_REFUSED,
        step,
        STRANGER,
        start + h,
        input=InputName.SIGN_OFF,
        reason="not on the roster",
        gate="platform",
    )
    signed = start + 6 * h
    for offset, (gate, who) in enumerate(
        [("customer", CUSTOMER), ("platform", APPROVER), ("support", SUPPORT_LEAD)]
    ):
        rec.add(
            EntryKind.INPUT_ACCEPTED,
            step,
            who,
            signed + offset * h,
            input=InputName.SIGN_OFF,
            gate=gate,
            note=f"{gate} ready",
        )
    live_at = signed + 3 * h
    rec.add(EntryKind.WAIT_FINISHED, step, WORKER, live_at, waiting_for="sign-offs")
    rec.check(step, live_at + s, "monitoring_verified", True)
    rec.add(
        EntryKind.NOTIFICATION,
        step,
        "system:notify",
        live_at + 2 * s,
        channel="email",
        recipients=[CUSTOMER, OWNER],
        subject="Northwind Studios is live",
    )
    end = live_at + 3 * s
    rec.add(
        EntryKind.STEP_FINISHED,
        step,
        WORKER,
        end,
        status="done",
        run=1,
        go_live_at=live_at.isoformat(),
    )

    step = StepKey.POST_ONBOARDING_REVIEW
    start = end + s
    rec.add(EntryKind.STEP_STARTED, step, WORKER, start, run=1)
    review_at = start + 21 * 24 * h
    rec.wait(step, start + s, review_at, "the review date")
    rec.check(step, review_at + s, "usage_gathered", True)
    rec.add(
        EntryKind.INPUT_ACCEPTED,
        step,
        CUSTOMER,
        review_at + 2 * h,
        input=InputName.FEEDBACK,
        text="Dubbing quality is great.\nGlossary import | needs CSV.",
    )
    rec.add(EntryKind.STEP_FINISHED, step, OWNER, review_at + 3 * h, status="done", run=1)
    return rec


def rewrite_actor_from(store: RecordsStore, tenant: str, seq: int, actor: str) -> None:
    """Play an attacker with SQL access: change one entry's actor, recompute every hash
    from it on and move the head, as a plain hash chain would never notice."""
    entries = store.entries(tenant)
    prev = entries[seq - 2].hash
    with store.engine.begin() as conn:
        onboarding_id = conn.execute(
            text("SELECT id FROM onboardings WHERE tenant_id = :t"), {"t": tenant}
        ).scalar_one()
        for entry in entries[seq - 1 :]:
            who = actor if entry.seq == seq else entry.actor
            digest = entry_hash(
                tenant_id=tenant,
                seq=entry.seq,
                kind=entry.kind,
                step=entry.step,
                actor=who,
                occurred_at=entry.occurred_at,
                payload=entry.payload,
                prev_hash=prev,
            )
            conn.execute(
                text(
                    "UPDATE entries SET actor = :a, prev_hash = :p, hash = :h "
                    "WHERE onboarding_id = :o AND seq = :s"
                ),
                {"a": who, "p": prev, "h": digest, "o": onboarding_id, "s": entry.seq},
            )
            prev = digest
        conn.execute(
            text("UPDATE onboardings SET head_hash = :h WHERE id = :o"),
            {"h": prev, "o": onboarding_id},
        )
