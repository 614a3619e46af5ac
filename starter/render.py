"""Readable output for people: the checklist as a table."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from onboarding.status import OnboardingStatus
from onboarding.steps import STEP_TITLES, StepStatus
from onboarding.text import escape_terminal as t
from starter.ops import ListedOnboarding

# User-supplied text (names, evidence links, reasons) is never parsed as Rich markup: the
# consoles run with markup off, and styling is applied through Text objects only. It is
# also passed through `t` (escape_terminal): an escape sequence, a carriage return or a
# bidi override in it prints as visible \x1b / \u202e, never acts on the terminal.
_MARKS = {
    StepStatus.PENDING: Text("pending", style="dim"),
    StepStatus.RUNNING: Text("running", style="cyan"),
    StepStatus.WAITING: Text("waiting", style="yellow"),
    StepStatus.BLOCKED: Text("BLOCKED", style="bold red"),
    StepStatus.DONE: Text("done", style="green"),
    StepStatus.WAIVED: Text("waived", style="magenta"),
}


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"


def status_table(status: OnboardingStatus) -> Table:
    table = Table(
        title=f"{t(status.tenant_name)} ({t(status.tenant_id)}): {status.state.value}",
        caption=f"owner: {t(status.owner or 'not assigned')}  |  "
        f"go-live: {when(status.go_live_at)}  |  review due: {when(status.review_due_at)}",
    )
    for column in ("step", "status", "started", "finished", "actors", "notes"):
        table.add_column(column, overflow="fold")
    for step in status.steps:
        notes = step.blocked_reason or step.waiting_for or ""
        failed = [t(c.name) for c in step.checks if not c.passed]
        passed = sum(c.passed for c in step.checks)
        if step.checks and not notes:
            notes = f"{passed}/{len(step.checks)} checks passed"
        if failed and step.status is StepStatus.BLOCKED:
            notes = f"failed: {', '.join(failed)} - {notes}"
        table.add_row(
            STEP_TITLES[step.key],
            _MARKS[step.status],
            when(step.started_at),
            when(step.completed_at),
            t(", ".join(step.actors)),
            t(notes),
        )
    return table


def status_view(status: OnboardingStatus) -> Group:
    """The checklist and the lines under it, as one renderable (print or live view)."""
    return Group(status_table(status), *status_lines(status))


def print_status(console: Console, status: OnboardingStatus) -> None:
    console.print(status_view(status))


async def watch_status(
    console: Console,
    first: OnboardingStatus,
    fetch: Callable[[], Awaitable[OnboardingStatus]],
    every: float = 1.0,
) -> None:
    """Keep the checklist live in the terminal until Ctrl-C or the onboarding ends."""
    current = first
    with Live(status_view(current), console=console, refresh_per_second=4) as live:
        while current.state.value not in ("completed", "failed") and not (
            current.outside and current.outside.closed
        ):
            await asyncio.sleep(every)
            current = await fetch()
            live.update(status_view(current))


def status_lines(status: OnboardingStatus) -> list[Text]:
    lines: list[Text] = []
    if status.outside is not None:
        style = "bold red" if status.outside.closed else "bold yellow"
        sentence = status.outside.sentence()
        lines.append(Text("  " + sentence[0].upper() + sentence[1:], style=style))
    for g in status.gates:
        late = ("  OVERDUE", "bold red") if g.overdue else ""
        moved = f", moved by {t(g.deadline_moved_by)}" if g.deadline_moved_by else ""
        lines.append(
            Text.assemble(
                "  ",
                ("gate", "yellow"),
                f" {t(g.gate)}: awaiting {t(g.awaiting)}, opened {when(g.opened_at)}, "
                f"due {when(g.due_at)}{moved}",
                late,
            )
        )
        chased = f"    reminders sent {g.reminders_sent}, escalation level {g.escalation_level}"
        if g.notified:
            chased += f", notified {t(', '.join(g.notified))}"
        if g.next_notice_at:
            chased += f"; next notice {when(g.next_notice_at)}"
        lines.append(Text(chased))
    for s in status.sign_offs:
        lines.append(
            Text.assemble("  sign-off ", (t(s.gate), "bold"), f" by {t(s.by)} at {when(s.at)}")
        )
    for e in status.enablement:
        lines.append(
            Text.assemble(
                "  enablement ",
                (t(e.item), "bold"),
                f" by {t(e.by)} at {when(e.at)}: {t(e.evidence)}",
            )
        )
    for d in status.deviations:
        decided = (
            f", {t(d.state)} by {t(d.decided_by)} at {when(d.decided_at)}" if d.decided_by else ""
        )
        lines.append(
            Text.assemble(
                "  ",
                ("deviation", "magenta"),
                f" {t(d.id)} {d.step.value}/{t(d.check)} requested by {t(d.requested_by)}: "
                f"{t(d.reason)} [{t(d.state)}{decided}]",
            )
        )
    for r in status.refused:
        lines.append(
            Text.assemble(
                "  ",
                ("refused", "red"),
                f" {t(r.input)} from {t(r.by)} at {when(r.at)}: {t(r.reason)}",
            )
        )
    return lines


def print_list(console: Console, rows: list[ListedOnboarding]) -> None:
    if not rows:
        console.print("no onboardings yet; start one with `onboard start CONTRACT.yaml`")
        return
    table = Table(title="onboardings")
    for column in ("tenant", "state", "step", "owner", "region", "tier", "started"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(
                t(cell)
                for cell in (
                    row.tenant_id,
                    row.state,
                    row.current_step,
                    row.owner or "-",
                    row.region or "-",
                    row.sla_tier or "-",
                    row.started_at[:19],
                )
            )
        )
    console.print(table)
