"""The Markdown the Web UI shows as the workflow's current details (sandbox-safe)."""

from __future__ import annotations

from datetime import datetime

from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def current_details(status: OnboardingStatus) -> str:
    """A checklist of the nine steps with status, times and actors, and who is awaited."""
    lines = [
        f"**{status.tenant_name}** · state **{status.state.value}** · "
        f"owner {status.owner or '_not assigned_'}",
        "",
        "| step | status | started | finished | actors |",
        "|---|---|---|---|---|",
    ]
    for step in status.steps:
        lines.append(
            f"| {STEP_TITLES[step.key]} | **{step.status.value}** | "
            f"{_at(step.started_at)} | {_at(step.completed_at)} | {', '.join(step.actors)} |"
        )
    if status.current_step is not None:
        current = status.step(status.current_step)
        if current.blocked_reason:
            lines += ["", f"**Blocked:** {current.blocked_reason}"]
        elif current.waiting_for:
            lines += ["", f"**Awaiting:** {current.waiting_for}"]
    if status.gates:
        lines += [
            "",
            "| open gate | due | reminders | escalation | notified |",
            "|---|---|---|---|---|",
        ]
        for gate in status.gates:
            due = _at(gate.due_at) + (" **overdue**" if gate.overdue else "")
            lines.append(
                f"| {gate.title} (`{gate.gate}`) | {due} | {gate.reminders_sent} | "
                f"{gate.escalation_level} | {', '.join(gate.notified)} |"
            )
    if status.go_live_at:
        lines += [
            "",
            f"**Live since** {_at(status.go_live_at)}; review due {_at(status.review_due_at)}",
        ]
    return "\n".join(lines)
