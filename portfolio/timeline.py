"""One onboarding's life rebuilt from its records: steps, runs, waits, gates, blocks.

Pure: it reads entries (the records store's rows, or anything with the same fields) and
returns dataclasses. Times stay aware UTC datetimes; durations are integer microseconds,
so attributed waits add up exactly (see `portfolio.attribution`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from onboarding.steps import STEP_ORDER, StepKey
from portfolio.parties import Party, gate_closed_by, gate_party, gates_of_step
from records.kinds import EntryKind, InputName, StepOutcome

REVIEW_REPORT = "post-onboarding-review.md"
"""The artifact the workflow records when the review's findings are documented."""

_TIMED_KINDS = frozenset(
    {
        EntryKind.ONBOARDING_OPENED,
        EntryKind.STEP_STARTED,
        EntryKind.STEP_FINISHED,
        EntryKind.WAIT_STARTED,
        EntryKind.WAIT_FINISHED,
        EntryKind.CHECK,
        EntryKind.INPUT_ACCEPTED,
        EntryKind.INPUT_REFUSED,
        EntryKind.DEVIATION_REQUESTED,
        EntryKind.DEVIATION_APPROVED,
        EntryKind.DEVIATION_REJECTED,
        EntryKind.DEADLINE_MOVED,
        EntryKind.CONTINUED_AS_NEW,
    }
)
"""Kinds written by the workflow in workflow time (notifications and exported artifacts
carry the sender's wall clock, so they never move an onboarding's clock)."""

UNREACHABLE = "(platform unreachable)"
"""The check name given to a block with no failed check: the platform did not answer."""


class EntryLike(Protocol):
    """What the timeline reads of an entry (`records.models.Entry` has it)."""

    @property
    def kind(self) -> str: ...
    @property
    def step(self) -> str | None: ...
    @property
    def actor(self) -> str: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def payload(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Row:
    """One entry as the report loads it (plain, no ORM)."""

    kind: str
    step: str | None
    actor: str
    occurred_at: datetime
    payload: dict[str, Any]


@dataclass
class GateTime:
    """One human gate of one onboarding: opened, due, closed, how hard it was chased."""

    gate: str
    step: str
    party: Party
    opened_at: datetime
    due_at: datetime | None
    closed_at: datetime | None = None
    closed_by: str | None = None
    reminders: int = 0
    escalations: int = 0
    deadline_moves: int = 0

    def closed_on_time(self) -> bool | None:
        """Whether it closed by the deadline in force (`None` while open or without one)."""
        if self.closed_at is None or self.due_at is None:
            return None
        return self.closed_at <= self.due_at


@dataclass
class Wait:
    """A wait for people (its gates) or for a date (no gates)."""

    step: str
    started_at: datetime
    finished_at: datetime | None
    gates: list[str]
    waiting_for: str


@dataclass
class Block:
    """A run of a step that ended blocked, until the next run started (retry or waiver)."""

    step: str
    run: int
    started_at: datetime
    ended_at: datetime | None
    checks: list[str]
    reason: str
    resolution: str | None = None
    """`retry` or `waived`, once the step ran again."""


@dataclass
class DeviationTime:
    """A deviation's request and decision."""

    id: str
    step: str | None
    check: str | None
    reason: str | None
    requested_by: str | None
    requested_at: datetime | None
    decided_by: str | None = None
    decided_at: datetime | None = None
    outcome: str = "pending"
    """`pending`, `approved` or `rejected`."""


@dataclass
class Run:
    started_at: datetime | None
    finished_at: datetime | None = None
    status: str | None = None
    failed: list[str] = field(default_factory=list)


@dataclass
class StepLife:
    """A step's runs, and when it started and (finally) finished."""

    step: str
    runs: list[Run] = field(default_factory=list)

    @property
    def started_at(self) -> datetime | None:
        return self.runs[0].started_at if self.runs else None

    @property
    def status(self) -> str:
        if not self.runs:
            return "pending"
        last = self.runs[-1]
        return "running" if last.finished_at is None else str(last.status)

    @property
    def finished_at(self) -> datetime | None:
        if self.status in (StepOutcome.DONE, StepOutcome.WAIVED):
            return self.runs[-1].finished_at
        return None


@dataclass
class Timeline:
    """An onboarding as the records tell it, up to the report's `as_of`."""

    tenant_id: str
    tenant_name: str
    tier: str
    region: str
    signed_on: date | None
    admins: list[str]
    created_at: datetime
    as_of: datetime
    """When open intervals end: the report's time, never before the newest record."""
    owner: str | None = None
    go_live_at: datetime | None = None
    steps: dict[str, StepLife] = field(default_factory=dict)
    waits: list[Wait] = field(default_factory=list)
    gates: dict[str, GateTime] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)
    deviations: dict[str, DeviationTime] = field(default_factory=dict)
    failed: bool = False
    review_documented: bool = False
    findings: list[dict[str, Any]] | None = None
    """The review's findings when the artifact entry carries them, else `None`."""
    runs: int = 1
    """Workflow runs (1 + each continue-as-new)."""

    @property
    def state(self) -> str:
        """`failed`, `completed`, `live`, `blocked`, `waiting` or `running`."""
        if self.failed:
            return "failed"
        if self.step(StepKey.POST_ONBOARDING_REVIEW).finished_at is not None:
            return "completed"
        if self.step(StepKey.GO_LIVE).finished_at is not None:
            return "live"
        current = self.current_step
        if current is not None and self.steps[current].status == StepOutcome.BLOCKED:
            return "blocked"
        if any(w.finished_at is None for w in self.waits):
            return "waiting"
        return "running"

    @property
    def is_open(self) -> bool:
        """Not yet live (and not failed): it still has steps to go before go-live."""
        return self.state in ("running", "waiting", "blocked")

    @property
    def current_step(self) -> str | None:
        """The newest step started and not finished, if any."""
        for key in reversed(list(self.steps)):
            life = self.steps[key]
            if life.runs and life.finished_at is None:
                return key
        return None

    def step(self, key: str) -> StepLife:
        return self.steps.get(str(key)) or StepLife(str(key))

    def open_gates(self) -> list[GateTime]:
        return [g for g in self.gates.values() if g.closed_at is None]

    def signed_to_live(self) -> timedelta | None:
        """From the contract's signature (00:00 UTC that day) to go-live."""
        if self.go_live_at is None or self.signed_on is None:
            return None
        signed = datetime(self.signed_on.year, self.signed_on.month, self.signed_on.day, tzinfo=UTC)
        return self.go_live_at - signed

    def start_to_live(self) -> timedelta | None:
        """From the onboarding's start to go-live."""
        return None if self.go_live_at is None else self.go_live_at - self.created_at


def build_timeline(
    tenant_id: str,
    contract: Mapping[str, Any],
    created_at: datetime,
    entries: Iterable[EntryLike],
    as_of: datetime,
) -> Timeline:
    """Rebuild one onboarding from its entries, in their recorded order.

    Args:
        tenant_id: The tenant.
        contract: The contract summary of the onboarding row.
        created_at: When the onboarding started (the row's `created_at`).
        entries: Its entries in `seq` order.
        as_of: When open waits and blocks end (moved up to the newest record if earlier).
    """
    rows = list(entries)
    newest = max((e.occurred_at for e in rows if e.kind in _TIMED_KINDS), default=created_at)
    timeline = Timeline(
        tenant_id=tenant_id,
        tenant_name=str(_dig(contract, "tenant", "name") or tenant_id),
        tier=str(_dig(contract, "contract", "sla_tier") or "unknown"),
        region=str(_dig(contract, "data_residency", "region") or "unknown"),
        signed_on=_date(_dig(contract, "contract", "signed_on")),
        admins=[
            str(a.get("email"))
            for a in (_dig(contract, "contacts", "admins") or [])
            if isinstance(a, dict) and a.get("email")
        ],
        created_at=created_at,
        as_of=max(as_of, newest),
    )
    timeline.steps = {key.value: StepLife(key.value) for key in STEP_ORDER}
    notices: Counter[tuple[str, str]] = Counter()
    for entry in rows:
        _apply(timeline, entry, notices)
    for (gate, kind), count in notices.items():
        if gate in timeline.gates:
            if kind == "escalation":
                timeline.gates[gate].escalations += count
            else:
                timeline.gates[gate].reminders += count
    return timeline


def _apply(t: Timeline, e: EntryLike, notices: Counter[tuple[str, str]]) -> None:
    kind, at, payload = e.kind, e.occurred_at, e.payload
    if kind == EntryKind.STEP_STARTED and e.step:
        _started(t, e.step, at)
    elif kind == EntryKind.STEP_FINISHED and e.step:
        _finished(t, e.step, at, payload)
    elif kind == EntryKind.CHECK and e.step and not payload.get("passed"):
        life = _life(t, e.step)
        if life.runs and life.runs[-1].finished_at is None:
            life.runs[-1].failed.append(str(payload.get("name")))
    elif kind == EntryKind.WAIT_STARTED and e.step:
        _wait_started(t, e.step, at, payload)
    elif kind == EntryKind.WAIT_FINISHED and e.step:
        _wait_finished(t, e.step, at)
    elif kind == EntryKind.INPUT_ACCEPTED:
        _input(t, e, at, payload)
    elif kind == EntryKind.DEADLINE_MOVED:
        gate = t.gates.get(str(payload.get("gate")))
        due = _moment(payload.get("due_at"))
        if gate is not None and due is not None:
            gate.due_at = due
            gate.deadline_moves += 1
    elif kind == EntryKind.DEVIATION_REQUESTED:
        dev_id = str(payload.get("deviation_id"))
        t.deviations[dev_id] = DeviationTime(
            id=dev_id,
            step=e.step,
            check=payload.get("check"),
            reason=payload.get("reason"),
            requested_by=e.actor,
            requested_at=at,
        )
    elif kind in (EntryKind.DEVIATION_APPROVED, EntryKind.DEVIATION_REJECTED):
        dev_id = str(payload.get("deviation_id"))
        dev = t.deviations.setdefault(dev_id, DeviationTime(dev_id, e.step, None, None, None, None))
        dev.decided_by, dev.decided_at = e.actor, at
        dev.outcome = "approved" if kind == EntryKind.DEVIATION_APPROVED else "rejected"
    elif kind == EntryKind.NOTIFICATION and payload.get("gate"):
        notices[(str(payload["gate"]), str(payload.get("notification") or "reminder"))] += 1
    elif kind == EntryKind.ARTIFACT and payload.get("name") == REVIEW_REPORT:
        t.review_documented = True
        found = payload.get("findings")
        if isinstance(found, list):
            t.findings = [f for f in found if isinstance(f, dict)]
    elif kind == EntryKind.CONTINUED_AS_NEW:
        t.runs += 1


def _life(t: Timeline, step: str) -> StepLife:
    life = t.steps.get(step)
    if life is None:
        life = t.steps[step] = StepLife(step)
    return life


def _started(t: Timeline, step: str, at: datetime) -> None:
    life = _life(t, step)
    for block in t.blocks:
        if block.step == step and block.ended_at is None:
            block.ended_at = at
            waived = any(
                d.step == step
                and d.outcome == "approved"
                and d.decided_at is not None
                and block.started_at <= d.decided_at <= at
                for d in t.deviations.values()
            )
            block.resolution = "waived" if waived else "retry"
    life.runs.append(Run(started_at=at))


def _finished(t: Timeline, step: str, at: datetime, payload: Mapping[str, Any]) -> None:
    life = _life(t, step)
    if not life.runs or life.runs[-1].finished_at is not None:
        life.runs.append(Run(started_at=None))
    run = life.runs[-1]
    run.finished_at, run.status = at, str(payload.get("status"))
    if run.status == StepOutcome.BLOCKED:
        t.blocks.append(
            Block(
                step=step,
                run=int(payload.get("run") or len(life.runs)),
                started_at=at,
                ended_at=None,
                checks=list(dict.fromkeys(run.failed)) or [UNREACHABLE],
                reason=str(payload.get("reason") or ""),
            )
        )
    elif run.status == StepOutcome.FAILED:
        t.failed = True
    elif step == StepKey.GO_LIVE and run.status in (StepOutcome.DONE, StepOutcome.WAIVED):
        t.go_live_at = _moment(payload.get("go_live_at")) or at


def _wait_started(t: Timeline, step: str, at: datetime, payload: Mapping[str, Any]) -> None:
    listed = payload.get("gates")
    if isinstance(listed, list):
        gates = [str(g) for g in listed]
    else:  # older records name no gates: the step's catalogue gates still open
        gates = [g for g in gates_of_step(step) if g not in t.gates]
        if step == StepKey.POST_ONBOARDING_REVIEW and not payload.get("due_at"):
            gates = []  # the review's first wait is for its date
    due = _moment(payload.get("due_at"))
    for gate in gates:
        t.gates.setdefault(gate, GateTime(gate, step, gate_party(gate), at, due))
    t.waits.append(Wait(step, at, None, gates, str(payload.get("waiting_for") or "")))


def _wait_finished(t: Timeline, step: str, at: datetime) -> None:
    wait = next((w for w in reversed(t.waits) if w.step == step and w.finished_at is None), None)
    if wait is None:
        return
    wait.finished_at = at
    for gate in wait.gates:  # the loop only ends once every gate is closed
        found = t.gates.get(gate)
        if found is not None and found.closed_at is None:
            found.closed_at = at


def _input(t: Timeline, e: EntryLike, at: datetime, payload: Mapping[str, Any]) -> None:
    if payload.get("input") == InputName.ASSIGN_OWNER and not payload.get("already_recorded"):
        t.owner = str(payload.get("owner") or "") or t.owner
    gate_id = gate_closed_by(payload)
    gate = t.gates.get(gate_id) if gate_id else None
    if gate is not None and gate.closed_at is None:
        gate.closed_at, gate.closed_by = at, e.actor


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _dig(document: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(name)
    return document
