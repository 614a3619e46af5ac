"""Who may give which human input, and when (onboarding/rules.py), against hand-built statuses.

Each rule returns None when the input may be accepted (including a repeat, which the
workflow then answers as "already recorded"), else the reason it is refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onboarding.contract import Contract
from onboarding.inputs import AssignOwner, Feedback, RecordEnablement, RetryStep, SignOff
from onboarding.problems import load_contract, load_roster
from onboarding.roster import Person, Role, Roster
from onboarding.rules import (
    refusal_assign_owner,
    refusal_enablement,
    refusal_feedback,
    refusal_retry,
    refusal_sign_off,
)
from onboarding.status import EnablementRecord, FeedbackRecord, OnboardingStatus, SignOffRecord
from onboarding.steps import EnablementItem, OnboardingState, SignOffGate, StepKey, StepStatus
from onboarding.support import support_model_for
from tests.conftest import EXAMPLES

OLIVIA = "olivia@localizevideos.example"  # onboarding_owner + csm (example roster)
PRIYA = "priya@localizevideos.example"  # platform_approver
SVEN = "sven@localizevideos.example"  # support_lead
NOAH = "noah@localizevideos.example"  # onboarding_owner + platform_approver
QUINN = "quinn@localizevideos.example"  # csm only
ADA = "ada.park@northwind.example"  # customer admin named in the contract
SAM = "sam.ortiz@northwind.example"  # customer escalation contact, not an admin
MALLORY = "mallory@elsewhere.example"  # nobody

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _roster() -> Roster:
    example = load_roster(EXAMPLES / "roster.yaml")
    extra = [
        Person(name="Noah", email=NOAH, roles=[Role.ONBOARDING_OWNER, Role.PLATFORM_APPROVER]),
        Person(name="Quinn", email=QUINN, roles=[Role.CSM]),
    ]
    return Roster(people=[*example.people, *extra])


ROSTER = _roster()
CONTRACT: Contract = load_contract(EXAMPLES / "contract.yaml", today=date(2026, 12, 1))


def status(
    step: StepKey | None,
    *,
    owner: str | None = OLIVIA,
    state: OnboardingState = OnboardingState.WAITING,
    **fields: object,
) -> OnboardingStatus:
    return OnboardingStatus.model_validate(
        {
            "tenant_id": "northwind-studios",
            "tenant_name": "Northwind Studios",
            "workflow_id": "onboarding-northwind-studios",
            "current_step": step,
            "owner": owner,
            "state": state,
            **fields,
        }
    )


def check(reason: str | None, expected: tuple[str, ...] | None) -> None:
    """``expected`` None: accepted. Else: refused, the reason holding every given phrase."""
    if expected is None:
        assert reason is None
    else:
        assert reason is not None, "accepted, but should have been refused"
        for phrase in expected:
            assert phrase in reason


def test_fixtures_match_the_examples() -> None:
    """The rules below lean on these facts of the example files."""
    assert ROSTER.has_role(OLIVIA, Role.ONBOARDING_OWNER)
    assert ROSTER.has_role(OLIVIA, Role.CSM)
    assert ROSTER.has_role(PRIYA, Role.PLATFORM_APPROVER)
    assert ROSTER.has_role(SVEN, Role.SUPPORT_LEAD)
    assert CONTRACT.is_customer_admin(ADA)
    assert not CONTRACT.is_customer_admin(SAM)


# ------------------------------------------------------------------- assign owner

AT_READINESS = status(StepKey.INTERNAL_READINESS, owner=None)

OWNER_CASES: list[tuple[str, OnboardingStatus, str, str, tuple[str, ...] | None]] = [
    ("owner names themself", AT_READINESS, OLIVIA, OLIVIA, None),
    ("any staff member may name the owner", AT_READINESS, PRIYA, OLIVIA, None),
    ("e-mail case does not matter", AT_READINESS, "Olivia@LocalizeVideos.example", OLIVIA, None),
    (
        "sender not on the roster",
        AT_READINESS,
        MALLORY,
        OLIVIA,
        (MALLORY, "not on the staff roster"),
    ),
    (
        "customer admin is not staff",
        AT_READINESS,
        ADA,
        OLIVIA,
        (ADA, "not on the staff roster"),
    ),
    (
        "owner lacks the onboarding_owner role",
        AT_READINESS,
        OLIVIA,
        PRIYA,
        (PRIYA, "onboarding_owner role"),
    ),
    (
        "owner not on the roster at all",
        AT_READINESS,
        OLIVIA,
        MALLORY,
        (MALLORY, "onboarding_owner role"),
    ),
    (
        "too early: still at pre-onboarding",
        status(StepKey.PRE_ONBOARDING, owner=None),
        OLIVIA,
        OLIVIA,
        ("owner assignment opens at step internal_readiness", "is at pre_onboarding"),
    ),
    (
        "no owner once past readiness",
        status(StepKey.ACCOUNT_PROVISIONING, owner=None),
        OLIVIA,
        OLIVIA,
        ("opens at step internal_readiness", "is at account_provisioning"),
    ),
    (
        "finished onboarding takes nothing",
        status(None, owner=None, state=OnboardingState.COMPLETED),
        OLIVIA,
        OLIVIA,
        ("northwind-studios is completed", "nothing more is taken"),
    ),
    (
        "repeat of the same owner, later on",
        status(StepKey.FEATURE_ENABLEMENT, owner=OLIVIA),
        PRIYA,
        OLIVIA,
        None,
    ),
    (
        "a second, different owner",
        status(StepKey.INTERNAL_READINESS, owner=OLIVIA),
        OLIVIA,
        NOAH,
        (f"the owner is already {OLIVIA}", "assigned once"),
    ),
]


@pytest.mark.parametrize(
    ("current", "by", "owner", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in OWNER_CASES],
)
def test_assign_owner(
    current: OnboardingStatus, by: str, owner: str, expected: tuple[str, ...] | None
) -> None:
    check(refusal_assign_owner(current, ROSTER, AssignOwner(by=by, owner=owner)), expected)


# -------------------------------------------------------------------- enablement

AT_ENABLEMENT = status(StepKey.CUSTOMER_ENABLEMENT, owner=NOAH)
WALKTHROUGH_DONE = status(
    StepKey.GO_LIVE,
    owner=NOAH,
    enablement=[
        EnablementRecord(item="walkthrough", evidence="https://rec.example/1", by=NOAH, at=AT)
    ],
)

ENABLEMENT_CASES: list[tuple[str, OnboardingStatus, str, tuple[str, ...] | None]] = [
    ("the owner", AT_ENABLEMENT, NOAH, None),
    ("a csm who is not the owner", AT_ENABLEMENT, QUINN, None),
    ("a csm who also holds onboarding_owner", AT_ENABLEMENT, OLIVIA, None),
    (
        "a platform approver",
        AT_ENABLEMENT,
        PRIYA,
        (PRIYA, "may not record enablement", NOAH),
    ),
    ("the customer admin", AT_ENABLEMENT, ADA, (ADA, "may not record enablement")),
    ("a stranger", AT_ENABLEMENT, MALLORY, ("may not record enablement",)),
    (
        "before step 6 opens",
        status(StepKey.FEATURE_ENABLEMENT, owner=NOAH),
        NOAH,
        ("enablement item walkthrough opens at step customer_enablement", "feature_enablement"),
    ),
    ("repeat after the step closed", WALKTHROUGH_DONE, NOAH, None),
    ("repeat by someone not allowed", WALKTHROUGH_DONE, SVEN, ("may not record enablement",)),
]


@pytest.mark.parametrize(
    ("current", "by", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in ENABLEMENT_CASES],
)
def test_enablement(current: OnboardingStatus, by: str, expected: tuple[str, ...] | None) -> None:
    inp = RecordEnablement(
        by=by, item=EnablementItem.WALKTHROUGH, evidence="https://rec.example/walkthrough"
    )
    check(refusal_enablement(current, ROSTER, inp), expected)


def test_enablement_item_not_yet_recorded_is_refused_once_step_6_is_over() -> None:
    inp = RecordEnablement(by=NOAH, item=EnablementItem.ADMIN_GUIDE, evidence="https://doc.example")
    check(
        refusal_enablement(WALKTHROUGH_DONE, ROSTER, inp),
        ("enablement item admin-guide opens at step customer_enablement", "is at go_live"),
    )


# ---------------------------------------------------------------------- sign-offs

# Go-live registers the support model first; the support sign-off waits for it.
REGISTERED = support_model_for(CONTRACT).model_dump(mode="json")
AT_GO_LIVE = status(StepKey.GO_LIVE, owner=OLIVIA, support=REGISTERED)
NOAH_OWNS_GO_LIVE = status(StepKey.GO_LIVE, owner=NOAH, support=REGISTERED)
SUPPORT_NOT_REGISTERED = status(StepKey.GO_LIVE, owner=OLIVIA)
ALL_SIGNED = status(
    StepKey.POST_ONBOARDING_REVIEW,
    owner=OLIVIA,
    state=OnboardingState.LIVE,
    sign_offs=[
        SignOffRecord(gate="customer", by=ADA, at=AT),
        SignOffRecord(gate="platform", by=PRIYA, at=AT),
        SignOffRecord(gate="support", by=SVEN, at=AT),
    ],
)

C, P, S = SignOffGate.CUSTOMER, SignOffGate.PLATFORM, SignOffGate.SUPPORT

SIGN_OFF_CASES: list[tuple[str, OnboardingStatus, SignOffGate, str, tuple[str, ...] | None]] = [
    # customer: only a customer admin named in the contract
    ("customer by the customer admin", AT_GO_LIVE, C, ADA, None),
    ("customer admin in another case", AT_GO_LIVE, C, "ADA.Park@Northwind.example", None),
    ("customer by the owner", AT_GO_LIVE, C, OLIVIA, (OLIVIA, "not a named customer admin")),
    ("customer by escalation contact", AT_GO_LIVE, C, SAM, (SAM, "not a named customer admin")),
    ("customer by a stranger", AT_GO_LIVE, C, MALLORY, ("not a named customer admin",)),
    # platform: a platform_approver who is not the owner
    ("platform by an approver", AT_GO_LIVE, P, PRIYA, None),
    ("platform by an approver who owns another", AT_GO_LIVE, P, NOAH, None),
    (
        "platform by the owner who is an approver",
        NOAH_OWNS_GO_LIVE,
        P,
        NOAH,
        ("onboarding owner may not give the platform sign-off", "second person"),
    ),
    ("platform by the owner", AT_GO_LIVE, P, OLIVIA, (OLIVIA, "platform_approver role")),
    ("platform by the support lead", AT_GO_LIVE, P, SVEN, (SVEN, "platform_approver role")),
    ("platform by the customer", AT_GO_LIVE, P, ADA, (ADA, "platform_approver role")),
    # support: a support_lead
    ("support by the support lead", AT_GO_LIVE, S, SVEN, None),
    ("support before registration", SUPPORT_NOT_REGISTERED, S, SVEN, ("not registered",)),
    ("support by an approver", AT_GO_LIVE, S, PRIYA, (PRIYA, "support_lead role")),
    ("support by the owner", AT_GO_LIVE, S, OLIVIA, (OLIVIA, "support_lead role")),
    ("support by the customer", AT_GO_LIVE, S, ADA, (ADA, "support_lead role")),
    # not open yet
    *[
        (
            f"{gate.value} before go-live opens",
            status(StepKey.CUSTOMER_ENABLEMENT, owner=OLIVIA),
            gate,
            by,
            (f"the {gate.value} sign-off opens at step go_live", "is at customer_enablement"),
        )
        for gate, by in ((C, ADA), (P, PRIYA), (S, SVEN))
    ],
    (
        "platform while a step is blocked",
        status(StepKey.ENVIRONMENT_VALIDATION, state=OnboardingState.BLOCKED),
        P,
        PRIYA,
        ("opens at step go_live", "is at environment_validation"),
    ),
    # repeats after go-live: accepted, answered as already recorded
    *[
        (f"{gate.value} repeated after go-live", ALL_SIGNED, gate, by, None)
        for gate, by in ((C, ADA), (P, PRIYA), (S, SVEN))
    ],
    ("repeat by someone not allowed", ALL_SIGNED, S, PRIYA, ("support_lead role",)),
]


@pytest.mark.parametrize(
    ("current", "gate", "by", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in SIGN_OFF_CASES],
)
def test_sign_off(
    current: OnboardingStatus, gate: SignOffGate, by: str, expected: tuple[str, ...] | None
) -> None:
    check(refusal_sign_off(current, ROSTER, CONTRACT, SignOff(by=by, gate=gate)), expected)


# ---------------------------------------------------------------------- feedback

REVIEW_OPEN = status(
    StepKey.POST_ONBOARDING_REVIEW,
    state=OnboardingState.LIVE,
    review_due_at=AT,
    review_opened_at=AT,
)
REVIEW_DUE = status(StepKey.POST_ONBOARDING_REVIEW, state=OnboardingState.LIVE, review_due_at=AT)
GIVEN = status(
    None,
    state=OnboardingState.COMPLETED,
    feedback=[FeedbackRecord(by=ADA, at=AT, text="smooth")],
)

FEEDBACK_CASES: list[tuple[str, OnboardingStatus, str, tuple[str, ...] | None]] = [
    ("the customer admin", REVIEW_OPEN, ADA, None),
    ("the owner", REVIEW_OPEN, OLIVIA, None),
    ("a csm", REVIEW_OPEN, QUINN, None),
    ("a platform approver", REVIEW_OPEN, PRIYA, (PRIYA, "may not give review feedback")),
    ("an escalation contact", REVIEW_OPEN, SAM, (SAM, "may not give review feedback")),
    ("a stranger", REVIEW_OPEN, MALLORY, ("may not give review feedback",)),
    (
        "review step reached but not run yet",
        REVIEW_DUE,
        ADA,
        ("review feedback opens when the review runs", AT.isoformat()),
    ),
    (
        "before go-live",
        status(StepKey.GO_LIVE),
        ADA,
        ("review feedback opens at step post_onboarding_review", "is at go_live"),
    ),
    ("repeat after completion", GIVEN, OLIVIA, None),
    ("repeat by someone not allowed", GIVEN, SVEN, ("may not give review feedback",)),
]


@pytest.mark.parametrize(
    ("current", "by", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in FEEDBACK_CASES],
)
def test_feedback(current: OnboardingStatus, by: str, expected: tuple[str, ...] | None) -> None:
    check(refusal_feedback(current, ROSTER, CONTRACT, Feedback(by=by, text="great")), expected)


# ------------------------------------------------------------------------- retry

ENV = StepKey.ENVIRONMENT_VALIDATION


def at_env(env: StepStatus = StepStatus.BLOCKED, *, owner: str = OLIVIA) -> OnboardingStatus:
    """Steps before environment validation done; that step in ``env``; the rest pending."""
    current = status(ENV, owner=owner, state=OnboardingState.BLOCKED)
    for record in current.steps:
        if record.key is ENV:
            record.status = env
            break
        record.status = StepStatus.DONE
    return current


RETRY_CASES: list[tuple[str, OnboardingStatus, StepKey, str, tuple[str, ...] | None]] = [
    ("the owner", at_env(), ENV, OLIVIA, None),
    ("another onboarding_owner", at_env(), ENV, NOAH, None),
    ("a platform approver", at_env(), ENV, PRIYA, None),
    ("the owner, whatever their roles", at_env(owner=QUINN), ENV, QUINN, None),
    ("a support lead", at_env(), ENV, SVEN, (SVEN, "may not retry steps")),
    ("a csm who is not the owner", at_env(), ENV, QUINN, (QUINN, "may not retry steps")),
    ("the customer admin", at_env(), ENV, ADA, (ADA, "may not retry steps")),
    (
        "a step not yet run",
        at_env(),
        StepKey.FEATURE_ENABLEMENT,
        OLIVIA,
        ("step feature_enablement is pending, not blocked", "only a blocked step is retried"),
    ),
    (
        "a step already done",
        at_env(),
        StepKey.ACCESS_IDENTITY,
        OLIVIA,
        ("step access_identity is done, not blocked",),
    ),
    (
        "a repeat while the retried step runs",
        at_env(StepStatus.RUNNING),
        ENV,
        OLIVIA,
        ("step environment_validation is running, not blocked",),
    ),
]


@pytest.mark.parametrize(
    ("current", "step", "by", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in RETRY_CASES],
)
def test_retry(
    current: OnboardingStatus, step: StepKey, by: str, expected: tuple[str, ...] | None
) -> None:
    check(refusal_retry(current, ROSTER, RetryStep(by=by, step=step)), expected)
