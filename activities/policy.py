"""The policy activity: hands the workflow the worker's roster and timings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.exceptions import ApplicationError

from onboarding.contract import SlaTier
from onboarding.ladder import Ladder
from onboarding.policy import GATE_DEADLINES, HISTORY_BUDGET, OnboardingPolicy
from onboarding.problems import InputFileError, load_roster


class PolicyActivities:
    """Reads the roster file on every call, so a roster change reaches running onboardings."""

    def __init__(
        self,
        roster_file: Path,
        review_after: timedelta,
        step_max_attempts: int,
        gate_deadline: timedelta | None = None,
        gate_deadlines: dict[SlaTier, timedelta] | None = None,
        ladder: Ladder | None = None,
        history_budget: int = HISTORY_BUDGET,
        approvals_keys: list[str] | None = None,
    ) -> None:
        self._roster_file = roster_file
        self._review_after = review_after
        self._step_max_attempts = step_max_attempts
        self._gate_deadline = gate_deadline
        self._gate_deadlines = {**GATE_DEADLINES, **(gate_deadlines or {})}
        self._ladder = ladder or Ladder()
        self._history_budget = history_budget
        self._approvals_keys = list(approvals_keys or [])

    @activity.defn(name="load_policy")
    async def load_policy(self, tenant_id: str) -> OnboardingPolicy:
        """Return the roster and timings in force now."""
        try:
            roster = load_roster(self._roster_file)
        except InputFileError as err:
            # Retryable on purpose: ops fix the file, the next attempt picks it up.
            raise ApplicationError(
                f"roster file {self._roster_file} is invalid: "
                + "; ".join(str(p) for p in err.problems),
                type="InvalidRoster",
            ) from None
        return OnboardingPolicy(
            roster=roster,
            review_after=self._review_after,
            step_max_attempts=self._step_max_attempts,
            gate_deadlines=self._gate_deadlines,
            gate_deadline_override=self._gate_deadline,
            ladder=self._ladder,
            history_budget=self._history_budget,
            approvals_keys=self._approvals_keys,
        )
