"""The enterprise contract file: every PHASE-33 pre-onboarding requirement, validated."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from onboarding import limits
from onboarding.limits import PersonName
from onboarding.text import SafeLine, check_line

TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ().\-/]+(?:\s*(?:x|ext\.?)\s*[0-9]{1,6})?$")


def _check_email(value: str) -> str:
    value = check_line(value.strip().lower())
    if not _EMAIL.match(value) or any(c in value for c in '<>()[],;:"\\'):
        raise ValueError("is not an e-mail address; write it as name@domain.example")
    if len(value.rpartition("@")[0]) > limits.EMAIL_LOCAL_MAX:
        raise ValueError(
            f"has more than {limits.EMAIL_LOCAL_MAX} characters before the @; check the address"
        )
    return value


def _check_phone(value: str) -> str:
    if not _PHONE.match(value) or sum(c.isdigit() for c in value) < 3:
        raise ValueError(
            "is not a phone number; write digits, spaces and + ( ) - . / only, "
            'e.g. "+1 555 0100" or "+49 30 1234-5678 ext 12"'
        )
    return value


def _plausible(value: date, info: ValidationInfo, why: str) -> date:
    if not limits.EARLIEST_DATE <= value <= limits.LATEST_DATE:
        raise ValueError(
            f"is {value.isoformat()}, not a plausible date; dates from "
            f"{limits.EARLIEST_DATE.isoformat()} to {limits.LATEST_DATE.isoformat()} "
            "are accepted"
        )
    # "today" comes from the caller's validation context (the CLI), never from the clock
    # here: this model is also decoded inside the deterministic workflow sandbox.
    today = (info.context or {}).get("today")
    if today is not None and value > today:
        raise ValueError(f"is in the future; {why}")
    return value


def _date_input(value: object) -> object:
    # A date, or its ISO text from JSON; never a number (a Unix time) nor a date-time.
    if isinstance(value, datetime) or not isinstance(value, date | str):
        raise ValueError("is not a date; write the date as YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_date_input)]
"""A calendar date, written YYYY-MM-DD."""

Email = Annotated[
    str,
    Field(min_length=3, max_length=limits.EMAIL_MAX),
    AfterValidator(_check_email),
]
"""An e-mail address, normalised to lower case."""
Phone = Annotated[
    str, Field(min_length=3, max_length=limits.PHONE_MAX), AfterValidator(_check_phone)
]
"""A phone number as people write it: digits, spaces, + ( ) - . / and an extension."""


def _check_region(value: str) -> str:
    if not re.match(limits.REGION_PATTERN, value):
        raise ValueError(
            "is not a platform region name; use lowercase letters, digits and '-', "
            "such as eu-central"
        )
    return value


Region = Annotated[
    str, Field(min_length=1, max_length=limits.REGION_MAX), AfterValidator(_check_region)
]
"""A platform region name such as ``eu-central``."""


class _Strict(BaseModel):
    # Numbers and booleans are strict (`true` is not a seat count, "yes" is not a
    # boolean); strings are stripped, every one bounded and checked by its type.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class SlaTier(StrEnum):
    """Support tier bought in the contract; drives deadlines and response targets."""

    STANDARD = "standard"
    PREMIUM = "premium"
    ENTERPRISE = "enterprise"


class Tenant(_Strict):
    id: str = Field(pattern=TENANT_ID_PATTERN, min_length=3, max_length=40)
    """Lowercase slug, 3-40 characters of a-z, 0-9 and '-'; names the workflow."""
    name: SafeLine = Field(min_length=1, max_length=limits.TENANT_NAME_MAX)
    """Customer's display name."""


class ContractTerms(_Strict):
    reference: SafeLine = Field(min_length=1, max_length=limits.CONTRACT_REFERENCE_MAX)
    """The signed contract / SLA reference."""
    signed_on: Day
    """Date the contract was signed; never in the future."""
    sla_tier: SlaTier
    seats: int = Field(strict=True, gt=0, le=limits.SEATS_MAX)
    features: list[str] = Field(min_length=1, max_length=limits.FEATURES_MAX)
    """Contracted features; only these are ever enabled."""
    api_rate_limit_per_minute: int = Field(strict=True, gt=0, le=limits.RATE_LIMIT_MAX)

    @field_validator("signed_on")
    @classmethod
    def _signed_in_past(cls, value: date, info: ValidationInfo) -> date:
        return _plausible(value, info, "a contract must be signed before onboarding")

    @field_validator("features")
    @classmethod
    def _distinct_features(cls, value: list[str]) -> list[str]:
        cleaned = [f.strip() for f in value]
        if any(not f for f in cleaned):
            raise ValueError("contains an empty feature name")
        for feature in cleaned:
            if len(feature) > limits.FEATURE_KEY_MAX or not re.match(
                limits.FEATURE_PATTERN, feature
            ):
                raise ValueError(
                    f"holds {feature[: limits.FEATURE_KEY_MAX]!r}, not a feature key; use the "
                    "platform's keys: lowercase letters, digits and '_', such as api_access"
                )
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("lists a feature twice; list each contracted feature once")
        return cleaned


class DataResidency(_Strict):
    region: Region
    """The platform region the tenant's data stays in, such as ``eu-central``."""
    approved_by: Email
    approved_on: Day

    @field_validator("approved_on")
    @classmethod
    def _approved_in_past(cls, value: date, info: ValidationInfo) -> date:
        return _plausible(value, info, "the region must be approved before onboarding")


class AdminContact(_Strict):
    name: PersonName
    email: Email


class EscalationContact(_Strict):
    name: PersonName
    email: Email
    phone: Phone | None = None


class Contacts(_Strict):
    admins: list[AdminContact] = Field(min_length=1, max_length=limits.ADMINS_MAX)
    """Named customer admin contacts; they give the customer sign-off."""
    escalation: list[EscalationContact] = Field(min_length=1, max_length=limits.ESCALATION_MAX)
    """Support escalation contacts."""

    @field_validator("admins")
    @classmethod
    def _distinct_admins(cls, value: list[AdminContact]) -> list[AdminContact]:
        emails = [a.email for a in value]
        if len(set(emails)) != len(emails):
            raise ValueError("lists the same e-mail twice; each admin needs their own account")
        return value


class SecurityQuestionnaire(_Strict):
    required: bool = Field(strict=True)
    completed_on: Day | None = None
    reviewed_by: Email | None = None

    @field_validator("completed_on")
    @classmethod
    def _completed_in_past(cls, value: date | None, info: ValidationInfo) -> date | None:
        if value is None:
            return None
        return _plausible(value, info, "the questionnaire must be completed before onboarding")

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
