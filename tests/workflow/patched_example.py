"""The example change of `test_patching.py`, in a module of its own: the workflow
sandbox re-imports the module a workflow class is defined in, and this one does nothing
at import time.

From release 0.2.0 the onboarding waits one minute after loading its policy, so roster
changes made in that minute are read at the first gate. It adds a timer: a new command
where old histories have none.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

from workflows.onboarding import OnboardingWorkflow
from workflows.versioning import Change, changed

with workflow.unsafe.imports_passed_through():
    from onboarding.policy import OnboardingInput, OnboardingPolicy
    from onboarding.status import OnboardingStatus

SETTLE = Change(
    id="settle-after-policy",
    since="0.2.0",
    why="wait a minute after loading the policy, so late roster edits are read",
)


@workflow.defn(name="OnboardingWorkflow")
class PatchedOnboarding(OnboardingWorkflow):
    """Release 0.2.0 of the workflow, with the change guarded."""

    @workflow.run
    async def run(self, inp: OnboardingInput) -> OnboardingStatus:
        return await super().run(inp)

    async def _load_policy(self) -> OnboardingPolicy:
        policy = await super()._load_policy()
        if changed(SETTLE):
            await workflow.sleep(timedelta(minutes=1))
        return policy


@workflow.defn(name="OnboardingWorkflow")
class UnguardedOnboarding(OnboardingWorkflow):
    """The same change without the guard: what must never be released."""

    @workflow.run
    async def run(self, inp: OnboardingInput) -> OnboardingStatus:
        return await super().run(inp)

    async def _load_policy(self) -> OnboardingPolicy:
        policy = await super()._load_policy()
        await workflow.sleep(timedelta(minutes=1))
        return policy
