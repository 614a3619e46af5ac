"""Compute the portfolio report from the onboardings' timelines (pure)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from onboarding.roster import Roster
from onboarding.steps import STEP_ORDER, STEP_TITLES, StepKey
from portfolio.attribution import Piece, attribute, by_party, by_step_and_party, micros
from portfolio.model import (
    BlockedRow,
    CheckStat,
    DeviationRow,
    DueGate,
    Filters,
    FindingStat,
    ForecastRow,
    GateStat,
    Load,
    OnboardingRow,
    OwnerLoad,
    PersonDue,
    Quality,
    Report,
    SlowGate,
    StepTime,
    TimeToValue,
    TimeToValueGroup,
    Trend,
)
from portfolio.parties import PARTY_ORDER, Party
from portfolio.people import responsible
from portfolio.stats import days, delta_days, distribution, quantile
from portfolio.timeline import DeviationTime, GateTime, Timeline

DUE_WINDOW = timedelta(days=7)
SLOWEST = 10
UNASSIGNED = "(unassigned)"
_BEFORE_LIVE: tuple[str, ...] = tuple(
    k.value for k in STEP_ORDER[: STEP_ORDER.index(StepKey.GO_LIVE) + 1]
)


@dataclass(frozen=True)
class Attributed:
    """A timeline with its attributed waits."""

    timeline: Timeline
    pieces: list[Piece]


def build_report(
    timelines: Sequence[Timeline],
    *,
    as_of: datetime,
    filters: Filters,
    reference: Sequence[Timeline] | None = None,
    roster: Roster | None = None,
) -> Report:
    """Return the report over `timelines` (already filtered).

    Args:
        timelines: The onboardings the report covers.
        as_of: The report's time (open intervals end there).
        filters: The filters that selected them, for the record.
        reference: Onboardings whose finished steps give the forecast's medians (default:
            `timelines`); pass every onboarding so a narrow filter still forecasts.
        roster: Resolves staff gates to people; without it they are listed by role.
    """
    items = [Attributed(t, attribute(t)) for t in timelines]
    states = Counter(t.state for t in timelines)
    medians = step_medians(reference if reference is not None else timelines)
    rows = [_row(item) for item in items]
    return Report(
        as_of=as_of,
        filters=filters,
        onboardings=len(timelines),
        states=dict(sorted(states.items())),
        time_to_value=_time_to_value(timelines),
        where_time_goes=_where_time_goes(items),
        wait_days_by_party={
            p.value: days(sum(r.wait_seconds[p.value] for r in rows) * 1_000_000)
            for p in PARTY_ORDER
        },
        gates=_gate_stats(timelines),
        slowest_gates=_slowest(timelines),
        quality=_quality(timelines),
        load=_load(timelines, as_of, medians, roster),
        rows=rows,
    )


# ------------------------------------------------------------------ per onboarding


def _row(item: Attributed) -> OnboardingRow:
    t = item.timeline
    parties = by_party(item.pieces)
    total = sum(parties.values())
    signed, start = t.signed_to_live(), t.start_to_live()
    return OnboardingRow(
        tenant_id=t.tenant_id,
        tenant_name=t.tenant_name,
        tier=t.tier,
        region=t.region,
        owner=t.owner,
        state=t.state,
        current_step=t.current_step,
        started_at=t.created_at,
        go_live_at=t.go_live_at,
        signed_to_live_days=None if signed is None else delta_days(signed),
        start_to_live_days=None if start is None else delta_days(start),
        machine_days=days(sum(machine_micros(t).values())),
        total_wait_days=days(total),
        wait_days={p.value: days(v) for p, v in parties.items()},
        total_wait_seconds=total / 1_000_000,
        wait_seconds={p.value: v / 1_000_000 for p, v in parties.items()},
        blocks=len(t.blocks),
        deviations=len(t.deviations),
        runs=t.runs,
    )


def machine_micros(t: Timeline) -> dict[str, int]:
    """Return per step the time its runs took, less the waits inside them."""
    found: dict[str, int] = {}
    for key, life in t.steps.items():
        ran = sum(
            micros((run.finished_at or t.as_of) - run.started_at)
            for run in life.runs
            if run.started_at is not None
        )
        waited = sum(
            micros((w.finished_at or t.as_of) - w.started_at) for w in t.waits if w.step == key
        )
        if life.runs:
            found[key] = max(ran - waited, 0)
    return found


# ------------------------------------------------------------------ time to value


def _time_to_value(timelines: Sequence[Timeline]) -> TimeToValue:
    live = [t for t in timelines if t.go_live_at is not None]
    by_tier: dict[str, list[Timeline]] = defaultdict(list)
    by_month: dict[str, list[Timeline]] = defaultdict(list)
    for t in live:
        by_tier[t.tier].append(t)
        assert t.go_live_at is not None
        by_month[t.go_live_at.strftime("%Y-%m")].append(t)
    months = [_group(month, by_month[month]) for month in sorted(by_month)]
    return TimeToValue(
        live=len(live),
        signed_to_live=_group("all", live).signed_to_live,
        start_to_live=_group("all", live).start_to_live,
        by_tier=[_group(tier, by_tier[tier]) for tier in sorted(by_tier)],
        by_month=months,
        trend=_trend(months),
    )


def _group(name: str, timelines: Sequence[Timeline]) -> TimeToValueGroup:
    signed = [delta_days(d) for t in timelines if (d := t.signed_to_live()) is not None]
    start = [delta_days(d) for t in timelines if (d := t.start_to_live()) is not None]
    return TimeToValueGroup(
        group=name, signed_to_live=distribution(signed), start_to_live=distribution(start)
    )


def _trend(months: list[TimeToValueGroup]) -> Trend:
    known = [m for m in months if m.start_to_live.median_days is not None]
    if len(known) < 2:
        return Trend(direction="unknown")
    first, last = known[0], known[-1]
    assert first.start_to_live.median_days is not None
    assert last.start_to_live.median_days is not None
    change = round(last.start_to_live.median_days - first.start_to_live.median_days, 2)
    direction = "flat" if abs(change) < 0.5 else ("faster" if change < 0 else "slower")
    return Trend(
        first_month=first.group,
        last_month=last.group,
        first_median_days=first.start_to_live.median_days,
        last_median_days=last.start_to_live.median_days,
        change_days=change,
        direction=direction,
    )


# ------------------------------------------------------------------ where the time goes


def _where_time_goes(items: Sequence[Attributed]) -> list[StepTime]:
    started: Counter[str] = Counter()
    finished: dict[str, list[float]] = defaultdict(list)
    machine: Counter[str] = Counter()
    waits: dict[str, Counter[Party]] = defaultdict(Counter)
    keys: list[str] = [k.value for k in STEP_ORDER]
    for item in items:
        t = item.timeline
        for key, life in t.steps.items():
            if key not in keys:
                keys.append(key)
            if life.runs:
                started[key] += 1
            if life.started_at is not None and life.finished_at is not None:
                finished[key].append(delta_days(life.finished_at - life.started_at))
        for key, value in machine_micros(t).items():
            machine[key] += value
        for key, parties in by_step_and_party(item.pieces).items():
            waits[key].update(parties)
    steps: list[StepTime] = []
    for key in keys:
        count = started[key]
        if not count:
            continue
        median = quantile(finished[key], 0.5)
        steps.append(
            StepTime(
                step=key,
                title=_title(key),
                onboardings=count,
                finished=len(finished[key]),
                median_duration_days=None if median is None else round(median, 3),
                machine_days=days(machine[key]),
                wait_days={p.value: days(waits[key][p]) for p in PARTY_ORDER},
                mean_machine_days=days(machine[key] / count),
                mean_wait_days={p.value: days(waits[key][p] / count) for p in PARTY_ORDER},
            )
        )
    return steps


def step_medians(timelines: Sequence[Timeline]) -> dict[str, float]:
    """Return each step's median duration in days, over the onboardings that finished it."""
    durations: dict[str, list[float]] = defaultdict(list)
    for t in timelines:
        for key, life in t.steps.items():
            if life.started_at is not None and life.finished_at is not None:
                durations[key].append((life.finished_at - life.started_at) / timedelta(days=1))
    return {key: q for key, values in durations.items() if (q := quantile(values, 0.5)) is not None}


# ------------------------------------------------------------------ SLA and gates


def _gate_stats(timelines: Sequence[Timeline]) -> list[GateStat]:
    by_gate: dict[str, list[tuple[Timeline, GateTime]]] = defaultdict(list)
    for t in timelines:
        for gate in t.gates.values():
            by_gate[gate.gate].append((t, gate))
    return [_gate_stat(gate_id, by_gate[gate_id]) for gate_id in sorted(by_gate, key=_gate_order)]


def _gate_stat(gate_id: str, instances: list[tuple[Timeline, GateTime]]) -> GateStat:
    closed = [g for _, g in instances if g.closed_at is not None]
    on_time = [g for g in closed if g.closed_on_time()]
    open_days = [delta_days((g.closed_at or t.as_of) - g.opened_at) for t, g in instances]
    open_now = [(t, g) for t, g in instances if g.closed_at is None]
    return GateStat(
        gate=gate_id,
        party=instances[0][1].party.value,
        opened=len(instances),
        closed=len(closed),
        closed_on_time=len(on_time),
        on_time_share=round(len(on_time) / len(closed), 3) if closed else None,
        median_open_days=_round(quantile(open_days, 0.5)),
        p90_open_days=_round(quantile(open_days, 0.9)),
        reminders=sum(g.reminders for _, g in instances),
        escalations=sum(g.escalations for _, g in instances),
        needed_reminder=sum(1 for _, g in instances if g.reminders),
        needed_escalation=sum(1 for _, g in instances if g.escalations),
        deadline_moves=sum(g.deadline_moves for _, g in instances),
        open_now=len(open_now),
        overdue_now=sum(1 for t, g in open_now if g.due_at and g.due_at < t.as_of),
    )


def _gate_order(gate: str) -> tuple[int, str]:
    order = ["owner-assignment", "enablement:", "sign-off:", "review-feedback"]
    rank = next((i for i, prefix in enumerate(order) if gate.startswith(prefix)), len(order))
    return rank, gate


def _slowest(timelines: Sequence[Timeline]) -> list[SlowGate]:
    found: list[SlowGate] = []
    for t in timelines:
        for g in t.gates.values():
            end = g.closed_at or t.as_of
            late = end - g.due_at if g.due_at and end > g.due_at else None
            found.append(
                SlowGate(
                    tenant_id=t.tenant_id,
                    gate=g.gate,
                    party=g.party.value,
                    opened_at=g.opened_at,
                    closed_at=g.closed_at,
                    open_days=delta_days(end - g.opened_at),
                    due_at=g.due_at,
                    late_days=None if late is None else delta_days(late),
                    reminders=g.reminders,
                    escalations=g.escalations,
                )
            )
    found.sort(key=lambda s: (-s.open_days, s.tenant_id, s.gate))
    return found[:SLOWEST]


# ------------------------------------------------------------------ quality


def _quality(timelines: Sequence[Timeline]) -> Quality:
    blocks: dict[tuple[str, str], list[tuple[Timeline, float, bool]]] = defaultdict(list)
    granted: list[DeviationRow] = []
    outcomes: Counter[str] = Counter()
    findings: Counter[tuple[str, str]] = Counter()
    documented = with_findings = 0
    for t in timelines:
        for b in t.blocks:
            length = delta_days((b.ended_at or t.as_of) - b.started_at)
            for check in b.checks:
                blocks[(check, b.step)].append((t, length, b.resolution == "waived"))
        for d in t.deviations.values():
            outcomes[d.outcome] += 1
            if d.outcome == "approved":
                granted.append(_deviation(t, d))
        documented += t.review_documented
        if t.findings is not None:
            with_findings += 1
            for f in t.findings:
                findings[(str(f.get("code")), str(f.get("severity")))] += 1
    checks = [
        CheckStat(
            check=check,
            step=step,
            blocks=len(found),
            onboardings=len({t.tenant_id for t, _, _ in found}),
            median_blocked_days=_round(quantile([d for _, d, _ in found], 0.5)),
            waived=sum(1 for _, _, waived in found if waived),
        )
        for (check, step), found in blocks.items()
    ]
    checks.sort(key=lambda c: (-c.blocks, c.step, c.check))
    granted.sort(key=lambda d: (d.tenant_id, d.id))
    return Quality(
        blocking_checks=checks,
        deviations_granted=granted,
        deviations_rejected=outcomes["rejected"],
        deviations_pending=outcomes["pending"],
        reviews_documented=documented,
        reviews_with_findings=with_findings,
        findings=[
            FindingStat(code=code, severity=severity, count=count)
            for (code, severity), count in sorted(findings.items(), key=lambda i: (-i[1], i[0]))
        ],
    )


def _deviation(t: Timeline, d: DeviationTime) -> DeviationRow:
    hours = None
    if d.requested_at and d.decided_at:
        hours = round((d.decided_at - d.requested_at) / timedelta(hours=1), 2)
    return DeviationRow(
        tenant_id=t.tenant_id,
        id=d.id,
        step=d.step,
        check=d.check,
        reason=d.reason,
        requested_by=d.requested_by,
        requested_at=d.requested_at,
        decided_by=d.decided_by,
        decided_at=d.decided_at,
        outcome=d.outcome,
        decision_hours=hours,
    )


# ------------------------------------------------------------------ operational load


def _load(
    timelines: Sequence[Timeline],
    as_of: datetime,
    medians: dict[str, float],
    roster: Roster | None,
) -> Load:
    owners: dict[str, Counter[str]] = defaultdict(Counter)
    due: dict[str, list[DueGate]] = defaultdict(list)
    blocked: list[BlockedRow] = []
    forecasts: list[ForecastRow] = []
    for t in timelines:
        state = t.state
        if state in ("failed", "completed"):
            continue
        counts = owners[t.owner or UNASSIGNED]
        counts[state] += 1
        for g in t.open_gates():
            overdue = g.due_at is not None and g.due_at < t.as_of
            counts["overdue_gates"] += overdue
            if g.due_at is not None and g.due_at <= t.as_of + DUE_WINDOW:
                entry = DueGate(
                    tenant_id=t.tenant_id, gate=g.gate, due_at=g.due_at, overdue=overdue
                )
                for person in responsible(g.gate, t, roster):
                    due[person].append(entry)
        if state == "blocked":
            blocked.append(_blocked(t))
        if t.is_open:
            forecasts.append(forecast(t, medians))
    by_owner = [
        OwnerLoad(
            owner=owner,
            open=c["running"] + c["waiting"] + c["blocked"],
            waiting=c["waiting"],
            blocked=c["blocked"],
            running=c["running"],
            live=c["live"],
            overdue_gates=c["overdue_gates"],
        )
        for owner, c in sorted(owners.items(), key=lambda i: (i[0] == UNASSIGNED, i[0]))
    ]
    people = [
        PersonDue(
            person=person,
            due=len(gates),
            overdue=sum(g.overdue for g in gates),
            gates=sorted(gates, key=lambda g: (g.due_at or as_of, g.tenant_id, g.gate)),
        )
        for person, gates in due.items()
    ]
    people.sort(key=lambda p: (-p.due, p.person))
    blocked.sort(key=lambda b: b.since)
    forecasts.sort(key=lambda f: (f.forecast_go_live is None, f.forecast_go_live, f.tenant_id))
    return Load(
        window_days=DUE_WINDOW.days,
        open=sum(1 for t in timelines if t.is_open),
        by_owner=by_owner,
        due_by_person=people,
        blocked=blocked,
        forecasts=forecasts,
    )


def _blocked(t: Timeline) -> BlockedRow:
    block = next(b for b in reversed(t.blocks) if b.ended_at is None)
    pending = any(d.step == block.step and d.outcome == "pending" for d in t.deviations.values())
    return BlockedRow(
        tenant_id=t.tenant_id,
        owner=t.owner,
        step=block.step,
        checks=block.checks,
        since=block.started_at,
        blocked_days=delta_days(t.as_of - block.started_at),
        deviation_pending=pending,
    )


def forecast(t: Timeline, medians: dict[str, float]) -> ForecastRow:
    """Forecast an open onboarding's go-live from the medians of the steps it has left.

    Each step left to go-live adds its median; the current step adds what its median
    has left beyond the time it has taken so far (never less than nothing).
    """
    left = [k for k in _BEFORE_LIVE if t.step(k).finished_at is None]
    remaining = 0.0
    known = True
    current = t.current_step
    for key in left:
        median = medians.get(key)
        if median is None:
            known = False
            break
        started = t.step(key).started_at
        if key == current and started is not None:
            median = max(median - (t.as_of - started) / timedelta(days=1), 0.0)
        remaining += median
    return ForecastRow(
        tenant_id=t.tenant_id,
        owner=t.owner,
        state=t.state,
        current_step=current,
        started_at=t.created_at,
        steps_left=left,
        remaining_days=round(remaining, 2) if known else None,
        forecast_go_live=t.as_of + timedelta(days=remaining) if known else None,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _title(key: str) -> str:
    try:
        return STEP_TITLES[StepKey(key)]
    except ValueError:
        return key
