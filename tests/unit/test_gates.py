"""The human gates (onboarding/gates.py): ids, who is responsible, and chasing them along
the ladder over a simulated timeline; moving a deadline (onboarding/rules.py).

Times are given in days after the gate opened at T0; the default ladder reminds two days
and twelve hours before the deadline, at it and daily after, and escalates to the owner
one day late and to the contract's escalation contacts three days late.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from onboarding.contract import Contract
from onboarding.gates import (
    GATED_STEPS,
    GATES,
    OWNER_ASSIGNMENT,
    REVIEW_FEEDBACK,
    chase,
    escalation_recipients,
    gates_of,
    is_closed,
    move_deadline,
    next_notice,
    open_gate,
    responsible,
)
from onboarding.inputs import MoveDeadline
from onboarding.ladder import Audience, Ladder, Rung
from onboarding.notifications import Notification, NotificationKind
from onboarding.problems import load_roster
from onboarding.roster import Person, Role, Roster
from onboarding.rules import refusal_move_deadline
from onboarding.status import (
    EnablementRecord,
    FeedbackRecord,
    GateRecord,
    OnboardingStatus,
    SignOffRecord,
)
from onboarding.steps import StepKey
from tests.conftest import EXAMPLES
from tests.helpers import make_contract

OLIVIA = "olivia@localizevideos.example"  # onboarding_owner + csm (example roster)
PRIYA = "priya@localizevideos.example"  # platform_approver
SVEN = "sven@localizevideos.example"  # support_lead
NOAH = "noah@localizevideos.example"  # onboarding_owner + platform_approver
QUINN = "quinn@localizevideos.example"  # csm only
OPS = "ops.lead@localizevideos.example"  # started the onboarding; not on the roster
ADA = "ada.park@northwind.example"  # customer admin named in the contract
SAM = "sam.ortiz@northwind.example"  # customer escalation contact
MALLORY = "mallory@elsewhere.example"  # nobody
HEAD_OF_SUPPORT = "head.support@localizevideos.example"

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORKFLOW_ID = "onboarding-x"
LADDER = Ladder()


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def _roster() -> Roster:
    example = load_roster(EXAMPLES / "roster.yaml")
    extra = [
        Person(name="Noah", email=NOAH, roles=[Role.ONBOARDING_OWNER, Role.PLATFORM_APPROVER]),
        Person(name="Quinn", email=QUINN, roles=[Role.CSM]),
    ]
    return Roster(people=[*example.people, *extra])


ROSTER = _roster()
CONTRACT: Contract = make_contract()


def status(
    step: StepKey | None = StepKey.GO_LIVE,
    *,
    owner: str | None = OLIVIA,
    started_by: str | None = OPS,
    **fields: object,
) -> OnboardingStatus:
    return OnboardingStatus.model_validate(
        {
            "tenant_id": "x",
            "tenant_name": "X Corp",
            "workflow_id": WORKFLOW_ID,
            "current_step": step,
            "owner": owner,
            "started_by": started_by,
            **fields,
        }
    )


def gate(
    gate_id: str,
    st: OnboardingStatus,
    *,
    roster: Roster = ROSTER,
    opened: datetime = T0,
    deadline: timedelta = timedelta(days=5),
) -> GateRecord:
    return open_gate(GATES[gate_id], st, CONTRACT, roster, opened, opened + deadline)


def key(suffix: str, gate_id: str = "sign-off:support") -> str:
    return f"{WORKFLOW_ID}:{gate_id}:{suffix}"


def keys(notices: list[Notification]) -> list[str]:
    return [n.key for n in notices]


# ------------------------------------------------------------------- gate ids


def test_gate_ids_per_step() -> None:
    ids = {step: [spec.id for spec in gates_of(step)] for step in StepKey}

    assert ids[StepKey.INTERNAL_READINESS] == [OWNER_ASSIGNMENT]
    assert ids[StepKey.CUSTOMER_ENABLEMENT] == [
        "enablement:walkthrough",
        "enablement:admin-guide",
        "enablement:security-best-practices",
        "enablement:support-overview",
    ]
    assert ids[StepKey.GO_LIVE] == ["sign-off:customer", "sign-off:platform", "sign-off:support"]
    assert ids[StepKey.POST_ONBOARDING_REVIEW] == [REVIEW_FEEDBACK]
    ungated = {step for step, found in ids.items() if not found}
    assert ungated == {
        StepKey.PRE_ONBOARDING,
        StepKey.ACCOUNT_PROVISIONING,
        StepKey.ACCESS_IDENTITY,
        StepKey.ENVIRONMENT_VALIDATION,
        StepKey.FEATURE_ENABLEMENT,
    }
    assert set(StepKey) - ungated == GATED_STEPS
    assert len(GATES) == 9


@pytest.mark.parametrize("gate_id", sorted(GATES))
def test_each_gate_says_how_to_close_it(gate_id: str) -> None:
    command = GATES[gate_id].command.format(tenant="x")

    assert command.startswith("onboard ") and " x " in command and "--as EMAIL" in command


CLOSED_CASES: list[tuple[str, dict[str, object]]] = [
    (OWNER_ASSIGNMENT, {"owner": OLIVIA}),
    (
        "enablement:admin-guide",
        {
            "enablement": [
                EnablementRecord(item="admin-guide", evidence="https://e.example", by=QUINN, at=T0)
            ]
        },
    ),
    ("sign-off:platform", {"sign_offs": [SignOffRecord(gate="platform", by=PRIYA, at=T0)]}),
    (REVIEW_FEEDBACK, {"feedback": [FeedbackRecord(by=ADA, at=T0, text="fine")]}),
]


@pytest.mark.parametrize(("gate_id", "fields"), CLOSED_CASES)
def test_is_closed_once_its_input_is_recorded(gate_id: str, fields: dict[str, object]) -> None:
    empty = status(owner=None)
    closed = empty.model_copy(update=fields)

    assert not is_closed(empty, gate_id)
    assert is_closed(closed, gate_id)
    others = [g for g in GATES if g != gate_id]
    assert not any(is_closed(closed, g) for g in others)


def test_unknown_gate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown gate sign-off-legal"):
        is_closed(status(), "sign-off-legal")
    with pytest.raises(ValueError, match="unknown gate nothing"):
        responsible("nothing", status(), CONTRACT, ROSTER)


# ------------------------------------------------------------------- responsible

RESPONSIBLE_CASES: list[tuple[str, str | None, list[str], str]] = [
    (OWNER_ASSIGNMENT, None, [OLIVIA, NOAH], "an onboarding owner to be assigned"),
    ("enablement:walkthrough", NOAH, [NOAH, OLIVIA, QUINN], "the owner or a csm"),
    ("enablement:walkthrough", OLIVIA, [OLIVIA, QUINN], "the owner or a csm"),
    ("sign-off:customer", OLIVIA, [ADA], "a named customer admin"),
    ("sign-off:platform", OLIVIA, [PRIYA, NOAH], "a platform_approver other than the owner"),
    ("sign-off:platform", NOAH, [PRIYA], "a platform_approver other than the owner"),
    ("sign-off:support", OLIVIA, [SVEN], "a support_lead"),
    (REVIEW_FEEDBACK, NOAH, [ADA, NOAH, OLIVIA, QUINN], "a customer admin or csm"),
    (REVIEW_FEEDBACK, OLIVIA, [ADA, OLIVIA, QUINN], "a customer admin or csm"),
]


@pytest.mark.parametrize(("gate_id", "owner", "people", "words"), RESPONSIBLE_CASES)
def test_responsible(gate_id: str, owner: str | None, people: list[str], words: str) -> None:
    found, said = responsible(gate_id, status(owner=owner), CONTRACT, ROSTER)

    assert found == people
    assert words in said


def test_open_gate_records_who_is_awaited() -> None:
    record = gate("sign-off:platform", status(owner=NOAH))

    assert record.gate == "sign-off:platform" and record.title == "platform sign-off"
    assert record.step is StepKey.GO_LIVE
    assert record.responsible == [PRIYA]
    assert record.awaiting == "a platform_approver other than the owner"
    assert (record.opened_at, record.due_at, record.checked_at) == (T0, day(5), T0)
    assert (record.reminders_sent, record.escalation_level, record.overdue) == (0, 0, False)


@pytest.mark.parametrize(
    ("notify", "owner", "started_by", "expected"),
    [
        (Audience.OWNER, OLIVIA, OPS, [OLIVIA]),
        (Audience.OWNER, None, OPS, [OPS]),
        (Audience.OWNER, None, None, []),
        (Audience.ESCALATION_CONTACTS, OLIVIA, OPS, [SAM]),
        (HEAD_OF_SUPPORT, OLIVIA, OPS, [HEAD_OF_SUPPORT]),
    ],
)
def test_escalation_recipients(
    notify: str, owner: str | None, started_by: str | None, expected: list[str]
) -> None:
    rung = Rung(after=timedelta(days=1), notify=notify)

    assert escalation_recipients(rung, status(owner=owner, started_by=started_by), CONTRACT) == (
        expected
    )


# ------------------------------------------------------------------- chasing a gate

# (day, keys sent, overdue, reminders_sent, escalation_level, next notice day)
SUPPORT_TIMELINE: list[tuple[float, list[str], bool, int, int, float]] = [
    (1, [], False, 0, 0, 3),
    (3, ["reminder:1"], False, 1, 0, 4.5),
    (4, [], False, 1, 0, 4.5),
    (4.5, ["reminder:2"], False, 2, 0, 5),
    (5, ["reminder:3"], True, 3, 0, 6),
    (5.5, [], True, 3, 0, 6),
    (6, ["reminder:4", "escalation:0.1"], True, 4, 1, 7),
    (7, ["reminder:5"], True, 5, 1, 8),
    (8, ["reminder:6", "escalation:0.2"], True, 6, 2, 9),
    (8, [], True, 6, 2, 9),  # chased again at the same moment: nothing new
    (9, ["reminder:7"], True, 7, 2, 10),
    (12.25, ["reminder:8"], True, 8, 2, 13),  # days 10, 11 and 12 missed: one reminder
]


def test_chase_a_support_sign_off_along_the_default_ladder() -> None:
    st = status()
    record = gate("sign-off:support", st)
    seen: list[tuple[float, list[str], bool, int, int, float]] = []
    sent: dict[str, Notification] = {}

    for moment, *_ in SUPPORT_TIMELINE:
        notices = chase(record, LADDER, st, CONTRACT, day(moment))
        sent.update({n.key: n for n in notices})
        assert record.checked_at == day(moment)
        assert record.next_notice_at is not None
        seen.append(
            (
                moment,
                [n.key.removeprefix(key("")) for n in notices],
                record.overdue,
                record.reminders_sent,
                record.escalation_level,
                (record.next_notice_at - T0) / timedelta(days=1),
            )
        )

    assert seen == SUPPORT_TIMELINE
    assert record.notified == [SVEN, OLIVIA, SAM]

    first = sent[key("reminder:1")]
    assert (first.kind, first.recipients, first.gate, first.tenant_id) == (
        NotificationKind.REMINDER,
        [SVEN],
        "sign-off:support",
        "x",
    )
    assert first.subject == "Reminder: support sign-off for X Corp is due 2026-12-06 09:00 UTC"
    assert first.created_at == day(3)
    assert "onboard sign-off x support --as EMAIL" in first.body
    late = sent[key("reminder:3")]
    assert late.subject == "Overdue: support sign-off for X Corp was due 2026-12-06 09:00 UTC"
    assert "(overdue)" in late.body

    to_owner = sent[key("escalation:0.1")]
    assert (to_owner.kind, to_owner.recipients) == (NotificationKind.ESCALATION, [OLIVIA])
    assert to_owner.subject == "Escalation 1: support sign-off for X Corp is overdue"
    assert "is 24 h late" in to_owner.body and SVEN in to_owner.body
    assert "Reminders sent so far: 4" in to_owner.body
    to_contacts = sent[key("escalation:0.2")]
    assert (to_contacts.kind, to_contacts.recipients) == (NotificationKind.ESCALATION, [SAM])
    assert to_contacts.subject.startswith("Escalation 2: ")
    assert "is 72 h late" in to_contacts.body


def test_a_gate_chased_late_sends_one_reminder_and_every_missed_rung_in_order() -> None:
    st = status()
    record = gate("sign-off:support", st)

    notices = chase(record, LADDER, st, CONTRACT, day(9) + timedelta(hours=1))

    assert keys(notices) == [key("reminder:1"), key("escalation:0.1"), key("escalation:0.2")]
    assert [n.recipients for n in notices] == [[SVEN], [OLIVIA], [SAM]]
    assert (record.reminders_sent, record.escalation_level) == (1, 2)
    assert record.next_notice_at == day(10)


def test_a_one_day_gate_gets_only_the_twelve_hour_reminder_before_its_deadline() -> None:
    st = status()
    record = gate("sign-off:customer", st, deadline=timedelta(days=1))

    assert record.responsible == [ADA]
    assert chase(record, LADDER, st, CONTRACT, day(0.25)) == []
    assert record.next_notice_at == day(0.5)
    before = chase(record, LADDER, st, CONTRACT, day(0.5))
    assert [n.subject.split(":")[0] for n in before] == ["Reminder"]
    assert record.next_notice_at == day(1)
    at = chase(record, LADDER, st, CONTRACT, day(1))
    assert [n.subject.split(":")[0] for n in at] == ["Overdue"]
    assert record.reminders_sent == 2


def test_escalation_to_the_owner_falls_back_to_whoever_started_it() -> None:
    st = status(StepKey.INTERNAL_READINESS, owner=None, started_by=OPS)
    record = gate(OWNER_ASSIGNMENT, st)

    notices = chase(record, LADDER, st, CONTRACT, day(6))

    assert keys(notices) == [
        key("reminder:1", OWNER_ASSIGNMENT),
        key("escalation:0.1", OWNER_ASSIGNMENT),
    ]
    assert notices[0].recipients == [OLIVIA, NOAH]
    assert notices[1].recipients == [OPS]
    assert record.notified == [OLIVIA, NOAH, OPS]


def test_an_owner_rung_with_nobody_to_tell_is_passed_silently() -> None:
    st = status(StepKey.INTERNAL_READINESS, owner=None, started_by=None)
    record = gate(OWNER_ASSIGNMENT, st)

    notices = chase(record, LADDER, st, CONTRACT, day(6))

    assert [n.kind for n in notices] == [NotificationKind.REMINDER]
    assert record.escalation_level == 1
    assert record.next_notice_at == day(7)


def test_an_email_rung() -> None:
    ladder = Ladder(
        escalations=[
            Rung(after=timedelta(hours=2), notify="Head.Support@LocalizeVideos.example"),
            Rung(after=timedelta(days=1), notify=Audience.OWNER),
        ]
    )
    st = status()
    record = gate("sign-off:support", st)
    chase(record, ladder, st, CONTRACT, day(5))
    assert record.next_notice_at == day(5) + timedelta(hours=2)

    notices = chase(record, ladder, st, CONTRACT, day(5) + timedelta(hours=2))

    assert keys(notices) == [key("escalation:0.1")]
    assert notices[0].recipients == [HEAD_OF_SUPPORT]
    assert "is 2 h late" in notices[0].body
    assert record.next_notice_at == day(6)


def test_escalation_within_the_first_hour_counts_seconds() -> None:
    ladder = Ladder(escalations=[Rung(after=timedelta(seconds=30), notify=Audience.OWNER)])
    st = status()
    record = gate("sign-off:support", st)

    notices = chase(record, ladder, st, CONTRACT, day(5) + timedelta(seconds=30))

    assert "is 30 s late" in notices[-1].body


def test_a_gate_nobody_may_close_gets_no_reminder_but_escalates() -> None:
    roster = Roster(
        people=[
            Person(name="Noah", email=NOAH, roles=[Role.ONBOARDING_OWNER, Role.PLATFORM_APPROVER]),
            Person(name="Sven", email=SVEN, roles=[Role.SUPPORT_LEAD]),
        ]
    )
    st = status(owner=NOAH)
    record = gate("sign-off:platform", st, roster=roster)
    assert record.responsible == []

    assert chase(record, LADDER, st, CONTRACT, day(3)) == []
    assert chase(record, LADDER, st, CONTRACT, day(5)) == []
    assert record.overdue
    notices = chase(record, LADDER, st, CONTRACT, day(6))

    assert keys(notices) == [key("escalation:0.1", "sign-off:platform")]
    assert notices[0].recipients == [NOAH]
    assert "nobody on the roster can give it" in notices[0].body
    assert (record.reminders_sent, record.escalation_level) == (0, 1)
    assert record.notified == [NOAH]


def test_next_notice_is_the_earlier_of_reminder_and_rung() -> None:
    ladder = Ladder(
        remind_every=timedelta(days=2),
        escalations=[Rung(after=timedelta(hours=6), notify=Audience.OWNER)],
    )
    st = status()
    record = gate("sign-off:support", st)
    chase(record, ladder, st, CONTRACT, day(5))

    assert record.next_notice_at == day(5) + timedelta(hours=6)
    assert next_notice(record, ladder) == day(5) + timedelta(hours=6)
    chase(record, ladder, st, CONTRACT, day(5) + timedelta(hours=6))
    assert record.next_notice_at == day(7)  # past the top of the ladder: reminders only


# ------------------------------------------------------------------- moving a deadline


def test_move_deadline_restarts_the_ladder() -> None:
    st = status()
    record = gate("sign-off:support", st)
    sent: list[str] = []
    for moment in (3, 4.5, 5, 6):
        sent += keys(chase(record, LADDER, st, CONTRACT, day(moment)))
    assert (record.overdue, record.escalation_level, record.reminders_sent) == (True, 1, 4)

    moved_at = day(6) + timedelta(hours=1)
    move_deadline(record, day(10), OLIVIA, moved_at)

    assert record.due_at == day(10)
    assert (record.overdue, record.escalation_level) == (False, 0)
    assert (record.deadline_moves, record.deadline_moved_by) == (1, OLIVIA)
    assert record.checked_at == moved_at
    assert record.reminders_sent == 4  # what was sent stays counted

    timeline: list[tuple[float, list[str], bool]] = []
    for moment in (7, 8, 9.5, 10, 11, 13):
        notices = chase(record, LADDER, st, CONTRACT, day(moment))
        sent += keys(notices)
        timeline.append((moment, [n.key.removeprefix(key("")) for n in notices], record.overdue))

    assert timeline == [
        (7, [], False),
        (8, ["reminder:5"], False),  # two days before the new deadline
        (9.5, ["reminder:6"], False),
        (10, ["reminder:7"], True),
        (11, ["reminder:8", "escalation:1.1"], True),
        (13, ["reminder:9", "escalation:1.2"], True),
    ]
    assert len(sent) == len(set(sent))  # nothing is sent twice under one key


def test_each_move_gives_escalations_keys_of_their_own() -> None:
    st = status()
    record = gate("sign-off:support", st)
    escalations: list[str] = []
    due = day(5)
    for moves in range(3):
        notices = chase(record, LADDER, st, CONTRACT, due + timedelta(days=1))
        escalations += [n.key for n in notices if n.kind is NotificationKind.ESCALATION]
        assert record.deadline_moves == moves
        due += timedelta(days=5)
        move_deadline(record, due, OLIVIA, due - timedelta(days=4))

    assert escalations == [key("escalation:0.1"), key("escalation:1.1"), key("escalation:2.1")]


# ------------------------------------------------------------------- who may move one

NOW = day(6)


def _at_go_live(owner: str | None = OLIVIA) -> OnboardingStatus:
    """Waiting at go-live; the platform sign-off is given, so its gate is closed."""
    st = status(
        StepKey.GO_LIVE,
        owner=owner,
        sign_offs=[SignOffRecord(gate="platform", by=PRIYA, at=day(1))],
    )
    st.gates = [gate("sign-off:customer", st), gate("sign-off:support", st)]
    return st


def _at_readiness() -> OnboardingStatus:
    st = status(StepKey.INTERNAL_READINESS, owner=None)
    st.gates = [gate(OWNER_ASSIGNMENT, st)]
    return st


GO_LIVE_AT = day(2)


def _at_review() -> OnboardingStatus:
    st = status(StepKey.POST_ONBOARDING_REVIEW, go_live_at=GO_LIVE_AT)
    st.gates = [gate(REVIEW_FEEDBACK, st, opened=GO_LIVE_AT + timedelta(days=21))]
    return st


MOVE_CASES: list[tuple[str, OnboardingStatus, str, str, datetime, datetime, tuple[str, ...]]] = [
    ("owner moves a sign-off", _at_go_live(), OLIVIA, "sign-off:customer", day(9), NOW, ()),
    (
        "e-mail case does not matter",
        _at_go_live(),
        "Olivia@LocalizeVideos.example",
        "sign-off:support",
        day(9),
        NOW,
        (),
    ),
    (
        "another time zone, still the future",
        _at_go_live(),
        OLIVIA,
        "sign-off:support",
        (NOW + timedelta(minutes=1)).astimezone(timezone(timedelta(hours=-5))),
        NOW,
        (),
    ),
    (
        "a platform approver is not the owner",
        _at_go_live(),
        PRIYA,
        "sign-off:customer",
        day(9),
        NOW,
        (f"only the onboarding owner ({OLIVIA}) may move a deadline",),
    ),
    (
        "another onboarding_owner is not the owner",
        _at_go_live(),
        NOAH,
        "sign-off:customer",
        day(9),
        NOW,
        (f"only the onboarding owner ({OLIVIA})",),
    ),
    (
        "a stranger",
        _at_go_live(),
        MALLORY,
        "sign-off:customer",
        day(9),
        NOW,
        ("only the onboarding owner",),
    ),
    ("before an owner: a role holder", _at_readiness(), NOAH, OWNER_ASSIGNMENT, day(9), NOW, ()),
    ("before an owner: another one", _at_readiness(), OLIVIA, OWNER_ASSIGNMENT, day(9), NOW, ()),
    (
        "before an owner: no role",
        _at_readiness(),
        PRIYA,
        OWNER_ASSIGNMENT,
        day(9),
        NOW,
        (PRIYA, "does not hold the onboarding_owner role"),
    ),
    (
        "before an owner: not on the roster",
        _at_readiness(),
        MALLORY,
        OWNER_ASSIGNMENT,
        day(9),
        NOW,
        (MALLORY, "does not hold the onboarding_owner role"),
    ),
    (
        "unknown gate",
        _at_go_live(),
        OLIVIA,
        "sign-off:legal",
        day(9),
        NOW,
        ("no open gate sign-off:legal", "(open: sign-off:customer, sign-off:support)"),
    ),
    (
        "closed gate",
        _at_go_live(),
        OLIVIA,
        "sign-off:platform",
        day(9),
        NOW,
        ("no open gate sign-off:platform", "(open: sign-off:customer, sign-off:support)"),
    ),
    (
        "a gate of another step",
        _at_go_live(),
        OLIVIA,
        REVIEW_FEEDBACK,
        day(9),
        NOW,
        (f"no open gate {REVIEW_FEEDBACK} in the onboarding of x",),
    ),
    (
        "no gate open at all",
        status(StepKey.ACCOUNT_PROVISIONING),
        OLIVIA,
        "sign-off:customer",
        day(9),
        NOW,
        ("(open: none)",),
    ),
    (
        "a past deadline",
        _at_go_live(),
        OLIVIA,
        "sign-off:customer",
        NOW - timedelta(hours=1),
        NOW,
        ("is not in the future", (NOW - timedelta(hours=1)).isoformat()),
    ),
    (
        "a deadline of now",
        _at_go_live(),
        OLIVIA,
        "sign-off:customer",
        NOW,
        NOW,
        ("is not in the future",),
    ),
    (
        "review feedback up to 30 days after go-live",
        _at_review(),
        OLIVIA,
        REVIEW_FEEDBACK,
        GO_LIVE_AT + timedelta(days=30),
        GO_LIVE_AT + timedelta(days=25),
        (),
    ),
    (
        "review feedback beyond 30 days after go-live",
        _at_review(),
        OLIVIA,
        REVIEW_FEEDBACK,
        GO_LIVE_AT + timedelta(days=30, seconds=1),
        GO_LIVE_AT + timedelta(days=25),
        ("PHASE-33", f"at most {(GO_LIVE_AT + timedelta(days=30)).isoformat()}"),
    ),
    (
        "other gates are not bound to the review limit",
        _at_go_live(),
        OLIVIA,
        "sign-off:customer",
        day(60),
        NOW,
        (),
    ),
]


@pytest.mark.parametrize(
    ("st", "by", "gate_id", "due", "now", "expected"),
    [case[1:] for case in MOVE_CASES],
    ids=[case[0] for case in MOVE_CASES],
)
def test_refusal_move_deadline(
    st: OnboardingStatus,
    by: str,
    gate_id: str,
    due: datetime,
    now: datetime,
    expected: tuple[str, ...],
) -> None:
    reason = refusal_move_deadline(st, ROSTER, MoveDeadline(by=by, gate=gate_id, due=due), now)

    if not expected:
        assert reason is None
    else:
        assert reason is not None, "accepted, but should have been refused"
        for phrase in expected:
            assert phrase in reason
