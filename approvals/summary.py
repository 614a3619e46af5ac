"""What a customer approves, in words: the lines the link's page shows before they confirm."""

from __future__ import annotations

from onboarding.gates import REVIEW_FEEDBACK
from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES, StepStatus


def approval_lines(status: OnboardingStatus, gate: str) -> list[str]:
    """The facts a customer admin is asked to approve at a gate (plain text; escape to show)."""
    if gate == REVIEW_FEEDBACK:
        lines = [f"Onboarding of {status.tenant_name}: live since {_when(status.go_live_at)}."]
        lines.append("Your feedback goes into the post-onboarding review's documented findings.")
        return lines
    lines = [f"Go-live of {status.tenant_name} ({status.tenant_id})."]
    for step in status.steps:
        if step.status in (StepStatus.DONE, StepStatus.WAIVED) and step.checks:
            passed = sum(c.passed for c in step.checks)
            waived = (
                " (passed over by an approved deviation)"
                if step.status is StepStatus.WAIVED
                else ""
            )
            lines.append(
                f"{STEP_TITLES[step.key]}: {passed} of {len(step.checks)} checks passed{waived}"
            )
    for doc in status.documents:
        lines.append(f"Document {doc.get('title') or doc.get('key')}: version {doc.get('version')}")
    if status.support is not None:
        lines.append(f"Support: {status.support.primary_channel}")
    lines.append("Go-live follows once LocalizeVideos' platform and support sign-offs are in.")
    return lines


def _when(moment: object) -> str:
    return moment.isoformat() if hasattr(moment, "isoformat") else "-"
