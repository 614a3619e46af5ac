"""The platform's database schema: SQLAlchemy 2.0 typed models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC (SQLite has no zones) and read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Base of every sandbox table."""

    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Meta(Base):
    """Key/value settings the platform generates once per data directory."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(512))


class Region(Base):
    __tablename__ = "regions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    capacity_seats: Mapped[int]
    baseline_used_seats: Mapped[int] = mapped_column(default=0)
    """Seats used by customers outside the sandbox; accounts' seats are added on top."""
    residency_approved: Mapped[bool] = mapped_column(default=True)


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    severity: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    open: Mapped[bool]
    opened_at: Mapped[datetime]


class Feature(Base):
    __tablename__ = "features"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    """Catalogue order; every feature list the platform returns follows it."""


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(40), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(ForeignKey("regions.name"))
    seats: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="provisioned")
    created_at: Mapped[datetime]
    go_live_at: Mapped[datetime | None]
    rate_limit_per_minute: Mapped[int]


class AccountAdmin(Base):
    """An admin e-mail named at account creation; an e-mail belongs to one account only."""

    __tablename__ = "account_admins"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id"), index=True)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]]
    probe: Mapped[bool] = mapped_column(default=False)
    """A synthetic user the onboarding uses to test the tenant; excluded from usage."""
    password_hash: Mapped[str | None] = mapped_column(String(256))
    last_login_at: Mapped[datetime | None]


class TenantFeature(Base):
    __tablename__ = "tenant_features"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    feature_key: Mapped[str] = mapped_column(ForeignKey("features.key"), primary_key=True)


class FeatureUse(Base):
    """First use of a feature by a (non-probe) user of the tenant, for usage figures."""

    __tablename__ = "feature_uses"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    feature_key: Mapped[str] = mapped_column(ForeignKey("features.key"), primary_key=True)
    first_used_at: Mapped[datetime]


class EnablementItem(Base):
    """An enablement item (Step 6) published to the tenant's library, with its documents."""

    __tablename__ = "enablement_items"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    documents: Mapped[list[Any]]
    """Each delivered document: ``{"key", "title", "version", "content_hash"}``."""
    published_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class EnablementOpen(Base):
    """A user's first open of a published enablement item.

    Probe users' opens are kept (with ``probe`` set, like jobs) but never count as usage.
    """

    __tablename__ = "enablement_opens"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "item"], ["enablement_items.tenant_id", "enablement_items.item"]
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    item: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    probe: Mapped[bool]
    first_opened_at: Mapped[datetime]


class SecuritySettings(Base):
    __tablename__ = "security_settings"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    mfa_required: Mapped[bool]
    max_session_minutes: Mapped[int]
    password_min_length: Mapped[int]
    sso_enabled: Mapped[bool]


class SessionRecord(Base):
    """A login session; tokens name it so that logout can revoke them."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class LogLine(Base):
    __tablename__ = "log_lines"
    __table_args__ = (Index("ix_log_lines_tenant_at", "tenant_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    tenant_id: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(2000))


class AlertRule(Base):
    __tablename__ = "alert_rules"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    condition: Mapped[str] = mapped_column(String(500))


class SupportRegistration(Base):
    __tablename__ = "support_registrations"

    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), primary_key=True)
    channel: Mapped[str] = mapped_column(String(200))
    tier: Mapped[str] = mapped_column(String(50))
    escalation: Mapped[list[Any]]
    severities: Mapped[dict[str, Any]]
    registered_at: Mapped[datetime]


class Video(Base):
    __tablename__ = "videos"

    video_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime]


class Job(Base):
    """A subtitles job; it finishes when first read after its processing time."""

    __tablename__ = "jobs"

    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(ForeignKey("accounts.tenant_id"), index=True)
    video_id: Mapped[str] = mapped_column(ForeignKey("videos.video_id"))
    language: Mapped[str] = mapped_column(String(35))
    probe: Mapped[bool]
    created_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="queued")
    finished_at: Mapped[datetime | None]


class ActiveFault(Base):
    """A fault switched on, for one tenant or (tenant_id NULL) for all."""

    __tablename__ = "active_faults"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    tenant_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]


class Operation(Base):
    """One mutating call made for a tenant, so tests can prove side effects happened once."""

    __tablename__ = "operations"
    __table_args__ = (Index("ix_operations_tenant", "tenant_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    tenant_id: Mapped[str] = mapped_column(String(40))
    operation: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
