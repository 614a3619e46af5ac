"""The reminder and escalation ladder (onboarding/ladder.py), its scaling by the policy and
its settings (ONBOARDING_REMIND_BEFORE, ONBOARDING_REMIND_EVERY, ONBOARDING_ESCALATION_LADDER).

Times are given in days after the gate opened at T0, so a 5-day gate is due at day 5.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsError

from notify.settings import NotifySettings
from onboarding.contract import SlaTier
from onboarding.ladder import MIN_REMINDER_INTERVAL, Audience, Ladder, Rung
from onboarding.policy import GATE_DEADLINES, OnboardingPolicy
from onboarding.problems import load_roster
from tests.conftest import EXAMPLES
from worker.config import InvalidSettings, Settings, load_settings

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HEAD_OF_SUPPORT = "head.support@localizevideos.example"


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def reminders(ladder: Ladder, opened: datetime, due: datetime, until: datetime) -> list[datetime]:
    """Every reminder moment from the gate's opening up to `until`, following the ladder."""
    moments: list[datetime] = []
    at = ladder.next_reminder(opened, due, opened)
    while at <= until:
        moments.append(at)
        at = ladder.next_reminder(opened, due, at)
    return moments


# ------------------------------------------------------------------- the default ladder


def test_default_ladder_of_a_five_day_gate() -> None:
    ladder = Ladder()
    opened, due = T0, day(5)

    assert reminders(ladder, opened, due, day(9)) == [
        day(3),  # two days before
        day(4.5),  # twelve hours before
        day(5),  # at the deadline
        day(6),  # then every day
        day(7),
        day(8),
        day(9),
    ]
    assert ladder.next_escalation(due, 0) == day(6)
    assert ladder.next_escalation(due, 1) == day(8)
    assert ladder.next_escalation(due, 2) is None
    assert [r.notify for r in ladder.escalations] == [
        Audience.OWNER,
        Audience.ESCALATION_CONTACTS,
    ]


@pytest.mark.parametrize(
    ("now", "level"),
    [
        (day(4), 0),
        (day(5), 0),
        (day(6) - timedelta(seconds=1), 0),
        (day(6), 1),
        (day(7.9), 1),
        (day(8), 2),
        (day(30), 2),
    ],
)
def test_escalation_level_at(now: datetime, level: int) -> None:
    assert Ladder().level_at(day(5), now) == level


def test_next_reminder_is_strictly_after() -> None:
    ladder = Ladder()
    opened, due = T0, day(5)

    assert ladder.next_reminder(opened, due, day(3) - timedelta(microseconds=1)) == day(3)
    assert ladder.next_reminder(opened, due, day(3)) == day(4.5)
    assert ladder.next_reminder(opened, due, day(5)) == day(6)
    assert ladder.next_reminder(opened, due, day(6) + timedelta(hours=1)) == day(7)


def test_reminders_before_the_gate_opened_are_skipped() -> None:
    """A one-day gate: two days before its deadline it was not open yet."""
    ladder = Ladder()
    opened, due = T0, day(1)

    assert reminders(ladder, opened, due, day(3)) == [day(0.5), day(1), day(2), day(3)]


def test_a_reminder_at_the_very_opening_is_skipped() -> None:
    ladder = Ladder()
    opened, due = T0, day(2)  # "two days before" is the moment it opened

    assert ladder.next_reminder(opened, due, opened) == day(1.5)


def test_several_missed_reminders_make_one() -> None:
    """The worker was down from day 2 to day 5: three reminders fell due, one goes out."""
    ladder = Ladder()
    opened, due = T0, day(5)
    checked, now = day(2), day(5)

    assert ladder.reminder_due(opened, due, checked, now)
    assert not ladder.reminder_due(opened, due, now, now)  # once checked at `now`
    assert ladder.next_reminder(opened, due, now) == day(6)
    assert ladder.next_reminder(opened, due, now) > now


def test_no_reminder_due_before_its_moment() -> None:
    ladder = Ladder()
    opened, due = T0, day(5)

    assert not ladder.reminder_due(opened, due, opened, day(3) - timedelta(seconds=1))
    assert ladder.reminder_due(opened, due, opened, day(3))


# ------------------------------------------------------------------- scaling


def test_scaled_for_a_twenty_second_enterprise_gate() -> None:
    factor = timedelta(seconds=20) / GATE_DEADLINES[SlaTier.ENTERPRISE]
    ladder = Ladder().scaled(factor)

    assert ladder.remind_before == [timedelta(seconds=8), timedelta(seconds=2)]
    assert ladder.remind_every == timedelta(seconds=4)
    assert [(r.after, r.notify) for r in ladder.escalations] == [
        (timedelta(seconds=4), Audience.OWNER),
        (timedelta(seconds=12), Audience.ESCALATION_CONTACTS),
    ]

    opened, due = T0, T0 + timedelta(seconds=20)
    seconds = [
        (at - opened).total_seconds()
        for at in reminders(ladder, opened, due, opened + timedelta(seconds=32))
    ]
    assert seconds == [12, 18, 20, 24, 28, 32]
    assert ladder.next_escalation(due, 0) == due + timedelta(seconds=4)
    assert ladder.next_escalation(due, 1) == due + timedelta(seconds=12)


def test_scaled_never_reminds_faster_than_the_minimum() -> None:
    ladder = Ladder().scaled(1e-9)

    assert ladder.remind_every == MIN_REMINDER_INTERVAL
    assert all(before > timedelta(0) for before in ladder.remind_before)


def test_scaled_drops_reminders_that_shrink_to_nothing() -> None:
    ladder = Ladder().scaled(1e-12)  # two days become 0.17 microseconds: nothing

    assert ladder.remind_before == []
    assert ladder.remind_every == MIN_REMINDER_INTERVAL
    assert [r.after for r in ladder.escalations] == [timedelta(0), timedelta(0)]


def test_scaled_by_one_is_the_same_ladder() -> None:
    assert Ladder().scaled(1.0) == Ladder()


def test_scaled_keeps_an_email_rung() -> None:
    ladder = Ladder(escalations=[Rung(after=timedelta(days=2), notify=HEAD_OF_SUPPORT)])

    assert ladder.scaled(0.5).escalations == [Rung(after=timedelta(days=1), notify=HEAD_OF_SUPPORT)]


# ------------------------------------------------------------------- validation


@pytest.mark.parametrize("before", [timedelta(hours=-1), timedelta(0)])
def test_remind_before_must_be_positive(before: timedelta) -> None:
    with pytest.raises(ValidationError, match="positive durations"):
        Ladder(remind_before=[timedelta(days=1), before])


def test_remind_before_is_sorted_largest_first_without_repeats() -> None:
    ladder = Ladder(
        remind_before=[timedelta(hours=12), timedelta(days=2), timedelta(hours=12)],
    )

    assert ladder.remind_before == [timedelta(days=2), timedelta(hours=12)]


def test_remind_every_has_a_floor() -> None:
    with pytest.raises(ValidationError, match="at least 1 s"):
        Ladder(remind_every=timedelta(milliseconds=500))
    assert Ladder(remind_every=MIN_REMINDER_INTERVAL).remind_every == MIN_REMINDER_INTERVAL


def test_escalations_are_sorted_by_time() -> None:
    ladder = Ladder(
        escalations=[
            Rung(after=timedelta(days=5), notify=HEAD_OF_SUPPORT),
            Rung(after=timedelta(days=1), notify=Audience.OWNER),
            Rung(after=timedelta(days=3), notify=Audience.ESCALATION_CONTACTS),
        ]
    )

    assert [r.after for r in ladder.escalations] == [
        timedelta(days=1),
        timedelta(days=3),
        timedelta(days=5),
    ]
    assert ladder.escalations[2].notify == HEAD_OF_SUPPORT
    assert ladder.next_escalation(day(5), 2) == day(10)


def test_rung_validation() -> None:
    with pytest.raises(ValidationError):
        Rung(after=timedelta(hours=-1), notify=Audience.OWNER)
    with pytest.raises(ValidationError, match="not an e-mail address"):
        Rung(after=timedelta(days=1), notify="the boss")
    assert Rung(after=timedelta(0), notify="Head.Support@LocalizeVideos.example").notify == (
        HEAD_OF_SUPPORT
    )


# ------------------------------------------------------------------- the policy


def _policy(**fields: object) -> OnboardingPolicy:
    return OnboardingPolicy.model_validate(
        {"roster": load_roster(EXAMPLES / "roster.yaml"), **fields}
    )


def test_policy_without_override_keeps_the_ladder_and_tier_deadlines() -> None:
    policy = _policy()

    for tier in SlaTier:
        assert policy.gate_deadline(tier) == GATE_DEADLINES[tier]
        assert policy.gate_ladder(tier) == Ladder()


def test_policy_override_scales_the_ladder_per_tier() -> None:
    """The same 20-second gates: a standard tier's ladder is meant for 10 days, an
    enterprise one's for 5, so the standard ladder shrinks twice as much."""
    policy = _policy(gate_deadline_override=timedelta(seconds=20))

    standard = policy.gate_ladder(SlaTier.STANDARD)
    enterprise = policy.gate_ladder(SlaTier.ENTERPRISE)

    assert policy.gate_deadline(SlaTier.STANDARD) == timedelta(seconds=20)
    assert policy.gate_deadline(SlaTier.ENTERPRISE) == timedelta(seconds=20)
    assert standard.remind_before == [timedelta(seconds=4), timedelta(seconds=1)]
    assert standard.remind_every == timedelta(seconds=2)
    assert [r.after for r in standard.escalations] == [timedelta(seconds=2), timedelta(seconds=6)]
    assert enterprise.remind_before == [timedelta(seconds=8), timedelta(seconds=2)]
    assert enterprise.remind_every == timedelta(seconds=4)
    assert [r.after for r in enterprise.escalations] == [
        timedelta(seconds=4),
        timedelta(seconds=12),
    ]


def test_policy_override_scales_against_the_configured_tier_deadline() -> None:
    policy = _policy(
        gate_deadline_override=timedelta(seconds=30),
        gate_deadlines={SlaTier.ENTERPRISE: timedelta(days=3)},
    )

    ladder = policy.gate_ladder(SlaTier.ENTERPRISE)

    assert policy.tier_deadline(SlaTier.ENTERPRISE) == timedelta(days=3)
    assert ladder.remind_before == [timedelta(seconds=20), timedelta(seconds=5)]
    assert ladder.remind_every == timedelta(seconds=10)


def test_policy_scales_its_own_ladder() -> None:
    own = Ladder(
        remind_before=[timedelta(days=1)],
        remind_every=timedelta(hours=6),
        escalations=[Rung(after=timedelta(days=2), notify=HEAD_OF_SUPPORT)],
    )
    policy = _policy(gate_deadline_override=timedelta(days=1), ladder=own)

    ladder = policy.gate_ladder(SlaTier.ENTERPRISE)  # 1 day instead of 5: a fifth

    assert ladder.remind_before == [timedelta(hours=24 / 5)]
    assert ladder.remind_every == timedelta(hours=6 / 5)
    assert ladder.escalations == [Rung(after=timedelta(hours=48 / 5), notify=HEAD_OF_SUPPORT)]


# ------------------------------------------------------------------- settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in list(os.environ):
        if name.startswith("ONBOARDING_"):
            monkeypatch.delenv(name)
    return monkeypatch


def test_settings_default_to_the_default_ladder(clean_env: pytest.MonkeyPatch) -> None:
    assert Settings().ladder() == Ladder()


def test_settings_read_the_ladder_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ONBOARDING_REMIND_BEFORE", '["PT6H", "P1D"]')
    clean_env.setenv("ONBOARDING_REMIND_EVERY", "PT4H")
    clean_env.setenv(
        "ONBOARDING_ESCALATION_LADDER",
        '[{"after": "P2D", "notify": "escalation_contacts"},'
        ' {"after": "PT12H", "notify": "owner"},'
        ' {"after": "P5D", "notify": "Head.Support@LocalizeVideos.example"}]',
    )

    ladder = Settings().ladder()

    assert ladder.remind_before == [timedelta(days=1), timedelta(hours=6)]
    assert ladder.remind_every == timedelta(hours=4)
    assert [(r.after, r.notify) for r in ladder.escalations] == [
        (timedelta(hours=12), Audience.OWNER),
        (timedelta(days=2), Audience.ESCALATION_CONTACTS),
        (timedelta(days=5), HEAD_OF_SUPPORT),
    ]
    assert isinstance(ladder.escalations[0].notify, Audience)
    assert isinstance(ladder.escalations[1].notify, Audience)
    assert not isinstance(ladder.escalations[2].notify, Audience)


@pytest.mark.parametrize(
    ("variable", "value", "where"),
    [
        ("ONBOARDING_REMIND_EVERY", "one day", "remind_every"),
        ("ONBOARDING_REMIND_BEFORE", '["P2D", "soon"]', "remind_before.1"),
        ("ONBOARDING_ESCALATION_LADDER", '[{"after": "P1X", "notify": "owner"}]', "after"),
    ],
)
def test_settings_refuse_a_bad_duration(
    clean_env: pytest.MonkeyPatch, variable: str, value: str, where: str
) -> None:
    clean_env.setenv(variable, value)

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert where in message
    assert "valid timedelta" in message


def test_settings_refuse_a_duration_list_that_is_not_json(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ONBOARDING_REMIND_BEFORE", "P2D")

    with pytest.raises(SettingsError, match="remind_before"):
        Settings()


def test_settings_refuse_an_unknown_audience(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ONBOARDING_ESCALATION_LADDER", '[{"after": "P1D", "notify": "nobody"}]')

    with pytest.raises(ValidationError) as raised:
        Settings()

    message = str(raised.value)
    assert "escalation_ladder.0.notify" in message
    assert "not an e-mail address" in message


def test_settings_ladder_refuses_a_negative_reminder(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ONBOARDING_REMIND_BEFORE", '["-P1D"]')

    with pytest.raises(ValidationError, match="positive durations"):
        Settings().ladder()


def test_load_settings_names_the_variables_of_every_settings_class(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("ONBOARDING_REMIND_BEFORE", '["-P1D"]')
    clean_env.setenv("TEMPORAL_TLS", "maybe")

    with pytest.raises(InvalidSettings) as raised:
        load_settings(Settings)

    problems = raised.value.problems
    assert any(p.startswith("TEMPORAL_TLS: Input should be a valid boolean") for p in problems)
    clean_env.delenv("TEMPORAL_TLS")
    with pytest.raises(InvalidSettings) as raised:
        load_settings(Settings)
    assert raised.value.problems == [
        "ONBOARDING_REMIND_BEFORE: reminders come before the deadline: give positive durations"
    ]


def test_load_settings_says_a_json_value_does_not_parse(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("ONBOARDING_ESCALATION_LADDER", "owner after a day")

    with pytest.raises(InvalidSettings, match="escalation_ladder"):
        load_settings(Settings)


def test_load_settings_refuses_incomplete_notification_settings(
    clean_env: pytest.MonkeyPatch,
) -> None:
    clean_env.setenv("ONBOARDING_NOTIFY_SMTP_HOST", "smtp.example")

    with pytest.raises(InvalidSettings, match="ONBOARDING_NOTIFY_SMTP_FROM is required"):
        load_settings(NotifySettings)
