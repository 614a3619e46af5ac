"""Changes to in-flight logic, guarded: every `workflow.patched` id the workflow uses.

Onboardings live 30 days and more and move to each new worker version at their next
workflow task (AUTO_UPGRADE, `worker.versioning`), so a release whose workflow code
issues different commands for an old history must branch on a patch. Each such change
is a `Change` declared here, with the release that brought it, and called with
`changed(...)` at the one place the logic differs:

    if changed(REVIEW_REMINDER):   # new onboardings, and old ones past this point
        ... the new logic ...
    else:
        ... the old logic, exactly as released ...

The life of a change (docs/versioning.md): added in release N with both branches; once
no history from before N can still be replayed (every onboarding started before N is
closed and past the namespace's retention, 30 days), the old branch goes and the call
becomes `workflow.deprecate_patch(id)`; one release later the call goes too.
"""

from __future__ import annotations

from dataclasses import dataclass

from temporalio import workflow


@dataclass(frozen=True)
class Change:
    """One change to in-flight workflow logic, known by a stable patch id."""

    id: str
    """The `workflow.patched` id: never reused, never renamed while histories hold it."""
    since: str
    """The release (package version) that brought it."""
    why: str


def changed(change: Change) -> bool:
    """Whether this run takes the new branch of ``change`` (a patch marker is recorded).

    False only while replaying a history that reached this point before the change was
    released: such a run must go on exactly as it started.
    """
    return workflow.patched(change.id)


def retired(change: Change) -> None:
    """Mark a change whose old branch is gone (every old history has closed)."""
    workflow.deprecate_patch(change.id)


SIGNED_INPUTS = Change(
    id="signed-inputs",
    since="0.2.0",
    why="inputs are signed envelopes; runs without the marker keep the unsigned handlers",
)
LEGACY_HANDOVER = Change(
    id="legacy-run-handover",
    since="0.2.0",
    why="a run from before signed inputs continues as new (signed) at a gate wake-up",
)
WAKE_ON_HISTORY_BUDGET = Change(
    id="wake-on-history-budget",
    since="0.2.0",
    why="a waiting gate loop wakes as soon as the run passes its history budget",
)
QUICK_HANDOVER = Change(
    id="quick-handover",
    since="0.2.0",
    why="continue-as-new waits for the writes in flight only, not the whole queue",
)

HANDOVER_WHEN_BLOCKED = Change(
    id="handover-when-blocked",
    since="0.2.0",
    why="a blocked step continues as new past the history budget and waits on in the next run",
)

CHANGES: tuple[Change, ...] = (
    SIGNED_INPUTS,
    LEGACY_HANDOVER,
    WAKE_ON_HISTORY_BUDGET,
    QUICK_HANDOVER,
    HANDOVER_WHEN_BLOCKED,
)
"""Every change in use, newest last; `tests/workflow/test_patching.py` checks the ids."""
