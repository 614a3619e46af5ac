"""`write_review_report` in an activity context: the report stored with its stated hash."""

from __future__ import annotations

from pathlib import Path

from temporalio.testing import ActivityEnvironment

from activities.review import ReviewActivities
from onboarding.checks import StepResult
from onboarding.review import REPORT_NAME, ReviewReportRequest, review_findings
from review import render_review_report
from tests.review.support import (
    ADMIN,
    file_sha256,
    file_text,
    healthy_usage,
    modified_ns,
    names_in,
    report_request,
)


async def write(artifacts: Path, req: ReviewReportRequest) -> StepResult:
    return await ActivityEnvironment().run(ReviewActivities(artifacts).write_review_report, req)


async def test_report_is_written_with_the_stated_hash(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    req = report_request(usage={**report_request().usage, "features_used": ["subtitles"]})

    result = await write(artifacts, req)

    assert result.passed, result.failed
    (documented,) = result.checks
    assert documented.name == "review_documented"
    path = artifacts / "northwind-studios" / REPORT_NAME
    sha256 = file_sha256(path)
    assert documented.observed == {"path": str(path.resolve()), "sha256": sha256}
    assert result.facts["report"] == {"path": str(path.resolve()), "sha256": sha256}
    assert sha256 in documented.detail

    findings = review_findings(req.contract, req.usage)
    assert result.facts["findings"] == [f.model_dump(mode="json") for f in findings.findings]
    assert result.facts["passed"] is True
    assert {f["subject"] for f in result.facts["findings"] if f["code"] == "feature_unused"} == {
        "dubbing",
        "glossary",
        "sso",
        "api_access",
    }
    expected = render_review_report(
        req.contract,
        findings,
        req.feedback_text,
        req.go_live_at,
        req.reviewed_at,
        feedback_by=ADMIN,
        feedback_at=req.feedback_at,
    )
    assert file_text(path) == expected
    assert f"Captured from {ADMIN}" in expected


async def test_a_retried_activity_writes_the_same_report(tmp_path: Path) -> None:
    req = report_request()

    first = await write(tmp_path, req)
    path = Path(first.facts["report"]["path"])
    written = modified_ns(path)
    second = await write(tmp_path, req)

    assert first.facts == second.facts
    assert modified_ns(path) == written  # same content: the file is left alone
    assert names_in(path.parent) == [REPORT_NAME]


async def test_request_survives_the_data_converter_round_trip(tmp_path: Path) -> None:
    req = report_request(usage=healthy_usage(enablement_opened=None), feedback_text=None)

    again = ReviewReportRequest.model_validate_json(req.model_dump_json())

    assert again == req
    result = await write(tmp_path, again)
    assert result.passed
    report = file_text(Path(result.facts["report"]["path"]))
    assert "No feedback has been captured yet." in report


async def test_unwritable_artifacts_folder_fails_the_check_with_a_hint(tmp_path: Path) -> None:
    blocker = tmp_path / "artifacts"
    blocker.touch()  # a file where the folder should be

    result = await write(blocker, report_request())

    (documented,) = result.checks
    assert not documented.passed
    assert documented.observed["sha256"] is None
    assert "make the artifacts folder writable" in documented.detail
    assert "`onboard retry northwind-studios post_onboarding_review --as" in documented.detail
    assert result.facts["report"]["sha256"] is None
