"""Errors of the records store, each saying what to do about it."""

from __future__ import annotations


class RecordsError(Exception):
    """Base of every records-store error."""


class UnknownTenant(RecordsError, LookupError):
    """No onboarding is recorded for the tenant."""

    def __init__(self, tenant_id: str) -> None:
        super().__init__(
            f"no onboarding is recorded for tenant {tenant_id!r}; "
            "check the tenant id, or record the onboarding first (ensure_onboarding)"
        )
        self.tenant_id = tenant_id


class IdempotencyConflict(RecordsError):
    """An idempotency key was reused for a different tenant or kind of entry."""


class OnboardingConflict(RecordsError):
    """The tenant's onboarding is already recorded under another workflow id."""
