"""What activities report back: named checks with their evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from onboarding.contract import Contract
from onboarding.steps import StepKey


class CheckResult(BaseModel):
    """One check of a step: passed or not, and the evidence for it."""

    name: str
    passed: bool
    detail: str
    """One readable sentence: what was seen, and on failure what to do."""
    expected: Any = None
    observed: Any = None
    checked_at: datetime | None = None
    waived_by_deviation: str | None = None
    """Set when an approved deviation let this failed check be passed over."""


class StepRequest(BaseModel):
    """Input of every step activity: which onboarding, which step, which attempt."""

    workflow_id: str
    step: StepKey
    contract: Contract
    attempt: int = 1
    """How many times people have run this step (1 + retries), for idempotency keys."""
    owner: str | None = None
    go_live_at: datetime | None = None
    """Go-live time decided by the workflow (Step 7 activation); stable across retries."""

    @property
    def tenant_id(self) -> str:
        return self.contract.tenant.id

    @property
    def idempotency_key(self) -> str:
        """Stable across activity retries of one step, so side effects happen once."""
        return f"{self.workflow_id}:{self.step.value}"


class StepResult(BaseModel):
    """Output of a step activity: every check it ran. Secrets never appear here."""

    checks: list[CheckResult] = Field(default_factory=list)
    facts: dict[str, Any] = Field(default_factory=dict)
    """Non-secret facts worth keeping (account id, usage figures)."""

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.checks if not c.passed]
