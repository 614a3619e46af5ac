"""The post-onboarding review documented: findings drawn, the report stored as an artifact.

`write_review_report` reviews the tenant's usage figures (`onboarding.review`), renders the
Markdown report (`review.render_review_report`) and stores it as
``<artifacts_dir>/<tenant>/post-onboarding-review.md``. The report depends only on the
request (no clock), so a retried activity writes the same content and changes nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from temporalio import activity

from activities.artifacts import store_text
from activities.evidence import activity_logger, check, log_checks
from onboarding.checks import CheckResult, StepResult
from onboarding.review import REPORT_NAME, ReviewReportRequest, review_findings
from onboarding.steps import StepKey
from review.report import render_review_report

_EXPECTED = "the review report stored with its stated SHA-256"


class ReviewActivities:
    """The review report, written to the artifacts folder.

    Args:
        artifacts_dir: Folder the report is stored under, one subfolder per tenant.
    """

    def __init__(self, artifacts_dir: Path) -> None:
        self.artifacts_dir = artifacts_dir

    @activity.defn(name="write_review_report")
    async def write_review_report(self, req: ReviewReportRequest) -> StepResult:
        """Draw the review's findings, render the report and store it (idempotent).

        Returns:
            The check ``review_documented`` (the file's path and SHA-256 observed) and the
            facts ``report`` (``path``, ``sha256``: ``None`` when it could not be stored),
            ``findings`` (each finding) and ``passed`` (the findings' verdict).
        """
        log = _logger(req)
        findings = review_findings(req.contract, req.usage)
        content = render_review_report(
            req.contract,
            findings,
            req.feedback_text,
            req.go_live_at,
            req.reviewed_at,
            feedback_by=req.feedback_by,
            feedback_at=req.feedback_at,
        )
        path = (self.artifacts_dir / req.tenant_id / REPORT_NAME).resolve()
        documented = await _documented(req, path, content)
        log_checks(log, [documented])
        facts: dict[str, Any] = {
            "report": documented.observed,
            "findings": [f.model_dump(mode="json") for f in findings.findings],
            "passed": findings.passed,
        }
        return StepResult(checks=[documented], facts=facts)


async def _documented(req: ReviewReportRequest, path: Path, content: str) -> CheckResult:
    expected_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()
    try:
        stored_hash = await asyncio.to_thread(store_text, path, content)
    except OSError as error:
        return check(
            "review_documented",
            False,
            f"The review report could not be stored at {path} ({error.strerror or error}); "
            f"make the artifacts folder writable, then run `onboard retry {req.tenant_id} "
            f"{StepKey.POST_ONBOARDING_REVIEW.value} --as <your e-mail>`.",
            expected=_EXPECTED,
            observed={"path": str(path), "sha256": None},
        )
    observed = {"path": str(path), "sha256": stored_hash}
    if stored_hash != expected_hash:
        return check(
            "review_documented",
            False,
            f"{path} holds content of SHA-256 {stored_hash}, not the report's {expected_hash}; "
            "check what else writes to the artifacts folder, then run the review again.",
            expected=_EXPECTED,
            observed=observed,
        )
    return check(
        "review_documented",
        True,
        f"The post-onboarding review of tenant {req.tenant_id} is documented in {path} "
        f"(SHA-256 {stored_hash}).",
        expected=_EXPECTED,
        observed=observed,
    )


def _logger(req: ReviewReportRequest) -> Any:
    return activity_logger(tenant_id=req.tenant_id, step=StepKey.POST_ONBOARDING_REVIEW.value)
