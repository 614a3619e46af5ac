"""The nine PHASE-33 steps, in the only order they may run."""

from __future__ import annotations

from enum import StrEnum


class StepKey(StrEnum):
    PRE_ONBOARDING = "pre_onboarding"
    INTERNAL_READINESS = "internal_readiness"
    ACCOUNT_PROVISIONING = "account_provisioning"
    ACCESS_IDENTITY = "access_identity"
    ENVIRONMENT_VALIDATION = "environment_validation"
    FEATURE_ENABLEMENT = "feature_enablement"
    CUSTOMER_ENABLEMENT = "customer_enablement"
    GO_LIVE = "go_live"
    POST_ONBOARDING_REVIEW = "post_onboarding_review"


STEP_ORDER: tuple[StepKey, ...] = tuple(StepKey)

STEP_TITLES: dict[StepKey, str] = {
    StepKey.PRE_ONBOARDING: "Pre-onboarding requirements",
    StepKey.INTERNAL_READINESS: "Step 1 - Internal readiness check",
    StepKey.ACCOUNT_PROVISIONING: "Step 2 - Account provisioning",
    StepKey.ACCESS_IDENTITY: "Step 3 - Access & identity setup",
    StepKey.ENVIRONMENT_VALIDATION: "Step 4 - Environment validation",
    StepKey.FEATURE_ENABLEMENT: "Step 5 - Feature enablement",
    StepKey.CUSTOMER_ENABLEMENT: "Step 6 - Customer enablement",
    StepKey.GO_LIVE: "Step 7 - Go-live confirmation",
    StepKey.POST_ONBOARDING_REVIEW: "Post-onboarding review (within 30 days)",
}


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    """Waiting for people (a sign-off, evidence, an owner)."""
    BLOCKED = "blocked"
    """A check failed; fix the cause, then `onboard retry`."""
    DONE = "done"
    WAIVED = "waived"


class OnboardingState(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    BLOCKED = "blocked"
    LIVE = "live"
    COMPLETED = "completed"
    FAILED = "failed"
    # Closed outside the onboarding process (from Temporal, never set by the workflow):
    TERMINATED = "terminated"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


CLOSED_OUTSIDE = frozenset(
    {OnboardingState.TERMINATED, OnboardingState.CANCELLED, OnboardingState.TIMED_OUT}
)
"""States only Temporal can put an onboarding in: someone ended it outside PHASE-33."""


class EnablementItem(StrEnum):
    """PHASE-33 Step 6: what the customer must be given, each with evidence."""

    WALKTHROUGH = "walkthrough"
    ADMIN_GUIDE = "admin-guide"
    SECURITY_BEST_PRACTICES = "security-best-practices"
    SUPPORT_OVERVIEW = "support-overview"


class SignOffGate(StrEnum):
    """PHASE-33 Step 7: the three sign-offs go-live waits for."""

    CUSTOMER = "customer"
    PLATFORM = "platform"
    SUPPORT = "support"
