"""`review_findings`: usage patterns, enablement gaps and performance against the tier."""

from __future__ import annotations

import subprocess
import sys

import pytest

from activities.golive import USAGE_FIELDS
from onboarding.contract import SlaTier
from onboarding.review import (
    PERFORMANCE_TARGETS,
    PerformanceTarget,
    ReviewFindings,
    review_findings,
)
from sandbox.schemas import UsageOut
from tests.activities.support import northwind
from tests.conftest import ROOT
from tests.review.support import ADMIN, ALL_ITEMS, contract, healthy_usage


def codes(findings: ReviewFindings, severity: str) -> list[tuple[str, str | None]]:
    return [(f.code, f.subject) for f in findings.findings if f.severity == severity]


def test_healthy_tenant_has_no_gaps_and_passes() -> None:
    findings = review_findings(contract(), healthy_usage())

    assert findings.passed and findings.performance_validated
    assert findings.gaps == [] and findings.breaches == []
    assert {f.severity for f in findings.findings} == {"info"}
    assert [f.code for f in findings.findings] == [
        "seat_utilisation",
        "minutes_localised",
        "features_used",
        "api_latency_p95",
        "error_rate",
    ]
    assert all(f.action for f in findings.findings)
    assert findings.usage.seat_utilisation == 0.5
    assert "60 of 120 contracted seats" in findings.findings[0].summary
    assert findings.targets == PERFORMANCE_TARGETS[SlaTier.ENTERPRISE]
    dumped = findings.model_dump(mode="json")
    assert dumped["passed"] is True and dumped["performance_validated"] is True


def test_review_reads_every_usage_figure_the_platform_reports() -> None:
    assert set(healthy_usage()) == set(USAGE_FIELDS) == set(UsageOut.model_fields)


def test_unused_contracted_features_are_gaps() -> None:
    usage = healthy_usage(features_used=["subtitles", "glossary"])

    findings = review_findings(contract(), usage)

    unused = [f for f in findings.gaps if f.code == "feature_unused"]
    assert [f.subject for f in unused] == ["dubbing", "sso", "api_access"]
    assert all(f.area == "enablement" for f in unused)
    assert "'dubbing'" in unused[0].action
    assert findings.passed  # gaps need follow-up, but nothing breaches


def test_feature_used_outside_the_contract_is_a_breach() -> None:
    used = [*healthy_usage()["features_used"], "voice_clone"]
    usage = healthy_usage(features_used=used)

    findings = review_findings(contract(), usage)

    assert codes(findings, "breach") == [("uncontracted_feature", "voice_clone")]
    assert not findings.passed


def test_admins_who_never_logged_in_are_gaps() -> None:
    admins = [
        {"name": "Ada Park", "email": ADMIN},
        {"name": "Bo Lind", "email": "bo.lind@northwind.example"},
    ]
    escalation = [{"name": "Sam Ortiz", "email": "sam.ortiz@northwind.example"}]
    two_admins = northwind(contacts={"admins": admins, "escalation": escalation})
    usage = healthy_usage(admins_logged_in=["ADA.PARK@northwind.example", "someone@else.example"])

    findings = review_findings(two_admins, usage)

    assert codes(findings, "gap") == [("admin_never_logged_in", "bo.lind@northwind.example")]
    assert "bo.lind@northwind.example" in findings.gaps[0].action


def test_enablement_items_never_opened_are_gaps() -> None:
    findings = review_findings(
        contract(), healthy_usage(enablement_opened=["walkthrough", "admin-guide"])
    )

    assert codes(findings, "gap") == [
        ("item_unopened", "security-best-practices"),
        ("item_unopened", "support-overview"),
    ]


def test_unknown_enablement_opens_are_info_not_gaps() -> None:
    findings = review_findings(contract(), healthy_usage(enablement_opened=None))

    assert findings.gaps == []
    assert ("item_opens_unknown", None) in codes(findings, "info")


def test_nothing_opened_makes_every_item_a_gap() -> None:
    findings = review_findings(contract(), healthy_usage(enablement_opened=[]))

    assert [s for c, s in codes(findings, "gap") if c == "item_unopened"] == ALL_ITEMS


@pytest.mark.parametrize(
    ("active", "severity", "words"),
    [
        (0, "gap", "Nobody used"),
        (12, "gap", "Low adoption"),
        (30, "info", "Healthy adoption"),
        (130, "gap", "More users than seats"),
    ],
)
def test_active_users_are_measured_against_seats(active: int, severity: str, words: str) -> None:
    findings = review_findings(contract(), healthy_usage(active_users=active))

    seats = findings.findings[0]
    assert (seats.code, seats.severity) == ("seat_utilisation", severity)
    assert words in seats.summary


def test_nothing_localised_is_a_gap() -> None:
    findings = review_findings(contract(), healthy_usage(minutes_localised=0))

    assert codes(findings, "gap") == [("minutes_localised", None)]


@pytest.mark.parametrize(
    ("tier", "latency_breached", "errors_breached"),
    [("enterprise", True, True), ("premium", False, False), ("standard", False, False)],
)
def test_performance_breach_depends_on_the_tier(
    tier: str, latency_breached: bool, errors_breached: bool
) -> None:
    usage = healthy_usage(api_latency_ms_p95=900.0, error_rate=0.015)

    findings = review_findings(contract(tier), usage)

    breached = {code for code, _ in codes(findings, "breach")}
    assert ("api_latency_p95" in breached) is latency_breached
    assert ("error_rate" in breached) is errors_breached
    assert findings.passed is not (latency_breached or errors_breached)


def test_standard_tier_breaches_only_past_its_own_targets() -> None:
    usage = healthy_usage(api_latency_ms_p95=1600.0, error_rate=0.03)

    findings = review_findings(contract("standard"), usage)

    latency, errors = findings.in_area("performance")
    assert latency.severity == errors.severity == "breach"
    assert "1600 ms against the standard target of 1500 ms" in latency.summary
    assert "3% against the standard target of 2%" in errors.summary
    assert "Sev2" in latency.action


def test_enterprise_targets_are_the_strictest() -> None:
    enterprise = PERFORMANCE_TARGETS[SlaTier.ENTERPRISE]
    assert enterprise == PerformanceTarget(api_latency_ms_p95=800, error_rate=0.01)
    for tier in SlaTier:
        assert enterprise.api_latency_ms_p95 <= PERFORMANCE_TARGETS[tier].api_latency_ms_p95
        assert enterprise.error_rate <= PERFORMANCE_TARGETS[tier].error_rate


def test_targets_can_be_given_and_must_cover_the_tier() -> None:
    strict = {SlaTier.ENTERPRISE: PerformanceTarget(api_latency_ms_p95=300, error_rate=0.001)}

    findings = review_findings(contract(), healthy_usage(), performance_targets=strict)

    assert codes(findings, "breach") == [("api_latency_p95", None), ("error_rate", None)]
    with pytest.raises(ValueError, match="standard SLA tier"):
        review_findings(contract("standard"), healthy_usage(), performance_targets=strict)


def test_missing_or_malformed_figures_are_gaps_and_performance_is_unvalidated() -> None:
    usage = {
        "active_users": "many",
        "features_used": None,
        "error_rate": True,
        "enablement_opened": ALL_ITEMS,
    }

    findings = review_findings(contract(), usage)

    assert [s for c, s in codes(findings, "gap") if c == "figure_missing"] == [
        "active_users",
        "minutes_localised",
        "features_used",
        "admins_logged_in",
        "api_latency_ms_p95",
        "error_rate",
    ]
    assert not findings.performance_validated and not findings.passed
    assert not [f for f in findings.findings if f.code == "feature_unused"]


def test_review_module_stays_free_of_io_and_templating() -> None:
    """The workflow sandbox imports it: no jinja, no httpx, no activities."""
    probe = (
        "import sys, onboarding.review; "
        "bad = [m for m in ('jinja2', 'httpx', 'activities', 'review', 'structlog') "
        "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
