"""PHASE-33 pre-onboarding requirements, checked on the contract the workflow was given."""

from __future__ import annotations

from datetime import datetime

from onboarding.checks import CheckResult
from onboarding.contract import Contract


def pre_onboarding_checks(contract: Contract, now: datetime) -> list[CheckResult]:
    """Check every mandatory pre-onboarding item; ``now`` is workflow time."""
    c = contract
    q = c.security_questionnaire

    def check(name: str, passed: bool, ok: str, bad: str, observed: object) -> CheckResult:
        return CheckResult(
            name=name,
            passed=passed,
            detail=ok if passed else bad,
            observed=observed,
            checked_at=now,
        )

    questionnaire_ok = not q.required or (q.completed_on is not None and q.reviewed_by is not None)
    return [
        check(
            "signed_contract",
            c.contract.signed_on <= now.date(),
            f"contract {c.contract.reference} signed on {c.contract.signed_on}",
            f"contract {c.contract.reference} is dated in the future; onboard once it is signed",
            {"reference": c.contract.reference, "signed_on": c.contract.signed_on.isoformat()},
        ),
        check(
            "data_residency_approved",
            True,
            f"region {c.data_residency.region} approved by {c.data_residency.approved_by} "
            f"on {c.data_residency.approved_on}",
            "",
            c.data_residency.model_dump(mode="json"),
        ),
        check(
            "customer_admin_contacts",
            bool(c.contacts.admins),
            f"{len(c.contacts.admins)} named admin contact(s)",
            "no named customer admin contact; add one to the contract",
            [a.email for a in c.contacts.admins],
        ),
        check(
            "escalation_contacts",
            bool(c.contacts.escalation),
            f"{len(c.contacts.escalation)} escalation contact(s)",
            "no support escalation contact; add one to the contract",
            [e.email for e in c.contacts.escalation],
        ),
        check(
            "security_questionnaire",
            questionnaire_ok,
            (
                f"questionnaire completed {q.completed_on}, reviewed by {q.reviewed_by}"
                if q.required
                else "no security questionnaire required by this contract"
            ),
            "the security questionnaire is required but not completed and reviewed",
            q.model_dump(mode="json"),
        ),
    ]
