"""A quarter of onboardings on the real workflow, then `onboard report` over its records.

The suite runs a quarter of REPORT_QUARTER_SIZE onboardings (default 30: about a minute);
`make report-quarter` runs the full 100. The figures the test knows come from what it did
(the receipts' times, the gates it saw open, the faults it injected), not from the report.
"""

from __future__ import annotations

import os
import re
import statistics
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from notify.outbox import OutboxStore
from onboarding.status import OnboardingStatus
from onboarding.steps import OnboardingState, StepKey
from records.db import default_url, make_engine, migrate
from records.kinds import EntryKind
from records.store import RecordsStore
from tests.portfolio.cli import onboard_report, report_json
from tests.portfolio.quarter import Observed, Quarter, plan_quarter, start_of_quarter
from tests.records.conftest import RECORDS_KEY

pytestmark = pytest.mark.e2e

SIZE = int(os.environ.get("REPORT_QUARTER_SIZE", "30"))
KEEP = os.environ.get("REPORT_QUARTER_KEEP")
"""A folder to keep the quarter's records store and reports in (for docs/report.md)."""
TOLERANCE = 600.0
"""Seconds: inputs of one slot go out one after another, while the clock runs on a bit."""


def recorded_wait(store: RecordsStore, tenant: str, as_of: datetime) -> float:
    """Every wait and block of an onboarding in seconds, summed straight from its entries."""
    total = timedelta(0)
    waiting: dict[str | None, datetime] = {}
    blocked: dict[str | None, datetime] = {}
    for e in store.entries(tenant):
        if e.kind == EntryKind.WAIT_STARTED:
            waiting[e.step] = e.occurred_at
        elif e.kind == EntryKind.WAIT_FINISHED:
            total += e.occurred_at - waiting.pop(e.step)
        elif e.kind == EntryKind.STEP_FINISHED and e.payload["status"] == "blocked":
            blocked[e.step] = e.occurred_at
        elif e.kind == EntryKind.STEP_STARTED and e.step in blocked:
            total += e.occurred_at - blocked.pop(e.step)
    for start in [*waiting.values(), *blocked.values()]:
        total += as_of - start
    return total.total_seconds()


def expected_customer(seen: Observed, end: datetime) -> float:
    """The customer's share, from the times the test gave each sign-off and the feedback.

    At go-live the customer shares the wait with staff while a staff sign-off is open,
    and has it alone after; the review feedback is the customer's alone.
    """
    total = timedelta(0)
    opened = seen.opened.get("sign-off:customer")
    if opened is not None:
        customer = seen.given.get("sign-off:customer", end) - opened
        staff = max(seen.given.get(f"sign-off:{g}", end) for g in ("platform", "support")) - opened
        total += max(customer - staff, timedelta(0)) + min(customer, staff) / 2
    opened = seen.opened.get("review-feedback")
    if opened is not None:
        total += seen.given.get("review-feedback", end) - opened
    return total.total_seconds()


def report_state(status: OnboardingStatus) -> str:
    if status.state is OnboardingState.COMPLETED:
        return "completed"
    if status.go_live_at is not None:
        return "live"  # in its review: the report counts it live
    return status.state.value


async def test_a_quarter_reports_what_happened(
    own_time_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    data = Path(KEEP) if KEEP else tmp_path / "data"
    url = default_url(data)
    migrate(url)
    engine = make_engine(url)
    store = RecordsStore(engine, RECORDS_KEY)
    first = start_of_quarter(await own_time_env.get_current_time())
    plans = plan_quarter(SIZE, first)
    quarter = Quarter(own_time_env, store, OutboxStore(engine), plans)
    quarter.progress = bool(KEEP)
    end = first + timedelta(days=98)  # the Monday after the quarter
    await quarter.run(end)
    as_of = await own_time_env.get_current_time()
    statuses = quarter.final

    report = report_json(url, "--as-of", as_of.isoformat())
    rows = {r["tenant_id"]: r for r in report["rows"]}
    assert set(rows) == {p.tenant for p in plans}
    by_state = {s: sum(report_state(x) == s for x in statuses.values()) for s in report["states"]}
    assert report["states"] == by_state
    assert {"completed", "live", "blocked"} <= set(report["states"])

    for plan in plans:
        row, status, seen = rows[plan.tenant], statuses[plan.tenant], quarter.seen[plan.tenant]
        assert row["state"] == report_state(status), plan.tenant
        assert (row["tier"], row["region"]) == (plan.tier, plan.region)
        # Attributed waits add up to the total wait, which is every wait and block on record.
        assert abs(sum(row["wait_seconds"].values()) - row["total_wait_seconds"]) < 0.01
        assert abs(row["total_wait_seconds"] - recorded_wait(store, plan.tenant, as_of)) < 0.01
        if status.go_live_at is not None:
            assert datetime.fromisoformat(row["go_live_at"]) == status.go_live_at
            assert abs(row["wait_seconds"]["customer"] - expected_customer(seen, as_of)) < TOLERANCE
        if plan.slow_customer and "sign-off:customer" in seen.given:
            # The slow customer's days past the deadline are the customer's, not staff's.
            assert (
                row["wait_seconds"]["customer"]
                > (plan.deadline + timedelta(days=3)).total_seconds()
            )
        fault = plan.fault
        if fault is not None and seen.blocked_at is not None:
            blocked = row["wait_seconds"]["platform"] + row["wait_seconds"]["approvals"]
            resumed = seen.given.get("retry") or (
                seen.given.get("decision") if fault.resolution == "deviation" else None
            )
            assert abs(blocked - ((resumed or as_of) - seen.blocked_at).total_seconds()) < TOLERANCE
            if fault.resolution == "deviation" and "decision" in seen.given:
                pending = seen.given["decision"] - seen.given["deviation"]
                assert abs(row["wait_seconds"]["approvals"] - pending.total_seconds()) < 1
        else:
            assert row["wait_seconds"]["platform"] == row["wait_seconds"]["approvals"] == 0

    _time_to_value(report, plans, statuses)
    _quality(report, plans, quarter)
    _gates(report, plans, quarter)
    _load(report, statuses)
    _renders(url, as_of, data)


def _time_to_value(report: dict[str, Any], plans: list[Any], statuses: dict[str, Any]) -> None:
    started = {t: s.step(StepKey.PRE_ONBOARDING).started_at for t, s in statuses.items()}
    days = [
        (s.go_live_at - started[t]).total_seconds() / 86_400
        for t, s in statuses.items()
        if s.go_live_at is not None
    ]
    ttv = report["time_to_value"]
    assert ttv["live"] == len(days)
    assert abs(ttv["start_to_live"]["median_days"] - statistics.median(days)) < 0.02
    assert sum(m["start_to_live"]["count"] for m in ttv["by_month"]) == len(days)


def _quality(report: dict[str, Any], plans: list[Any], quarter: Quarter) -> None:
    blocked = [p for p in plans if p.fault and quarter.seen[p.tenant].blocked_at is not None]
    expected: dict[str, int] = {}
    for plan in blocked:
        expected[plan.fault.check] = expected.get(plan.fault.check, 0) + 1
    checks = {c["check"]: c for c in report["quality"]["blocking_checks"]}
    assert {name: c["blocks"] for name, c in checks.items()} == expected
    granted = [
        p
        for p in blocked
        if p.fault.resolution == "deviation" and "decision" in quarter.seen[p.tenant].given
    ]
    assert sum(c["waived"] for c in checks.values()) == len(granted)
    rows = report["quality"]["deviations_granted"]
    assert sorted(d["tenant_id"] for d in rows) == sorted(p.tenant for p in granted)
    owners = {p.tenant: p.owner for p in plans}
    assert all(d["decided_by"] == "priya@localizevideos.example" for d in rows)
    assert all(d["requested_by"] == owners[d["tenant_id"]] for d in rows)
    rejected = [
        p
        for p in blocked
        if p.fault.resolution == "rejected" and "decision" in quarter.seen[p.tenant].given
    ]
    assert report["quality"]["deviations_rejected"] == len(rejected)


def _gates(report: dict[str, Any], plans: list[Any], quarter: Quarter) -> None:
    gates = {g["gate"]: g for g in report["gates"]}
    customer = gates["sign-off:customer"]
    closed = [p for p in plans if "sign-off:customer" in quarter.seen[p.tenant].given]
    late = [p for p in closed if p.slow_customer and not p.move_customer_deadline]
    assert customer["closed"] == len(closed)
    assert customer["closed_on_time"] == len(closed) - len(late)
    # Four or more days past the deadline: both rungs of the ladder were told.
    assert customer["needed_escalation"] == len(late)
    assert customer["escalations"] == 2 * len(late)
    moved = [p for p in plans if "move" in quarter.seen[p.tenant].given]
    assert customer["deadline_moves"] == len(moved) > 0
    slowest = report["slowest_gates"][0]
    assert (
        slowest["open_days"]
        >= max(
            (
                quarter.seen[p.tenant].given["sign-off:customer"]
                - quarter.seen[p.tenant].opened["sign-off:customer"]
            ).total_seconds()
            / 86_400
            for p in closed
        )
        - 0.01
    )


def _load(report: dict[str, Any], statuses: dict[str, OnboardingStatus]) -> None:
    open_ones = {t: s for t, s in statuses.items() if s.go_live_at is None}
    load = report["load"]
    assert load["open"] == len(open_ones)
    per_owner: dict[str, int] = {}
    for status in open_ones.values():
        owner = status.owner or "(unassigned)"
        per_owner[owner] = per_owner.get(owner, 0) + 1
    assert {o["owner"]: o["open"] for o in load["by_owner"] if o["open"]} == per_owner
    blocked = {t for t, s in open_ones.items() if s.state is OnboardingState.BLOCKED}
    assert {b["tenant_id"] for b in load["blocked"]} == blocked
    forecasts = {f["tenant_id"]: f for f in load["forecasts"]}
    assert set(forecasts) == set(open_ones)
    as_of = datetime.fromisoformat(report["as_of"])
    assert all(datetime.fromisoformat(f["forecast_go_live"]) >= as_of for f in forecasts.values())


def _renders(url: str, as_of: datetime, data: Path) -> None:
    markdown = onboard_report(
        url,
        "--as-of",
        as_of.isoformat(),
        "-o",
        str(data / "report.md"),
        "--charts",
        str(data / "images"),
    )
    assert markdown.returncode == 0, markdown.stderr
    text = (data / "report.md").read_text()
    assert "```mermaid\ngantt" in text and "](images/time-to-value.png)" in text
    assert (data / "images" / "waits-by-party.png").read_bytes().startswith(b"\x89PNG")
    html = onboard_report(url, "--as-of", as_of.isoformat(), "--format", "html")
    assert html.returncode == 0, html.stderr
    assert html.stdout.count("<svg") == 3
    assert "<script" not in html.stdout and not re.search(r"(src|href)=\"https?:", html.stdout)
