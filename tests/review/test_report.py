"""`render_review_report`: every section, the findings table and the captured feedback."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from onboarding.review import ReviewFindings, review_findings
from review import render_review_report
from tests.activities.support import northwind
from tests.review.support import ADMIN, GO_LIVE, REVIEWED, contract, healthy_usage

SECTIONS = [
    "## Summary",
    "## Usage patterns",
    "## Enablement gaps",
    "## Performance validation",
    "## Findings",
    "## Customer feedback",
]


def troubled() -> ReviewFindings:
    usage = healthy_usage(
        active_users=10,
        features_used=["subtitles"],
        admins_logged_in=[],
        api_latency_ms_p95=950.5,
        error_rate=0.004,
        enablement_opened=["walkthrough"],
    )
    return review_findings(contract(), usage)


def table_rows(report: str, heading: str) -> list[list[str]]:
    """Return the body rows of the first table under a heading, split into cells."""
    section = report.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    return [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines[2:]]


def test_report_renders_every_section_in_order() -> None:
    report = render_review_report(contract(), troubled(), "Fine.", GO_LIVE, REVIEWED)

    positions = [report.index(heading) for heading in SECTIONS]
    assert positions == sorted(positions)
    assert report.startswith("# Post-onboarding review: Northwind Studios\n")
    assert "- Contract: CTR-2026-0117, enterprise SLA, 120 seats" in report
    assert "- Went live: 2026-10-30 09:00 UTC" in report
    assert "28 day(s) after go-live\n  (within the 30-day review window)" in report
    assert "**Action required**" in report


def test_findings_table_lists_every_finding_with_severity_and_action() -> None:
    findings = troubled()

    report = render_review_report(contract(), findings, None, GO_LIVE, REVIEWED)

    rows = table_rows(report, "## Findings")
    assert len(rows) == len(findings.findings)
    for row, finding in zip(rows, findings.findings, strict=True):
        _, severity, area, summary, action = (cell.strip() for cell in row)
        assert (severity, area) == (finding.severity, finding.area)
        assert summary.replace("\\", "") == finding.summary
        assert action.replace("\\", "") == finding.action
    assert int(rows[-1][0]) == len(findings.findings)


def test_usage_enablement_and_performance_sections_show_the_figures() -> None:
    report = render_review_report(contract(), troubled(), None, GO_LIVE, REVIEWED)

    assert "| Active users (last 30 days) | 10 of 120 seats (8.33%) |" in report
    assert "| Minutes localised | 240 minutes |" in report
    assert "| Named admins logged in | none |" in report
    assert "- **gap**: Contracted feature 'dubbing' was never used." in report
    assert f"Named admin {ADMIN} has not logged in since go-live" in report
    assert "The customer never opened the enablement item 'admin-guide'." in report
    assert table_rows(report, "## Performance validation") == [
        [" API latency p95 ", " 950.5 ms ", " at most 800 ms ", " missed "],
        [" API error rate ", " 0.4% ", " at most 1% ", " met "],
    ]


def test_healthy_review_reads_as_passed_without_gaps() -> None:
    findings = review_findings(contract(), healthy_usage())

    report = render_review_report(contract(), findings, "All good.", GO_LIVE, REVIEWED)

    assert "**Passed**" in report and "No action is needed." in report
    assert "\n\n\n" not in report
    assert "No enablement gaps: every contracted feature is in use" in report
    assert "| Features used | subtitles, dubbing, glossary, sso, api_access |" in report


def test_captured_feedback_is_quoted_escaped_and_attributed() -> None:
    feedback = "Dubbing | glossary work well.\n# not a heading\n- nor a *list*"
    at = REVIEWED - timedelta(hours=3)

    report = render_review_report(
        contract(), troubled(), feedback, GO_LIVE, REVIEWED, feedback_by=ADMIN, feedback_at=at
    )

    section = report.split("## Customer feedback", 1)[1]
    assert (
        "> Dubbing \\| glossary work well.\n> \\# not a heading\n> \\- nor a \\*list\\*" in section
    )
    assert f"Captured from {ADMIN} on 2026-11-27 06:00 UTC." in section


def test_missing_feedback_says_how_to_capture_it() -> None:
    report = render_review_report(contract(), troubled(), "   ", GO_LIVE, REVIEWED)

    section = report.split("## Customer feedback", 1)[1]
    assert "No feedback has been captured yet." in section
    assert '`onboard feedback northwind-studios --text "..." --as <e-mail>`' in section


def test_late_review_and_unreported_performance_are_called_out() -> None:
    findings = review_findings(contract(), {})

    report = render_review_report(contract(), findings, None, GO_LIVE, GO_LIVE + timedelta(days=31))

    assert "31 day(s) after go-live\n  (**outside** the 30-day review window)" in report
    assert "Performance could not be validated" in report
    assert "| Active users (last 30 days) | not reported (120 seats) |" in report
    assert table_rows(report, "## Performance validation") == [
        [" API latency p95 ", " not reported ", " at most 800 ms ", " not validated "],
        [" API error rate ", " not reported ", " at most 1% ", " not validated "],
    ]


def test_report_refuses_another_tenants_findings() -> None:
    other = northwind(tenant={"id": "contoso-media", "name": "Contoso Media"})

    with pytest.raises(ValueError, match="tenant northwind-studios's, not contoso-media's"):
        render_review_report(other, troubled(), None, GO_LIVE, REVIEWED)
