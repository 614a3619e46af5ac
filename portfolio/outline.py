"""The report as a document outline: sections of sentences, tables and chart slots.

Markdown and HTML render the same outline, so both say the same thing. Cells are plain
text; each renderer escapes them its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from portfolio.model import Report, TimeToValueGroup
from portfolio.parties import PARTY_ORDER

DUE_ROWS = 30
"""At most this many people in the due-gates table (the busiest first)."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]
    caption: str = ""


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    chart: str | None = None
    """Name of the chart shown in this section (see `portfolio.charts`)."""
    gantt: bool = False
    """Whether the Markdown shows the Mermaid Gantt of open onboardings here."""


def outline(report: Report) -> list[Section]:
    """Return the report's sections in reading order."""
    return [
        _ttv(report),
        _where(report),
        _gates(report),
        _quality(report),
        _load(report),
        _rows(report),
    ]


def summary(report: Report) -> str:
    """One sentence: what the report covers."""
    states = ", ".join(f"{n} {s}" for s, n in report.states.items()) or "none"
    return (
        f"{report.onboardings} onboardings ({states}), as of {when(report.as_of)}; "
        f"filters: {filters_text(report)}."
    )


def filters_text(report: Report) -> str:
    f = report.filters
    parts = []
    if f.period:
        parts.append(f"started in {f.period} ({f.started_from} to before {f.started_before})")
    for label, values in (
        ("tier", f.tiers),
        ("region", f.regions),
        ("owner", f.owners),
        ("state", f.states),
    ):
        if values:
            parts.append(f"{label} {' or '.join(values)}")
    return "; ".join(parts) or "none (every onboarding in the records store)"


def _ttv(report: Report) -> Section:
    ttv = report.time_to_value
    trend = ttv.trend
    if trend.direction == "unknown":
        trend_text = "Trend: fewer than two months of go-lives, no trend yet."
    else:
        trend_text = (
            f"Trend: the monthly median start to go-live went from {trend.first_median_days} "
            f"days ({trend.first_month}) to {trend.last_median_days} days ({trend.last_month}), "
            f"{trend.direction} by {abs(trend.change_days or 0):.2f} days."
        )
    headers = ["group", "live", "signed→live median", "p90", "start→live median", "p90"]
    overall = TimeToValueGroup(
        group="all", signed_to_live=ttv.signed_to_live, start_to_live=ttv.start_to_live
    )
    return Section(
        "Time to value",
        [
            f"{ttv.live} of {report.onboardings} onboardings are live. Signed→live counts from "
            "the contract's signature date, start→live from the onboarding's start; both end "
            "at the recorded go-live (days).",
            trend_text,
        ],
        [
            Table(headers, [_ttv_row(overall)], "All"),
            Table(headers, [_ttv_row(g) for g in ttv.by_tier], "By SLA tier"),
            Table(headers, [_ttv_row(g) for g in ttv.by_month], "By month of go-live"),
        ],
        chart="time-to-value",
    )


def _ttv_row(group: TimeToValueGroup) -> list[str]:
    s, t = group.signed_to_live, group.start_to_live
    medians = [s.median_days, s.p90_days, t.median_days, t.p90_days]
    return [group.group, str(t.count), *(_d(m) for m in medians)]


def _where(report: Report) -> Section:
    parties = [p.value for p in PARTY_ORDER]
    rows = [
        [
            s.step,
            str(s.onboardings),
            _d(s.median_duration_days),
            f"{s.mean_machine_days * 1440:.1f}",
            *(_d(s.mean_wait_days[p]) for p in parties),
        ]
        for s in report.where_time_goes
    ]
    totals = report.wait_days_by_party
    scheduled = totals.get("schedule", 0.0)
    total = sum(v for p, v in totals.items() if p != "schedule")
    shares = ", ".join(
        f"{p} {totals[p]:.1f} d ({totals[p] / total:.0%})"
        for p in parties
        if p != "schedule" and total and totals[p]
    )
    return Section(
        "Where the time goes",
        [
            "Per step, over the onboardings that started it: the median duration (days), the "
            "mean machine work per onboarding (minutes: the workflow's checks and "
            "activities) and the mean waiting per onboarding (days), attributed to whoever "
            "it waited on (rules in docs/report.md).",
            f"Waiting on people, the platform and approvals: {total:.1f} days in all; "
            f"{shares or 'none'}. Waiting for the review's date, by design: "
            f"{scheduled:.1f} days.",
        ],
        [Table(["step", "started", "median days", "machine (min)", *parties], rows)],
        chart="waits-by-party",
    )


def _gates(report: Report) -> Section:
    rows = [
        [
            g.gate,
            g.party,
            str(g.opened),
            str(g.closed),
            "-" if g.on_time_share is None else f"{g.on_time_share:.0%}",
            _d(g.median_open_days),
            _d(g.p90_open_days),
            str(g.reminders),
            str(g.needed_reminder),
            str(g.escalations),
            str(g.needed_escalation),
            str(g.deadline_moves),
            f"{g.open_now} ({g.overdue_now} overdue)",
        ]
        for g in report.gates
    ]
    slow = [
        [
            s.tenant_id,
            s.gate,
            s.party,
            when(s.opened_at),
            when(s.closed_at) if s.closed_at else "open",
            _d(s.open_days),
            "on time" if s.late_days is None else f"{s.late_days:.2f} d late",
            f"{s.reminders} / {s.escalations}",
        ]
        for s in report.slowest_gates
    ]
    return Section(
        "SLA and gates",
        [
            "Per gate: how many opened and closed, the share closed by the deadline in force "
            "when they closed, how long they stayed open (days), and the reminders and "
            "escalations it took (total, and how many gates needed any)."
        ],
        [
            Table(
                [
                    "gate",
                    "party",
                    "opened",
                    "closed",
                    "on time",
                    "median open",
                    "p90 open",
                    "reminders",
                    "gates reminded",
                    "escalations",
                    "gates escalated",
                    "deadline moves",
                    "open now",
                ],
                rows,
            ),
            Table(
                ["tenant", "gate", "party", "opened", "closed", "days open", "deadline", "rem/esc"],
                slow,
                "The slowest gates",
            ),
        ],
    )


def _quality(report: Report) -> Section:
    q = report.quality
    checks = [
        [
            c.check,
            c.step,
            str(c.blocks),
            str(c.onboardings),
            _d(c.median_blocked_days),
            str(c.waived),
        ]
        for c in q.blocking_checks
    ]
    granted = [
        [
            d.tenant_id,
            d.id,
            f"{d.step} / {d.check}",
            d.requested_by or "-",
            d.decided_by or "-",
            "-" if d.decision_hours is None else f"{d.decision_hours:.1f}",
            d.reason or "",
        ]
        for d in q.deviations_granted
    ]
    findings = [[f.code, f.severity, str(f.count)] for f in q.findings]
    review = (
        f"Reviews documented: {q.reviews_documented}; with findings on record: "
        f"{q.reviews_with_findings}."
    )
    return Section(
        "Quality",
        [
            f"Deviations granted: {len(q.deviations_granted)}, rejected: "
            f"{q.deviations_rejected}, pending: {q.deviations_pending}.",
            review,
        ],
        [
            Table(
                ["check", "step", "blocks", "onboardings", "median blocked (d)", "waived"],
                checks,
                "Checks that blocked",
            ),
            Table(
                [
                    "tenant",
                    "deviation",
                    "step / check",
                    "requested by",
                    "approved by",
                    "hours",
                    "reason",
                ],
                granted,
                "Deviations granted",
            ),
            Table(["finding", "severity", "reviews"], findings, "Review findings"),
        ],
    )


def _load(report: Report) -> Section:
    load = report.load
    owners = [
        [
            o.owner,
            str(o.open),
            str(o.running),
            str(o.waiting),
            str(o.blocked),
            str(o.live),
            str(o.overdue_gates),
        ]
        for o in load.by_owner
    ]
    due = [
        [
            p.person,
            str(p.due),
            str(p.overdue),
            ", ".join(f"{g.tenant_id} {g.gate}" for g in p.gates[:6])
            + (f" (+{len(p.gates) - 6})" if len(p.gates) > 6 else ""),
        ]
        for p in load.due_by_person[:DUE_ROWS]
    ]
    blocked = [
        [
            b.tenant_id,
            b.owner or "-",
            b.step,
            ", ".join(b.checks),
            when(b.since),
            _d(b.blocked_days),
            "yes" if b.deviation_pending else "no",
        ]
        for b in load.blocked
    ]
    forecasts = [
        [
            f.tenant_id,
            f.owner or "-",
            f.state,
            f.current_step or "-",
            when(f.started_at),
            _d(f.remaining_days),
            when(f.forecast_go_live) if f.forecast_go_live else "unknown",
        ]
        for f in load.forecasts
    ]
    return Section(
        "Operational load",
        [
            f"{load.open} onboardings are open (not yet live). Gates due within "
            f"{load.window_days} days, per person who may close them (overdue ones included); "
            "forecast go-live = now plus the median duration of each step left (the current "
            "step less its time so far)."
        ],
        [
            Table(
                [
                    "owner",
                    "open",
                    "running",
                    "waiting",
                    "blocked",
                    "live (review due)",
                    "overdue gates",
                ],
                owners,
                "Open onboardings per owner",
            ),
            Table(
                ["person", "due", "overdue", "gates"], due, f"Gates due in {load.window_days} days"
            ),
            Table(
                ["tenant", "owner", "step", "checks", "blocked since", "days", "deviation pending"],
                blocked,
                "Blocked",
            ),
            Table(
                ["tenant", "owner", "state", "step", "started", "days left", "forecast go-live"],
                forecasts,
                "Forecast go-live",
            ),
        ],
        chart="open-onboardings",
        gantt=True,
    )


def _rows(report: Report) -> Section:
    parties = [p.value for p in PARTY_ORDER]
    rows = [
        [
            r.tenant_id,
            r.tenant_name,
            r.tier,
            r.region,
            r.owner or "-",
            r.state,
            r.current_step or "-",
            _d(r.start_to_live_days),
            _d(r.machine_days),
            _d(r.total_wait_days),
            *(_d(r.wait_days[p]) for p in parties),
        ]
        for r in report.rows
    ]
    return Section(
        "Onboardings",
        ["Each onboarding's waits, attributed per party: they add up to its total wait (days)."],
        [
            Table(
                [
                    "tenant",
                    "name",
                    "tier",
                    "region",
                    "owner",
                    "state",
                    "step",
                    "start→live",
                    "machine",
                    "wait",
                    *parties,
                ],
                rows,
            )
        ],
    )


def when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _d(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
