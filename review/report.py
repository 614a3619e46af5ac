"""Render the post-onboarding review report: the findings and the feedback, in Markdown."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache

from jinja2 import Environment

from documents.markdown import Markdown, markdown_environment
from onboarding.contract import Contract
from onboarding.policy import REVIEW_LIMIT
from onboarding.review import ReviewFindings, percentage
from onboarding.text import escape_markdown

TEMPLATE = "report.md.j2"


def render_review_report(
    contract: Contract,
    findings: ReviewFindings,
    feedback: str | None,
    go_live_at: datetime,
    reviewed_at: datetime,
    *,
    feedback_by: str | None = None,
    feedback_at: datetime | None = None,
) -> str:
    """Render the review report of one tenant as Markdown.

    Args:
        contract: The tenant's contract.
        findings: The review's findings (`onboarding.review.review_findings`).
        feedback: Feedback captured from a customer admin or the CSM; ``None`` when none
            was captured yet, which the report says.
        go_live_at: When the tenant went live.
        reviewed_at: When the review ran.
        feedback_by: Who gave the feedback, if known.
        feedback_at: When the feedback was given, if known.

    Returns:
        The report: summary, usage patterns, enablement gaps, performance validation, a
        table of every finding with its recommended action, and the captured feedback.

    Raises:
        ValueError: The findings are another tenant's.
    """
    if findings.tenant_id != contract.tenant.id:
        raise ValueError(
            f"The findings are tenant {findings.tenant_id}'s, not {contract.tenant.id}'s; "
            "render the report with the findings of the same contract."
        )
    after = reviewed_at - go_live_at
    template = _environment().get_template(TEMPLATE)
    return template.render(
        tenant=contract.tenant,
        terms=contract.contract,
        findings=findings,
        usage=findings.usage,
        performance=performance_rows(findings),
        feedback=feedback.strip() if feedback and feedback.strip() else None,
        feedback_by=feedback_by,
        feedback_at=feedback_at,
        go_live_at=go_live_at,
        reviewed_at=reviewed_at,
        days_after=after.days,
        within_window=after <= REVIEW_LIMIT,
        window_days=REVIEW_LIMIT.days,
    )


def blockquote(value: object) -> Markdown:
    """Return text as a Markdown block quote, line breaks kept and markup escaped."""
    lines = escape_markdown(value, multiline=True).split("<br>")
    return Markdown("\n".join(f"> {line}" if line else ">" for line in lines))


def timestamp(value: datetime) -> str:
    """Return a time as ``YYYY-MM-DD HH:MM UTC`` (a naive time is taken as UTC)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def figure(value: object, unit: str = "") -> str:
    """Return a usage figure with its unit, or "not reported" for ``None``."""
    if value is None:
        return "not reported"
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text} {unit}".rstrip()


def percent(value: float | None) -> str:
    """Return a share (0-1) as a percentage, or "not reported" for ``None``."""
    return "not reported" if value is None else percentage(value)


def performance_rows(findings: ReviewFindings) -> list[dict[str, str]]:
    """Return the performance validation table: measure, observed, target and result.

    Args:
        findings: The review's findings.

    Returns:
        One row for API latency p95 and one for the API error rate; a figure the platform
        did not report is "not validated".
    """
    usage, targets = findings.usage, findings.targets
    missed = {f.code for f in findings.in_area("performance") if f.severity == "breach"}
    rows = []
    for label, code, value, limit, show in (
        (
            "API latency p95",
            "api_latency_p95",
            usage.api_latency_ms_p95,
            targets.api_latency_ms_p95,
            _milliseconds,
        ),
        ("API error rate", "error_rate", usage.error_rate, targets.error_rate, percent),
    ):
        met = "missed" if code in missed else "met"
        rows.append(
            {
                "measure": label,
                "observed": show(value),
                "target": f"at most {show(limit)}",
                "result": "not validated" if value is None else met,
            }
        )
    return rows


def _milliseconds(value: float | None) -> str:
    return figure(value, "ms")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return markdown_environment(
        "review", blockquote=blockquote, timestamp=timestamp, figure=figure, percent=percent
    )
