"""Request and response bodies of the platform API (see API.md)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

TENANT_ID_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$"
_EMAIL = re.compile(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$")


def normalise_email(value: str) -> str:
    """``value`` trimmed and lower-cased; raises ValueError when it is not an e-mail."""
    value = value.strip().lower()
    if not _EMAIL.match(value) or len(value) > 254:
        raise ValueError("is not an e-mail address (name@domain.example)")
    return value


Email = Annotated[str, AfterValidator(normalise_email)]
TenantId = Annotated[str, Field(pattern=TENANT_ID_PATTERN)]
Role = Literal["admin", "manager", "editor", "viewer"]


class _In(BaseModel):
    """Request bodies: unknown fields are ignored so clients can evolve first."""

    model_config = ConfigDict(str_strip_whitespace=True)


# --- Production readiness -------------------------------------------------------------------


class IncidentOut(BaseModel):
    id: str
    severity: int
    title: str
    open: bool
    opened_at: datetime


class StatusOut(BaseModel):
    incidents: list[IncidentOut]
    error_rate: float
    error_rate_threshold: float


class RegionOut(BaseModel):
    name: str
    capacity_seats: int
    used_seats: int
    residency_approved: bool


class FeatureOut(BaseModel):
    key: str
    stage: Literal["ga", "experimental"]
    title: str


class RbacOut(BaseModel):
    roles: list[str]
    actions: dict[str, list[str]]


# --- Accounts ---------------------------------------------------------------------------------


class AdminIn(_In):
    name: str = Field(min_length=1, max_length=200)
    email: Email


class AccountIn(_In):
    tenant_id: TenantId
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1)
    seats: int = Field(gt=0)
    admins: list[AdminIn] = Field(default_factory=list)
    idempotency_key: str = Field(min_length=1, max_length=200)


class AccountOut(BaseModel):
    account_id: str
    tenant_id: str
    name: str
    region: str
    seats: int
    status: str
    created_at: datetime
    idempotency_key: str
    go_live_at: datetime | None = None
    admin_emails: list[str] = Field(default_factory=list)


class UserIn(_In):
    name: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    probe: bool = False
    password: str | None = Field(default=None, min_length=1, max_length=1024)
    """Write-only: stored as a hash, never returned."""


class UserOut(BaseModel):
    email: str
    name: str
    roles: list[str]
    probe: bool


class FeaturesIO(_In):
    features: list[str]


class SecurityIO(_In):
    mfa_required: bool
    max_session_minutes: int = Field(gt=0, le=7 * 24 * 60)
    password_min_length: int = Field(ge=1, le=1024)
    sso_enabled: bool


class RateLimitIO(_In):
    per_minute: int = Field(gt=0, le=1_000_000)


# --- Identity (tenant API) ------------------------------------------------------------------


class LoginIn(_In):
    email: Email
    password: str = Field(min_length=1, max_length=1024)
    ttl_seconds: int | None = Field(default=None, gt=0)


class LoginOut(BaseModel):
    token: str
    issued_at: datetime
    """When the platform opened the session, on its own clock."""
    expires_at: datetime
    roles: list[str]


class MeOut(BaseModel):
    email: str
    roles: list[str]
    tenant_id: str
    expires_at: datetime


class AllowedOut(BaseModel):
    allowed: bool


# --- Environment ------------------------------------------------------------------------------


class HealthOut(BaseModel):
    status: Literal["ok", "failing"]
    components: dict[str, Literal["ok", "failing"]]


class ComponentHealthOut(BaseModel):
    component: str
    status: Literal["ok", "failing"]


class DatabaseOut(BaseModel):
    url: str


class PingOut(BaseModel):
    ok: bool


class EventIn(_In):
    marker: str = Field(min_length=1, max_length=500)


class AcceptedOut(BaseModel):
    accepted: bool


class LogLineOut(BaseModel):
    at: datetime
    tenant_id: str
    message: str


# --- Features (tenant API) --------------------------------------------------------------------


class FeatureAccessOut(BaseModel):
    key: str
    enabled: bool


class VideoIn(_In):
    title: str = Field(min_length=1, max_length=300)


class VideoOut(BaseModel):
    video_id: str


class SubtitlesIn(_In):
    language: str = Field(min_length=2, max_length=35)


class JobOut(BaseModel):
    job_id: str
    status: Literal["queued", "running", "completed", "failed"]
    video_id: str | None = None
    language: str | None = None


# --- Enablement library (Step 6) ------------------------------------------------------------


class EnablementDocumentIO(_In):
    key: str = Field(min_length=1, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    version: str = Field(min_length=1, max_length=32)
    content_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    """SHA-256 of the delivered document's UTF-8 content, lower-case hex."""


class EnablementItemIn(_In):
    title: str = Field(min_length=1, max_length=200)
    documents: list[EnablementDocumentIO] = Field(default_factory=list, max_length=20)

    @field_validator("documents")
    @classmethod
    def _distinct_keys(cls, documents: list[EnablementDocumentIO]) -> list[EnablementDocumentIO]:
        keys = [d.key for d in documents]
        if len(set(keys)) != len(keys):
            raise ValueError("lists the same document key twice")
        return documents


class EnablementItemOut(BaseModel):
    item: str
    title: str
    documents: list[EnablementDocumentIO]
    published_at: datetime
    updated_at: datetime


class EnablementOpenOut(EnablementItemOut):
    first_opened_at: datetime
    """When the calling user first opened the item."""


# --- Go-live ----------------------------------------------------------------------------------


class AlertRuleIO(_In):
    name: str = Field(min_length=1, max_length=100)
    condition: str = Field(min_length=1, max_length=500)


class MonitoringIn(_In):
    alerts: list[AlertRuleIO] | None = None
    """The rules to keep; omitted: the platform's standard rules."""


class MonitoringOut(BaseModel):
    alerts: list[AlertRuleIO]


class SupportIn(_In):
    channel: str = Field(min_length=1, max_length=200)
    tier: str = Field(min_length=1, max_length=50)
    escalation: list[Any] = Field(default_factory=list)
    severities: dict[str, Any] = Field(default_factory=dict)


class SupportOut(SupportIn):
    tenant_id: str
    registered_at: datetime


class ActivateIn(_In):
    go_live_at: datetime | None = None


class UsageOut(BaseModel):
    active_users: int
    minutes_localised: float
    features_used: list[str]
    admins_logged_in: list[str]
    api_latency_ms_p95: float
    error_rate: float
    enablement_opened: list[str]
    """Enablement items at least one non-probe user opened, in library order."""


# --- Fault injection --------------------------------------------------------------------------


class FaultIn(_In):
    name: str
    tenant_id: str | None = None


class AvailableFaultOut(BaseModel):
    name: str
    breaks: str
    description: str


class ActiveFaultOut(BaseModel):
    name: str
    tenant_id: str | None


class FaultsOut(BaseModel):
    available: list[AvailableFaultOut]
    active: list[ActiveFaultOut]


class OperationOut(BaseModel):
    at: datetime
    tenant_id: str
    operation: str
    idempotency_key: str | None
