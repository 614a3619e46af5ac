"""The Markdown the Web UI shows as the workflow's current details (sandbox-safe)."""

from __future__ import annotations

from datetime import datetime

from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES
from onboarding.text import escape_markdown as md
from onboarding.text import markdown_code


def _at(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def current_details(status: OnboardingStatus) -> str:
    """A checklist of the nine steps with status, times and actors, and who is awaited.

    Every text that came from people or the platform (names, e-mails, reasons) is
    escaped: it shows as written and adds no line, link or emphasis of its own.
    """
    owner = md(status.owner) if status.owner else "_not assigned_"
    lines = [
        f"**{md(status.tenant_name)}** · state **{md(status.state.value)}** · owner {owner}",
        "",
        "| step | status | started | finished | actors |",
        "|---|---|---|---|---|",
    ]
    for step in status.steps:
        lines.append(
            f"| {md(STEP_TITLES[step.key])} | **{md(step.status.value)}** | "
            f"{_at(step.started_at)} | {_at(step.completed_at)} | {md(', '.join(step.actors))} |"
        )
    if status.current_step is not None:
        current = status.step(status.current_step)
        if current.blocked_reason:
            lines += ["", f"**Blocked:** {md(current.blocked_reason)}"]
        elif current.waiting_for:
            lines += ["", f"**Awaiting:** {md(current.waiting_for)}"]
    if status.gates:
        lines += [
            "",
            "| open gate | due | reminders | escalation | notified |",
            "|---|---|---|---|---|",
        ]
        for gate in status.gates:
            due = _at(gate.due_at) + (" **overdue**" if gate.overdue else "")
            notified = md(", ".join(gate.notified))
            lines.append(
                f"| {md(gate.title)} (`{markdown_code(gate.gate)}`) | {due} | "
                f"{gate.reminders_sent} | {gate.escalation_level} | {notified} |"
            )
    if status.go_live_at:
        lines += [
            "",
            f"**Live since** {_at(status.go_live_at)}; review due {_at(status.review_due_at)}",
        ]
    return "\n".join(lines)
