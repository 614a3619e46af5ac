"""The post-onboarding review's findings (PHASE-33 "Post-Onboarding Review").

Pure and deterministic (no I/O, no clock, no templating), so the workflow sandbox may
import it. From the contract and the platform's usage figures (``gather_usage``: the
``GET /v1/tenants/{id}/usage`` fields ``active_users``, ``minutes_localised``,
``features_used``, ``admins_logged_in``, ``api_latency_ms_p95`` and ``error_rate``) it
derives the findings of the three review areas:

- usage patterns: active users against seats, minutes localised, features used;
- enablement gaps: contracted features never used, named admins who never logged in,
  enablement items the customer never opened;
- performance validation: API latency p95 and error rate against the SLA tier's targets.

Every finding carries a severity (``info``, ``gap`` or ``breach``) and a recommended action.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from onboarding.contract import Contract, SlaTier
from onboarding.steps import EnablementItem

Severity = Literal["info", "gap", "breach"]
"""``info``: worth knowing; ``gap``: act on it; ``breach``: a contract or SLA target missed."""
Area = Literal["usage", "enablement", "performance"]

REPORT_NAME = "post-onboarding-review.md"
"""File name of the review report, stored in the tenant's artifacts folder."""

LOW_ADOPTION_SHARE = 0.25
"""Below this share of contracted seats in active use, adoption is a gap."""


class PerformanceTarget(BaseModel):
    """The performance an SLA tier promises, as measured over the platform's recent requests.

    Attributes:
        api_latency_ms_p95: Highest acceptable 95th percentile API latency, in milliseconds.
        error_rate: Highest acceptable share of API responses that are server errors (0-1).
    """

    model_config = ConfigDict(frozen=True)

    api_latency_ms_p95: float = Field(gt=0)
    error_rate: float = Field(gt=0, le=1)


PERFORMANCE_TARGETS: Mapping[SlaTier, PerformanceTarget] = {
    SlaTier.STANDARD: PerformanceTarget(api_latency_ms_p95=1500, error_rate=0.02),
    SlaTier.PREMIUM: PerformanceTarget(api_latency_ms_p95=1000, error_rate=0.015),
    SlaTier.ENTERPRISE: PerformanceTarget(api_latency_ms_p95=800, error_rate=0.01),
}
"""Performance targets per SLA tier; the higher the tier, the stricter."""


class Finding(BaseModel):
    """One finding of the review.

    Attributes:
        area: The review area it belongs to.
        code: Stable kind of finding, such as ``feature_unused`` or ``api_latency_p95``.
        subject: What it is about (a feature, an admin's e-mail, an item), if one thing.
        severity: ``info``, ``gap`` or ``breach``.
        summary: What was seen, in one sentence.
        action: The recommended action (for ``info``, what to keep doing).
    """

    model_config = ConfigDict(frozen=True)

    area: Area
    code: str
    subject: str | None = None
    severity: Severity
    summary: str
    action: str


class UsageSummary(BaseModel):
    """The usage figures the findings were drawn from (``None``: not reported)."""

    model_config = ConfigDict(frozen=True)

    seats: int
    active_users: int | None = None
    seat_utilisation: float | None = None
    """Active users per contracted seat (0-1, above 1 when over the seat count)."""
    minutes_localised: float | None = None
    contracted_features: list[str] = Field(default_factory=list)
    features_used: list[str] | None = None
    admins: list[str] = Field(default_factory=list)
    """The contract's named admin contacts."""
    admins_logged_in: list[str] | None = None
    enablement_opened: list[str] | None = None
    api_latency_ms_p95: float | None = None
    error_rate: float | None = None


class ReviewFindings(BaseModel):
    """Everything the review found for one tenant."""

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    sla_tier: SlaTier
    targets: PerformanceTarget
    usage: UsageSummary
    findings: list[Finding]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def performance_validated(self) -> bool:
        """Whether both performance figures were reported and compared with the targets."""
        return self.usage.api_latency_ms_p95 is not None and self.usage.error_rate is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def passed(self) -> bool:
        """True when performance was validated and nothing is a breach (gaps may remain)."""
        return self.performance_validated and not self.breaches

    @property
    def gaps(self) -> list[Finding]:
        """The findings of severity ``gap``."""
        return [f for f in self.findings if f.severity == "gap"]

    @property
    def breaches(self) -> list[Finding]:
        """The findings of severity ``breach``."""
        return [f for f in self.findings if f.severity == "breach"]

    def in_area(self, area: Area) -> list[Finding]:
        """Return the findings of one review area, in the order they were found."""
        return [f for f in self.findings if f.area == area]


class ReviewReportRequest(BaseModel):
    """Input of the ``write_review_report`` activity.

    Attributes:
        contract: The tenant's contract.
        usage: The usage facts ``gather_usage`` returned (``enablement_opened`` included).
        feedback_text: Feedback captured from a customer admin or the CSM, if any yet.
        feedback_by: Who gave it.
        feedback_at: When it was given.
        go_live_at: When the tenant went live.
        reviewed_at: When the review ran (decided by the workflow; stable across retries).
    """

    contract: Contract
    usage: dict[str, Any] = Field(default_factory=dict)
    feedback_text: str | None = None
    feedback_by: str | None = None
    feedback_at: datetime | None = None
    go_live_at: datetime
    reviewed_at: datetime

    @property
    def tenant_id(self) -> str:
        """The tenant under review."""
        return self.contract.tenant.id


def percentage(share: float) -> str:
    """Return a share (0-1) as a percentage with at most two decimals, such as "2.5%"."""
    return f"{share * 100:.2f}".rstrip("0").rstrip(".") + "%"


def review_findings(
    contract: Contract,
    usage: Mapping[str, Any],
    performance_targets: Mapping[SlaTier, PerformanceTarget] = PERFORMANCE_TARGETS,
) -> ReviewFindings:
    """Review a live tenant's usage, enablement and performance.

    Args:
        contract: The tenant's contract (seats, features, admins, SLA tier).
        usage: Usage figures as ``gather_usage`` returns them; a missing or malformed
            figure becomes a ``gap`` finding rather than an error. Its
            ``enablement_opened`` lists the enablement items (`EnablementItem` values) the
            customer opened; without it nobody knows, which is an ``info`` finding.
        performance_targets: Targets per SLA tier; `PERFORMANCE_TARGETS` by default.

    Returns:
        The findings, usage first, then enablement, then performance.

    Raises:
        ValueError: ``performance_targets`` has no target for the contract's tier.
    """
    tier = contract.contract.sla_tier
    if tier not in performance_targets:
        raise ValueError(
            f"No performance target for the {tier.value} SLA tier; "
            "give performance_targets an entry for every tier."
        )
    summary = _summary(contract, usage)
    targets = performance_targets[tier]
    findings = [
        *_usage_findings(summary),
        *_enablement_findings(summary),
        *_performance_findings(summary, targets, tier),
    ]
    return ReviewFindings(
        tenant_id=contract.tenant.id,
        sla_tier=tier,
        targets=targets,
        usage=summary,
        findings=findings,
    )


def _summary(contract: Contract, usage: Mapping[str, Any]) -> UsageSummary:
    seats = contract.contract.seats
    active = _number(usage.get("active_users"))
    return UsageSummary(
        seats=seats,
        active_users=None if active is None else int(active),
        seat_utilisation=None if active is None else round(active / seats, 4),
        minutes_localised=_number(usage.get("minutes_localised")),
        contracted_features=list(contract.contract.features),
        features_used=_strings(usage.get("features_used")),
        admins=[a.email for a in contract.contacts.admins],
        admins_logged_in=_strings(usage.get("admins_logged_in"), lower=True),
        enablement_opened=_strings(usage.get("enablement_opened")),
        api_latency_ms_p95=_number(usage.get("api_latency_ms_p95")),
        error_rate=_number(usage.get("error_rate")),
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def _strings(value: Any, *, lower: bool = False) -> list[str] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    return [v.strip().lower() if lower else v.strip() for v in value]


def _missing(area: Area, figure: str, consequence: str) -> Finding:
    return Finding(
        area=area,
        code="figure_missing",
        subject=figure,
        severity="gap",
        summary=f"The platform reported no usable '{figure}' figure, so {consequence}.",
        action="Check the platform's usage endpoint for the tenant, then run the review again.",
    )


def _usage_findings(usage: UsageSummary) -> list[Finding]:
    return [
        _seat_finding(usage),
        _minutes_finding(usage),
        *_feature_use_findings(usage),
    ]


def _seat_finding(usage: UsageSummary) -> Finding:
    active, seats, share = usage.active_users, usage.seats, usage.seat_utilisation
    if active is None or share is None:
        return _missing("usage", "active_users", "seat adoption could not be reviewed")
    seen = f"{active} of {seats} contracted seats were active in the last 30 days"
    seen += f" ({percentage(share)})"
    if active == 0:
        return Finding(
            area="usage",
            code="seat_utilisation",
            severity="gap",
            summary=f"Nobody used the tenant: {seen}.",
            action="Call the customer admins to find what blocks them and plan a rollout "
            "with them.",
        )
    if active > seats:
        return Finding(
            area="usage",
            code="seat_utilisation",
            severity="gap",
            summary=f"More users than seats: {seen}.",
            action="Discuss a seat increase with the customer and amend the contract.",
        )
    if share < LOW_ADOPTION_SHARE:
        return Finding(
            area="usage",
            code="seat_utilisation",
            severity="gap",
            summary=f"Low adoption: {seen}, below {percentage(LOW_ADOPTION_SHARE)}.",
            action="Agree an adoption plan with the customer admins: invite the remaining "
            "users and offer a walkthrough for new teams.",
        )
    return Finding(
        area="usage",
        code="seat_utilisation",
        severity="info",
        summary=f"Healthy adoption: {seen}.",
        action="None; keep watching adoption at the next account review.",
    )


def _minutes_finding(usage: UsageSummary) -> Finding:
    minutes = usage.minutes_localised
    if minutes is None:
        return _missing("usage", "minutes_localised", "localisation volume could not be reviewed")
    if minutes == 0:
        return Finding(
            area="usage",
            code="minutes_localised",
            severity="gap",
            summary="No video minutes were localised since go-live.",
            action="Help the customer localise a first production video end to end.",
        )
    return Finding(
        area="usage",
        code="minutes_localised",
        severity="info",
        summary=f"{minutes:g} video minute(s) were localised.",
        action="None.",
    )


def _feature_use_findings(usage: UsageSummary) -> list[Finding]:
    used = usage.features_used
    if used is None:
        return [_missing("usage", "features_used", "feature use could not be reviewed")]
    contracted = set(usage.contracted_features)
    findings = [
        Finding(
            area="usage",
            code="features_used",
            severity="info",
            summary=(
                f"Features in use: {', '.join(used)}." if used else "No feature was used yet."
            ),
            action="None.",
        )
    ]
    findings += [
        Finding(
            area="usage",
            code="uncontracted_feature",
            subject=feature,
            severity="breach",
            summary=f"Feature '{feature}' is in use but not in the contract.",
            action=f"Disable '{feature}' through the onboarding's feature enablement, find how "
            "it was enabled, or amend the contract first.",
        )
        for feature in used
        if feature not in contracted
    ]
    return findings


def _enablement_findings(usage: UsageSummary) -> list[Finding]:
    return [*_unused_features(usage), *_silent_admins(usage), *_unopened_items(usage)]


def _unused_features(usage: UsageSummary) -> list[Finding]:
    if usage.features_used is None:
        return []  # already a usage gap: the figure is missing
    used = set(usage.features_used)
    return [
        Finding(
            area="enablement",
            code="feature_unused",
            subject=feature,
            severity="gap",
            summary=f"Contracted feature '{feature}' was never used.",
            action=f"Offer the customer admins a session on '{feature}' and confirm they "
            "still need it.",
        )
        for feature in usage.contracted_features
        if feature not in used
    ]


def _silent_admins(usage: UsageSummary) -> list[Finding]:
    if usage.admins_logged_in is None:
        return [_missing("enablement", "admins_logged_in", "admin logins could not be reviewed")]
    logged_in = set(usage.admins_logged_in)
    return [
        Finding(
            area="enablement",
            code="admin_never_logged_in",
            subject=admin,
            severity="gap",
            summary=f"Named admin {admin} has not logged in since go-live.",
            action=f"Contact {admin}: check their invitation, MFA and SSO set-up, and "
            "confirm they are still the customer's admin.",
        )
        for admin in usage.admins
        if admin not in logged_in
    ]


def _unopened_items(usage: UsageSummary) -> list[Finding]:
    if usage.enablement_opened is None:
        return [
            Finding(
                area="enablement",
                code="item_opens_unknown",
                severity="info",
                summary="Which enablement items the customer opened is not known.",
                action="Ask the customer admins whether they went through the walkthrough, "
                "admin guide, security best practices and support overview.",
            )
        ]
    opened = set(usage.enablement_opened)
    return [
        Finding(
            area="enablement",
            code="item_unopened",
            subject=item.value,
            severity="gap",
            summary=f"The customer never opened the enablement item '{item.value}'.",
            action=f"Send '{item.value}' to the customer admins again and walk them through it.",
        )
        for item in EnablementItem
        if item.value not in opened
    ]


def _performance_findings(
    usage: UsageSummary, targets: PerformanceTarget, tier: SlaTier
) -> list[Finding]:
    findings: list[Finding] = []
    latency, errors = usage.api_latency_ms_p95, usage.error_rate
    if latency is None:
        findings.append(_missing("performance", "api_latency_ms_p95", "latency is unvalidated"))
    else:
        seen = f"API latency p95 is {latency:g} ms against the {tier.value} target of "
        seen += f"{targets.api_latency_ms_p95:g} ms"
        findings.append(
            _against_target("api_latency_p95", seen, latency, targets.api_latency_ms_p95)
        )
    if errors is None:
        findings.append(_missing("performance", "error_rate", "the error rate is unvalidated"))
    else:
        seen = f"API error rate is {percentage(errors)} against the {tier.value} target of "
        seen += percentage(targets.error_rate)
        findings.append(_against_target("error_rate", seen, errors, targets.error_rate))
    return findings


def _against_target(code: str, seen: str, value: float, limit: float) -> Finding:
    if value > limit:
        return Finding(
            area="performance",
            code=code,
            severity="breach",
            summary=f"{seen}: the target is missed.",
            action="Open a Sev2 ticket in the tenant's support queue for platform engineering "
            "to investigate, and tell the customer's escalation contacts.",
        )
    return Finding(
        area="performance",
        code=code,
        severity="info",
        summary=f"{seen}: within target.",
        action="None.",
    )
