"""Synthetic records of many onboardings, written through `RecordsStore.append`.

The entries have the shapes the workflow writes (see `workflows/onboarding.py`): each
step's runs and checks, gates opened with their deadline, inputs, blocks retried or
waived by a deviation, reminders and escalations, moved deadlines, the review. Times come
from a seeded random generator; whatever lies after `as_of` is not written, so late
onboardings are open in the state they would be in at that moment.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from records.store import RecordsStore

OWNERS = [
    "olivia@localizevideos.example",
    "omar@localizevideos.example",
    "ines@localizevideos.example",
    "kenji@localizevideos.example",
    "lena@localizevideos.example",
]
APPROVERS = ["priya@localizevideos.example", "pavel@localizevideos.example"]
SUPPORT_LEADS = ["sven@localizevideos.example", "sara@localizevideos.example"]
TIERS = [("standard", 0.4, 10), ("premium", 0.35, 7), ("enterprise", 0.25, 5)]
REGIONS = ["eu-central", "us-east", "ap-southeast", "uk-south"]
ENABLEMENT = ["walkthrough", "admin-guide", "security-best-practices", "support-overview"]
SIGN_OFFS = ["customer", "platform", "support"]
DOCUMENTS = ["product-overview", "admin-guide", "security-posture", "sla-support", "incidents"]
MACHINE_STEPS = {
    "pre_onboarding": [
        "signed_contract",
        "approved_residency",
        "admin_contacts",
        "escalation_contacts",
        "security_questionnaire",
    ],
    "internal_readiness": ["production_stability", "capacity", "compliance"],
    "account_provisioning": [
        "no_shared_account",
        "account_created",
        "admin_roles",
        "feature_flags",
        "security_defaults",
        "rate_limit_configured",
    ],
    "access_identity": [
        "admin_auth",
        "rbac_matrix",
        "token_behaviour",
        "logout_revokes",
        "session_expiry",
    ],
    "environment_validation": ["api_health", "db_connectivity", "rate_limit", "logging_visibility"],
    "feature_enablement": [
        "contracted_features_only",
        "feature_permissions",
        "ui_visibility",
        "critical_flows",
    ],
}
BLOCKABLE = {
    "access_identity": ["session_expiry", "admin_auth"],
    "environment_validation": ["rate_limit", "logging_visibility", "api_health"],
    "feature_enablement": ["ui_visibility", "critical_flows"],
    "account_provisioning": ["security_defaults"],
}
FINDINGS = [
    ("feature_unused", "gap"),
    ("admin_never_logged_in", "gap"),
    ("enablement_item_unopened", "gap"),
    ("api_latency_p95", "info"),
    ("error_rate", "breach"),
]
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


@dataclass(order=True)
class _Event:
    at: datetime
    order: int
    kind: str = field(compare=False)
    step: str | None = field(compare=False)
    actor: str = field(compare=False)
    payload: dict[str, Any] = field(compare=False)
    key: str | None = field(compare=False, default=None)


@dataclass
class Synthetic:
    """One synthetic onboarding's facts, for a test or a benchmark to check against."""

    tenant_id: str
    tier: str
    region: str
    owner: str
    started_at: datetime
    entries: int = 0


class _Life:
    """Builds one onboarding's events on its own clock."""

    def __init__(self, rng: random.Random, tenant: str, start: datetime, tier: str) -> None:
        self.rng, self.tenant, self.clock = rng, tenant, start
        self.workflow_id = f"onboarding-{tenant}"
        self.tier = tier
        self.deadline = DAY * next(d for t, _, d in TIERS if t == tier)
        self.events: list[_Event] = []
        self.owner = rng.choice(OWNERS)

    def add(self, kind: str, step: str | None, actor: str = "system", /, **payload: Any) -> None:
        self.events.append(_Event(self.clock, len(self.events), kind, step, actor, payload))

    def notice(self, at: datetime, gate: str, kind: str, recipients: list[str], n: str) -> None:
        key = f"{self.workflow_id}:{gate}:{kind}:{n}"
        payload = {
            "channel": "webhook",
            "recipients": recipients,
            "subject": f"{'Overdue' if kind == 'reminder' else 'Escalation'}: {gate}",
            "notification": kind,
            "gate": gate,
            "key": key,
        }
        self.events.append(
            _Event(at, len(self.events), "notification", None, "system:notify", payload, key)
        )

    def machine(self, low: float = 20, high: float = 240) -> None:
        self.clock += timedelta(seconds=self.rng.uniform(low, high))

    def checks(self, step: str, names: list[str], failing: str | None = None) -> None:
        for name in names:
            self.machine(1, 15)
            passed = name != failing
            self.add(
                "check",
                step,
                name=name,
                passed=passed,
                detail=f"{name} ok" if passed else f"{name}: observed differs from expected",
                expected="as contracted",
                observed="as contracted" if passed else "different",
                checked_at=self.clock.isoformat(),
            )

    def gates(
        self, step: str, delays: dict[str, timedelta], who: dict[str, str], waiting: str
    ) -> None:
        """Open gates together, close each after its delay, chase the late ones."""
        opened = self.clock
        due = opened + self.deadline
        self.add(
            "wait_started",
            step,
            waiting_for=waiting,
            due_at=due.isoformat(),
            gates=list(delays),
        )
        moved: dict[str, datetime] = {}
        for gate, delay in delays.items():
            closes = opened + delay
            if delay > self.deadline + 2 * DAY and self.rng.random() < 0.3:
                moved[gate] = opened + self.deadline + DAY
            self._chase(gate, opened, due, closes, moved.get(gate), who[gate])
        for gate, at in moved.items():
            new_due = at + self.rng.randint(3, 8) * DAY
            self.events.append(
                _Event(
                    at,
                    len(self.events),
                    "deadline_moved",
                    step,
                    self.owner,
                    {
                        "gate": gate,
                        "due_at": new_due.isoformat(),
                        "previous_due_at": due.isoformat(),
                        "reason": "customer asked for more time",
                    },
                )
            )
        for gate, delay in sorted(delays.items(), key=lambda i: i[1]):
            self.clock = opened + delay
            self.add("input_accepted", step, who[gate], **_input_fields(gate, self.owner))
        self.clock = opened + max(delays.values()) + timedelta(seconds=1)
        self.add("wait_finished", step, waiting_for=waiting)

    def _chase(
        self,
        gate: str,
        opened: datetime,
        due: datetime,
        closes: datetime,
        moved_at: datetime | None,
        who: str,
    ) -> None:
        moments = [due - 2 * DAY, due - 12 * HOUR, due]
        moments += [due + n * DAY for n in range(1, 60)]
        n = 0
        for at in moments:
            if at >= closes or (moved_at is not None and at > moved_at):
                break
            if at > opened:
                n += 1
                self.notice(at, gate, "reminder", [who], str(n))
        for level, after in enumerate((DAY, 3 * DAY), start=1):
            at = due + after
            if at < closes and (moved_at is None or at < moved_at):
                self.notice(at, gate, "escalation", [self.owner], f"0.{level}")


def _input_fields(gate: str, owner: str) -> dict[str, Any]:
    if gate == "owner-assignment":
        return {"input": "assign_owner", "owner": owner}
    if gate.startswith("enablement:"):
        item = gate.split(":", 1)[1]
        return {"input": "enablement", "item": item, "evidence": f"https://drive.example/{item}"}
    if gate.startswith("sign-off:"):
        return {"input": "sign_off", "gate": gate.split(":", 1)[1], "note": None}
    return {"input": "feedback", "text": "The glossary saved us hours."}


def _days(rng: random.Random, median: float, spread: float = 0.6) -> timedelta:
    """A lognormal number of days around a median: people are mostly quick, sometimes not."""
    return DAY * median * rng.lognormvariate(0, spread)


def _onboarding(rng: random.Random, index: int, start: datetime) -> tuple[_Life, dict[str, Any]]:
    tier = rng.choices([t for t, _, _ in TIERS], weights=[w for _, w, _ in TIERS])[0]
    tenant = f"tenant-{index:04d}"
    life = _Life(rng, tenant, start, tier)
    region = rng.choice(REGIONS)
    admin = f"admin@{tenant}.example"
    contract = {
        "tenant": {"id": tenant, "name": f"Tenant {index:04d} Studios"},
        "contract": {
            "reference": f"CTR-{index:04d}",
            "signed_on": (start.date() - timedelta(days=rng.randint(1, 21))).isoformat(),
            "sla_tier": tier,
            "seats": rng.randint(20, 800),
            "features": ["subtitles", "dubbing", "glossary"],
            "api_rate_limit_per_minute": 600,
        },
        "data_residency": {"region": region, "approved_by": "dpo@localizevideos.example"},
        "contacts": {
            "admins": [{"name": "Admin", "email": admin}],
            "escalation": [{"name": "Esc", "email": f"esc@{tenant}.example"}],
        },
    }
    blocked_step = rng.choice(list(BLOCKABLE)) if rng.random() < 0.22 else None
    for step, names in MACHINE_STEPS.items():
        life.add("step_started", step, run=1)
        failing = rng.choice(BLOCKABLE[step]) if step == blocked_step else None
        life.checks(step, names, failing)
        run = 1
        if failing:
            _block(life, step, names, failing)
            run = 2
        if step == "internal_readiness":
            life.gates(
                step,
                {"owner-assignment": _days(rng, 0.6)},
                {"owner-assignment": APPROVERS[0]},
                "an onboarding owner (onboard assign-owner)",
            )
            life.add(
                "check",
                step,
                name="owner_assigned",
                passed=True,
                detail=f"{life.owner} assigned",
                checked_at=life.clock.isoformat(),
            )
        life.machine()
        life.add("step_finished", step, status="done", run=run)

    step = "customer_enablement"
    life.add("step_started", step, run=1)
    life.checks(step, ["documents_current", "documents_stored", "enablement_items_published"])
    for doc in DOCUMENTS:
        life.add(
            "document_delivered",
            step,
            document=doc,
            title=doc,
            template_version="2026.11.1",
            content_hash="ab" * 32,
            recipients=[admin],
        )
    slow_staff = rng.random() < 0.12
    life.gates(
        step,
        {f"enablement:{i}": _days(rng, 6 if slow_staff else 1.6) for i in ENABLEMENT},
        {f"enablement:{i}": life.owner for i in ENABLEMENT},
        "enablement evidence: " + ", ".join(ENABLEMENT),
    )
    life.add("step_finished", step, status="done", run=1)

    step = "go_live"
    life.add("step_started", step, run=1)
    life.checks(step, ["support_registered"])
    life.add(
        "support_registered",
        step,
        primary_channel="support portal",
        escalation_contacts=[{"name": "Esc", "email": f"esc@{tenant}.example"}],
        severities=[{"level": "Sev1", "definition": "down", "response": "15 minutes"}],
    )
    life.checks(step, ["monitoring"])
    slow_customer = rng.random() < 0.15
    delays = {
        "sign-off:customer": _days(rng, 15 if slow_customer else 2.2, 0.4),
        "sign-off:platform": _days(rng, 0.9),
        "sign-off:support": _days(rng, 1.2),
    }
    who = {
        "sign-off:customer": admin,
        "sign-off:platform": rng.choice(APPROVERS),
        "sign-off:support": rng.choice(SUPPORT_LEADS),
    }
    life.gates(step, delays, who, "sign-offs: customer, platform, support")
    life.checks(step, ["activated"])
    go_live = life.clock
    life.add("step_finished", step, status="done", run=1, go_live_at=go_live.isoformat())

    step = "post_onboarding_review"
    life.add("step_started", step, run=1)
    review_date = go_live + 30 * DAY
    life.add("wait_started", step, waiting_for=f"the review date {review_date.isoformat()}")
    life.clock = review_date
    life.add("wait_finished", step, waiting_for=f"the review date {review_date.isoformat()}")
    life.checks(step, ["usage_gathered"])
    life.gates(
        step,
        {"review-feedback": _days(rng, 2.5)},
        {"review-feedback": admin},
        "review feedback (onboard feedback)",
    )
    life.checks(step, ["review_documented"])
    found = [
        {"code": code, "severity": severity, "area": "usage", "summary": code}
        for code, severity in FINDINGS
        if rng.random() < 0.3
    ]
    life.add(
        "artifact",
        step,
        name="post-onboarding-review.md",
        location=f"artifacts/{tenant}/post-onboarding-review.md",
        sha256="cd" * 32,
        findings=found,
    )
    life.add("step_finished", step, status="done", run=1)
    return life, contract


def _block(life: _Life, step: str, names: list[str], failing: str) -> None:
    rng = life.rng
    life.add("step_finished", step, status="blocked", run=1, reason=f"{failing}: differs")
    roll = rng.random()
    if roll < 0.25:  # passed over by an approved deviation
        life.clock += _days(rng, 0.4)
        dev = "DEV-1"
        life.add(
            "deviation_requested",
            step,
            life.owner,
            deviation_id=dev,
            check=failing,
            reason="known platform issue, fixed next release",
        )
        life.clock += HOUR * rng.uniform(1, 40)
        life.add("deviation_approved", step, rng.choice(APPROVERS), deviation_id=dev, note=None)
        life.add("step_started", step, run=2)
        return
    if roll < 0.35:  # rejected, then fixed and retried
        life.clock += _days(rng, 0.3)
        life.add(
            "deviation_requested",
            step,
            life.owner,
            deviation_id="DEV-1",
            check=failing,
            reason="please let it pass",
        )
        life.clock += HOUR * rng.uniform(2, 20)
        life.add(
            "deviation_rejected", step, rng.choice(APPROVERS), deviation_id="DEV-1", note="fix it"
        )
    life.clock += _days(rng, 1.2)
    life.add("input_accepted", step, life.owner, input="retry", step=step)
    life.add("step_started", step, run=2)
    life.checks(step, names)


def synthesise(
    store: RecordsStore,
    count: int,
    *,
    first_start: datetime,
    spread: timedelta,
    as_of: datetime,
    seed: int = 33,
) -> list[Synthetic]:
    """Write `count` onboardings started over `spread` from `first_start`, up to `as_of`.

    Returns what was written, per onboarding.
    """
    rng = random.Random(seed)
    made: list[Synthetic] = []
    for index in range(count):
        start = first_start + spread * (index / max(count, 1)) + HOUR * rng.uniform(0, 8)
        if start >= as_of:
            break
        life, contract = _onboarding(rng, index, start)
        store.ensure_onboarding(
            life.tenant, life.workflow_id, contract, start, "olivia@localizevideos.example"
        )
        written = 1
        for n, event in enumerate(sorted(life.events), start=1):
            if event.at > as_of:
                break
            store.append(
                life.tenant,
                event.kind,
                event.step,
                event.actor,
                event.at,
                event.payload,
                event.key or f"{life.workflow_id}:{n}",
            )
            written += 1
        region = str(contract["data_residency"]["region"])
        made.append(Synthetic(life.tenant, life.tier, region, life.owner, start, written))
    return made


START = datetime(2026, 7, 1, 8, tzinfo=UTC)
"""The synthetic quarter's first start (Q3 2026)."""
QUARTER = timedelta(days=91)
AS_OF = datetime(2026, 10, 15, 9, tzinfo=UTC)


def quarter_dates() -> tuple[date, date]:
    return START.date(), (START + QUARTER).date()
