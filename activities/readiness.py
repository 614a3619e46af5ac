"""PHASE-33 Step 1: internal readiness (stability, capacity, compliance). No customer action."""

from __future__ import annotations

from typing import Any

from temporalio import activity

from activities.evidence import (
    both,
    check,
    concurrently,
    guarded,
    log_checks,
    retry_hint,
    step_logger,
    utc_now,
)
from activities.heartbeat import heartbeating
from activities.platform import PlatformClient, ProbeConfig
from activities.result_size import size_bounded
from onboarding.checks import CheckResult, StepRequest, StepResult

BLOCKING_SEVERITIES = frozenset({1, 2})
"""Open incidents of these severities block onboarding."""


class ReadinessActivities:
    """Step 1 checks, read-only against the platform.

    Args:
        platform: The platform client.
        probe: Probe settings (unused here; every activity class takes the same pair).
    """

    def __init__(self, platform: PlatformClient, probe: ProbeConfig) -> None:
        self.platform = platform
        self.probe = probe

    @activity.defn(name="check_internal_readiness")
    @heartbeating
    @size_bounded
    async def check_internal_readiness(self, req: StepRequest) -> StepResult:
        """Confirm production stability, capacity and compliance for the contract."""
        log = step_logger(req)
        checks = await concurrently(
            guarded("production_stability", req, _STABILITY, lambda: self._stability(req)),
            guarded("capacity", req, req.contract.contract.seats, lambda: self._capacity(req)),
            guarded("compliance", req, "every item compliant", lambda: self._compliance(req)),
        )
        log_checks(log, checks)
        return StepResult(checks=checks, facts={"owner": req.owner} if req.owner else {})

    async def _stability(self, req: StepRequest) -> CheckResult:
        status = await self.platform.status(for_tenant=req.tenant_id)
        blocking = [
            {"id": i.get("id"), "severity": i.get("severity"), "title": i.get("title")}
            for i in status.get("incidents", [])
            if i.get("open") and i.get("severity") in BLOCKING_SEVERITIES
        ]
        rate = float(status.get("error_rate", 0.0))
        threshold = float(status.get("error_rate_threshold", 0.0))
        observed = {"blocking_incidents": blocking, "error_rate": rate, "threshold": threshold}
        problems = []
        if blocking:
            names = ", ".join(
                f"severity-{b['severity']} '{b['title']}' ({b['id']})" for b in blocking
            )
            problems.append(f"open incident(s) {names}")
        if rate >= threshold:
            problems.append(f"error rate {rate:.4f} is not under its threshold {threshold:.4f}")
        if problems:
            return check(
                "production_stability",
                False,
                f"Production is not stable: {'; '.join(problems)}; resolve it "
                f"(close the incident, bring the error rate down), then run {retry_hint(req)}.",
                expected=_STABILITY,
                observed=observed,
            )
        return check(
            "production_stability",
            True,
            f"No open severity-1/2 incident and error rate {rate:.4f} is under {threshold:.4f}.",
            expected=_STABILITY,
            observed=observed,
        )

    async def _capacity(self, req: StepRequest) -> CheckResult:
        name = req.contract.data_residency.region
        seats = req.contract.contract.seats
        expected = {"region": name, "free_seats_at_least": seats}
        region = await self.platform.region(name, for_tenant=req.tenant_id)
        if region is None:
            return check(
                "capacity",
                False,
                f"Region '{name}' is unknown to the platform; correct the contract's "
                f"data_residency.region, then run {retry_hint(req)}.",
                expected=expected,
                observed={"region": None},
            )
        capacity = int(region.get("capacity_seats", 0))
        used = int(region.get("used_seats", 0))
        free = capacity - used
        observed = {"region": name, "capacity_seats": capacity, "used_seats": used, "free": free}
        if free < seats:
            return check(
                "capacity",
                False,
                f"Region '{name}' has {free} free seats but the contract needs {seats}; "
                f"ask Platform to add capacity, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "capacity",
            True,
            f"Region '{name}' has {free} free seats for the contract's {seats}.",
            expected=expected,
            observed=observed,
        )

    async def _compliance(self, req: StepRequest) -> CheckResult:
        contract = req.contract
        region, catalogue = await both(
            self.platform.region(contract.data_residency.region, for_tenant=req.tenant_id),
            self.platform.feature_catalogue(),
        )
        findings = _compliance_findings(req, region, catalogue)
        observed = {
            "region": contract.data_residency.region,
            "residency_approved": None if region is None else region.get("residency_approved"),
            "residency_approved_by": contract.data_residency.approved_by,
            "residency_approved_on": contract.data_residency.approved_on.isoformat(),
            "questionnaire_required": contract.security_questionnaire.required,
            "contract_signed_on": contract.contract.signed_on.isoformat(),
            "features": {f: _stage(catalogue, f) for f in contract.contract.features},
            "problems": findings,
        }
        expected = {
            "residency_region_approved": True,
            "residency_approval_recorded": True,
            "questionnaire_reviewed_when_required": True,
            "contract_signed_on_or_before_today": True,
            "contracted_features_ga": True,
        }
        if findings:
            return check(
                "compliance",
                False,
                f"Not compliant: {'; '.join(findings)}; fix the contract or the platform "
                f"and get the change approved, then run {retry_hint(req)}.",
                expected=expected,
                observed=observed,
            )
        return check(
            "compliance",
            True,
            f"Residency region '{contract.data_residency.region}' is approved, the contract "
            "is signed, reviews are recorded and every contracted feature is GA.",
            expected=expected,
            observed=observed,
        )


_STABILITY = {"open_severity_1_2_incidents": 0, "error_rate": "under threshold"}


def _stage(catalogue: list[dict[str, Any]], key: str) -> str | None:
    for item in catalogue:
        if item.get("key") == key:
            stage = item.get("stage")
            return str(stage) if stage is not None else None
    return None


def _compliance_findings(
    req: StepRequest, region: dict[str, Any] | None, catalogue: list[dict[str, Any]]
) -> list[str]:
    contract = req.contract
    residency = contract.data_residency
    today = utc_now().date()
    findings = []
    if region is None:
        findings.append(f"residency region '{residency.region}' does not exist")
    elif region.get("residency_approved") is not True:
        findings.append(f"region '{residency.region}' is not approved for data residency")
    if not residency.approved_by or residency.approved_on is None:
        findings.append("the residency approval has no approver or date")
    elif residency.approved_on > today:
        findings.append(f"the residency approval is dated in the future ({residency.approved_on})")
    questionnaire = contract.security_questionnaire
    if questionnaire.required and (
        questionnaire.completed_on is None or questionnaire.reviewed_by is None
    ):
        findings.append("the required security questionnaire has not been reviewed")
    if contract.contract.signed_on > today:
        findings.append(f"the contract is signed in the future ({contract.contract.signed_on})")
    for feature in contract.contract.features:
        stage = _stage(catalogue, feature)
        if stage is None:
            findings.append(f"contracted feature '{feature}' is not in the catalogue")
        elif stage != "ga":
            findings.append(f"contracted feature '{feature}' is {stage}, not GA")
    return findings
