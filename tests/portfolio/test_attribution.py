"""The attribution rules on hand-made records: who each wait is charged to, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portfolio.attribution import attribute, by_party, by_step_and_party, total_wait
from portfolio.build import forecast, step_medians
from portfolio.parties import Party
from portfolio.timeline import Row, build_timeline

T0 = datetime(2026, 10, 1, 9, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
CONTRACT = {
    "tenant": {"id": "acme", "name": "Acme"},
    "contract": {"sla_tier": "premium", "signed_on": "2026-09-24"},
    "data_residency": {"region": "eu-central"},
    "contacts": {"admins": [{"name": "A", "email": "a@acme.example"}]},
}


def row(
    at: datetime, kind: str, step: str | None = None, actor: str = "system", /, **p: Any
) -> Row:
    return Row(kind, step, actor, at, p)


def sign(at: datetime, gate: str, by: str = "x@localizevideos.example", **extra: Any) -> Row:
    return row(at, "input_accepted", "go_live", by, input="sign_off", gate=gate, **extra)


def go_live(opened: datetime, closes: dict[str, datetime], finish: datetime | None) -> list[Row]:
    gates = [f"sign-off:{g}" for g in ("customer", "platform", "support")]
    rows = [
        row(opened, "step_started", "go_live", run=1),
        row(
            opened,
            "wait_started",
            "go_live",
            waiting_for="sign-offs",
            gates=gates,
            due_at=(opened + 7 * D).isoformat(),
        ),
    ]
    rows += [sign(at, gate) for gate, at in sorted(closes.items(), key=lambda i: i[1])]
    if finish is not None:
        rows += [
            row(finish, "wait_finished", "go_live", waiting_for="sign-offs"),
            row(
                finish,
                "step_finished",
                "go_live",
                status="done",
                run=1,
                go_live_at=finish.isoformat(),
            ),
        ]
    return rows


def test_a_slow_customer_is_charged_the_time_after_staff_signed_and_half_before() -> None:
    closes = {"platform": T0 + 10 * H, "support": T0 + 20 * H, "customer": T0 + 9 * D}
    timeline = build_timeline("acme", CONTRACT, T0, go_live(T0, closes, T0 + 9 * D), T0 + 9 * D)
    parties = by_party(attribute(timeline))
    # 0-20 h shared by customer and staff; 20 h - 9 d the customer's alone.
    assert parties[Party.STAFF] == (10 * H) // timedelta(microseconds=1)
    assert parties[Party.CUSTOMER] == (9 * D - 10 * H) // timedelta(microseconds=1)
    assert sum(parties.values()) == total_wait(timeline) == (9 * D) // timedelta(microseconds=1)
    assert timeline.go_live_at == T0 + 9 * D
    assert timeline.gates["sign-off:customer"].closed_on_time() is False  # 7-day deadline


def test_shares_add_up_to_the_microsecond_when_they_do_not_divide() -> None:
    closes = {"platform": T0 + timedelta(microseconds=3), "support": T0 + timedelta(seconds=1)}
    rows = go_live(
        T0,
        {**closes, "customer": T0 + timedelta(seconds=7, microseconds=1)},
        T0 + timedelta(seconds=7, microseconds=1),
    )
    timeline = build_timeline("acme", CONTRACT, T0, rows, T0)
    pieces = attribute(timeline)
    assert sum(p.micros for p in pieces) == total_wait(timeline) == 7_000_001


def test_a_block_is_the_platforms_except_while_a_deviation_is_pending() -> None:
    step = "environment_validation"
    rows = [
        row(T0, "step_started", step, run=1),
        row(T0, "check", step, name="rate_limit", passed=False, detail="600 != 60"),
        row(T0, "step_finished", step, status="blocked", run=1, reason="rate_limit"),
        row(
            T0 + 5 * H,
            "deviation_requested",
            step,
            "o@lv.example",
            deviation_id="DEV-1",
            check="rate_limit",
            reason="known issue",
        ),
        row(T0 + 8 * H, "deviation_rejected", step, "p@lv.example", deviation_id="DEV-1"),
        row(T0 + 20 * H, "input_accepted", step, "o@lv.example", input="retry", step=step),
        row(T0 + 20 * H, "step_started", step, run=2),
        row(T0 + 20 * H, "step_finished", step, status="done", run=2),
    ]
    timeline = build_timeline("acme", CONTRACT, T0, rows, T0)
    parties = by_party(attribute(timeline))
    assert parties[Party.APPROVALS] == (3 * H) // timedelta(microseconds=1)
    assert parties[Party.PLATFORM] == (17 * H) // timedelta(microseconds=1)
    [block] = timeline.blocks
    assert block.checks == ["rate_limit"] and block.resolution == "retry"
    assert timeline.deviations["DEV-1"].outcome == "rejected"


def test_an_approved_deviation_ends_the_block_as_a_waiver() -> None:
    step = "feature_enablement"
    rows = [
        row(T0, "step_started", step, run=1),
        row(T0, "check", step, name="ui_visibility", passed=False, detail="hidden"),
        row(T0, "step_finished", step, status="blocked", run=1, reason="ui"),
        row(
            T0 + 2 * H,
            "deviation_requested",
            step,
            "o@lv.example",
            deviation_id="DEV-1",
            check="ui_visibility",
            reason="known issue",
        ),
        row(T0 + 6 * H, "deviation_approved", step, "p@lv.example", deviation_id="DEV-1"),
        row(T0 + 6 * H, "step_started", step, run=2),
        row(T0 + 6 * H, "step_finished", step, status="waived", run=2, deviation_id="DEV-1"),
    ]
    timeline = build_timeline("acme", CONTRACT, T0, rows, T0)
    parties = by_party(attribute(timeline))
    assert parties[Party.PLATFORM] == (2 * H) // timedelta(microseconds=1)
    assert parties[Party.APPROVALS] == (4 * H) // timedelta(microseconds=1)
    assert timeline.blocks[0].resolution == "waived"
    assert timeline.step(step).status == "waived"


def test_open_waits_run_to_the_report_time_but_never_back_before_the_records() -> None:
    rows = go_live(T0, {"platform": T0 + H}, None)
    later = build_timeline("acme", CONTRACT, T0, rows, T0 + 2 * D)
    assert total_wait(later) == (2 * D) // timedelta(microseconds=1)
    assert later.state == "waiting" and [g.gate for g in later.open_gates()] == [
        "sign-off:customer",
        "sign-off:support",
    ]
    earlier = build_timeline("acme", CONTRACT, T0, rows, T0 - D)
    assert earlier.as_of == T0 + H  # the newest record, not before it
    assert total_wait(earlier) == H // timedelta(microseconds=1)


def test_the_review_date_is_the_schedules_and_the_feedback_the_customers() -> None:
    step = "post_onboarding_review"
    rows = [
        row(T0, "step_started", step, run=1),
        row(T0, "wait_started", step, waiting_for="the review date"),
        row(T0 + 30 * D, "wait_finished", step, waiting_for="the review date"),
        row(
            T0 + 30 * D,
            "wait_started",
            step,
            waiting_for="review feedback",
            gates=["review-feedback"],
            due_at=(T0 + 37 * D).isoformat(),
        ),
        row(T0 + 32 * D, "input_accepted", step, "a@acme.example", input="feedback", text="ok"),
        row(T0 + 32 * D, "wait_finished", step, waiting_for="review feedback"),
    ]
    timeline = build_timeline("acme", CONTRACT, T0, rows, T0)
    steps = by_step_and_party(attribute(timeline))
    assert steps[step][Party.SCHEDULE] == (30 * D) // timedelta(microseconds=1)
    assert steps[step][Party.CUSTOMER] == (2 * D) // timedelta(microseconds=1)


def test_a_repeated_input_does_not_close_a_gate_again_and_old_records_use_the_catalogue() -> None:
    step = "internal_readiness"
    rows = [
        row(T0, "step_started", step, run=1),
        row(T0, "wait_started", step, waiting_for="an onboarding owner"),  # no `gates`: old
        row(
            T0 + 3 * H,
            "input_accepted",
            step,
            "p@lv.example",
            input="assign_owner",
            owner="o@lv.example",
        ),
        row(
            T0 + 4 * H,
            "input_accepted",
            step,
            "p@lv.example",
            input="assign_owner",
            owner="z@lv.example",
            already_recorded=True,
        ),
        row(T0 + 3 * H, "wait_finished", step, waiting_for="an onboarding owner"),
    ]
    timeline = build_timeline("acme", CONTRACT, T0, rows, T0)
    gate = timeline.gates["owner-assignment"]
    assert (gate.closed_at, gate.closed_by, timeline.owner) == (
        T0 + 3 * H,
        "p@lv.example",
        "o@lv.example",
    )
    assert by_party(attribute(timeline))[Party.STAFF] == (3 * H) // timedelta(microseconds=1)


def test_the_forecast_adds_the_medians_of_the_steps_left() -> None:
    done = [
        row(T0, "step_started", "go_live", run=1),
        row(T0 + 4 * D, "step_finished", "go_live", status="done", run=1),
    ]
    finished = build_timeline("done", CONTRACT, T0, done, T0)
    current = build_timeline(
        "open", CONTRACT, T0, [row(T0, "step_started", "go_live", run=1)], T0 + D
    )
    medians = step_medians([finished])
    assert medians == {"go_live": 4.0}
    # Every earlier step has no finished example: the forecast says it does not know.
    assert forecast(current, medians).forecast_go_live is None
    medians.update(
        {
            k: 0.5
            for k in (
                "pre_onboarding",
                "internal_readiness",
                "account_provisioning",
                "access_identity",
                "environment_validation",
                "feature_enablement",
                "customer_enablement",
            )
        }
    )
    got = forecast(current, medians)
    # go_live has run one of its four median days; the seven steps before it count too,
    # since they have no finish on record.
    assert got.remaining_days == 3 + 7 * 0.5
    assert got.forecast_go_live == T0 + D + timedelta(days=6.5)
