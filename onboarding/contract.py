"""The enterprise contract file: every PHASE-33 pre-onboarding requirement, validated."""

from __future__ import annotations

import re
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_email(value: str) -> str:
    value = value.strip().lower()
    if not _EMAIL.match(value):
        raise ValueError("is not an e-mail address; write it as name@domain.example")
    return value


def _not_in_future(value: date, info: ValidationInfo, why: str) -> date:
    # "today" comes from the caller's validation context (the CLI), never from the clock
    # here: this model is also decoded inside the deterministic workflow sandbox.
    today = (info.context or {}).get("today")
    if today is not None and value > today:
        raise ValueError(f"is in the future; {why}")
    return value


Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_check_email)]
"""An e-mail address, normalised to lower case."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SlaTier(StrEnum):
    """Support tier bought in the contract; drives deadlines and response targets."""

    STANDARD = "standard"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class Tenant(_Strict):
    id: str = Field(pattern=TENANT_ID_PATTERN, min_length=3, max_length=40)
    """Lowercase slug, 3-40 characters of a-z, 0-9 and '-'; names the workflow."""
    name: str = Field(min_length=1, max_length=200)
    """Customer's display name."""


class ContractTerms(_Strict):
    reference: str = Field(min_length=1, max_length=100)
    """The signed contract / SLA reference."""
    signed_on: date
    """Date the contract was signed; never in the future."""
    sla_tier: SlaTier
    seats: int = Field(gt=0)
    features: list[str] = Field(min_length=1)
    """Contracted features; only these are ever enabled."""
    api_rate_limit_per_minute: int = Field(gt=0)

    @field_validator("signed_on")
    @classmethod
    def _signed_in_past(cls, value: date, info: ValidationInfo) -> date:
        return _not_in_future(value, info, "a contract must be signed before onboarding")

    @field_validator("features")
    @classmethod
    def _distinct_features(cls, value: list[str]) -> list[str]:
        cleaned = [f.strip() for f in value]
        if any(not f for f in cleaned):
            raise ValueError("contains an empty feature name")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("lists a feature twice; list each contracted feature once")
        return cleaned


class DataResidency(_Strict):
    region: str = Field(min_length=1)
    approved_by: Email
    approved_on: date

    @field_validator("approved_on")
    @classmethod
    def _approved_in_past(cls, value: date, info: ValidationInfo) -> date:
        return _not_in_future(value, info, "the region must be approved before onboarding")


class AdminContact(_Strict):
    name: str = Field(min_length=1)
    email: Email


class EscalationContact(_Strict):
    name: str = Field(min_length=1)
    email: Email
    phone: str | None = None


class Contacts(_Strict):
    admins: list[AdminContact] = Field(min_length=1)
    """Named customer admin contacts; they give the customer sign-off."""
    escalation: list[EscalationContact] = Field(min_length=1)
    """Support escalation contacts."""

    @field_validator("admins")
    @classmethod
    def _distinct_admins(cls, value: list[AdminContact]) -> list[AdminContact]:
        emails = [a.email for a in value]
        if len(set(emails)) != len(emails):
            raise ValueError("lists the same e-mail twice; each admin needs their own account")
        return value


class SecurityQuestionnaire(_Strict):
    required: bool
    completed_on: date | None = None
    reviewed_by: Email | None = None

    @field_validator("completed_on")
    @classmethod
    def _completed_in_past(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        return _not_in_future(value, info, "the questionnaire must be completed before onboarding")

    @model_validator(mode="after")
    def _completed_when_required(self) -> SecurityQuestionnaire:
        if self.required and (self.completed_on is None or self.reviewed_by is None):
            raise ValueError(
                "is required but not complete; add completed_on and reviewed_by "
                "once security has reviewed the customer's answers"
            )
        return self


class Contract(_Strict):
    """One enterprise customer's signed contract and pre-onboarding requirements."""

    tenant: Tenant
    contract: ContractTerms
    data_residency: DataResidency
    contacts: Contacts
    security_questionnaire: SecurityQuestionnaire

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.tenant.id)

    def is_customer_admin(self, email: str) -> bool:
        return email.strip().lower() in {a.email for a in self.contacts.admins}


def workflow_id_for(tenant_id: str) -> str:
    """The one workflow id of a tenant's onboarding: at most one per tenant, ever."""
    return f"onboarding-{tenant_id}"
