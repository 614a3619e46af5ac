"""The fault catalogue: each fault breaks exactly one onboarding check, for one tenant or all.

Faults are rows of ``active_faults``, so they survive restarts and every process sees them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from sandbox.models import ActiveFault, utcnow


class Fault(StrEnum):
    PRODUCTION_INCIDENT = "production_incident"
    CAPACITY_EXHAUSTED = "capacity_exhausted"
    ACCOUNT_EXISTS = "account_exists"
    SECURITY_DEFAULTS_WEAKENED = "security_defaults_weakened"
    ADMIN_LOGIN_BROKEN = "admin_login_broken"
    VIEWER_CAN_ADMIN = "viewer_can_admin"
    TAMPERED_TOKEN_ACCEPTED = "tampered_token_accepted"
    LOGOUT_DOES_NOT_REVOKE = "logout_does_not_revoke"
    SESSION_NEVER_EXPIRES = "session_never_expires"
    HEALTH_FAILING = "health_failing"
    DB_UNREACHABLE = "db_unreachable"
    RATE_LIMIT_MISMATCH = "rate_limit_mismatch"
    LOGGING_DROPPED = "logging_dropped"
    HIDDEN_FEATURE_ENABLED = "hidden_feature_enabled"
    FEATURE_NOT_VISIBLE = "feature_not_visible"
    CRITICAL_FLOW_BROKEN = "critical_flow_broken"
    MONITORING_MISSING = "monitoring_missing"


@dataclass(frozen=True)
class FaultSpec:
    """What a fault breaks: the name of the onboarding check, and how."""

    breaks: str
    description: str


CATALOGUE: dict[Fault, FaultSpec] = {
    Fault.PRODUCTION_INCIDENT: FaultSpec(
        "production_stability", "GET /v1/status shows an open severity-1 incident"
    ),
    Fault.CAPACITY_EXHAUSTED: FaultSpec(
        "capacity", "regions report used_seats equal to capacity_seats"
    ),
    Fault.ACCOUNT_EXISTS: FaultSpec(
        "no_shared_account",
        "another account is bound to the tenant id; creating the tenant gets 409",
    ),
    Fault.SECURITY_DEFAULTS_WEAKENED: FaultSpec(
        "security_defaults", "security settings read back with mfa_required=false"
    ),
    Fault.ADMIN_LOGIN_BROKEN: FaultSpec("admin_auth", "users holding role admin cannot log in"),
    Fault.VIEWER_CAN_ADMIN: FaultSpec("rbac_matrix", "viewers are allowed manage_users"),
    Fault.TAMPERED_TOKEN_ACCEPTED: FaultSpec(
        "token_behaviour", "token signatures are not verified"
    ),
    Fault.LOGOUT_DOES_NOT_REVOKE: FaultSpec(
        "logout_revokes", "logout answers 204 but the token keeps working"
    ),
    Fault.SESSION_NEVER_EXPIRES: FaultSpec("session_expiry", "expired tokens keep working"),
    Fault.HEALTH_FAILING: FaultSpec(
        "api_health", "the jobs component and overall health report failing (503)"
    ),
    Fault.DB_UNREACHABLE: FaultSpec(
        "db_connectivity", "the tenant database URL points at a path that cannot be opened"
    ),
    Fault.RATE_LIMIT_MISMATCH: FaultSpec(
        "rate_limit", "the enforced limit is 50% above the configured one"
    ),
    Fault.LOGGING_DROPPED: FaultSpec(
        "logging_visibility", "events are accepted (202) but never written to the log"
    ),
    Fault.HIDDEN_FEATURE_ENABLED: FaultSpec(
        "contracted_features_only", "effective flags also include the experimental lip_sync_beta"
    ),
    Fault.FEATURE_NOT_VISIBLE: FaultSpec(
        "ui_visibility", "the UI manifest omits the first enabled feature"
    ),
    Fault.CRITICAL_FLOW_BROKEN: FaultSpec("critical_flows", "subtitle jobs end failed"),
    Fault.MONITORING_MISSING: FaultSpec("monitoring", "GET monitoring returns no alerts"),
}


def parse(name: str) -> Fault | None:
    """The fault called ``name``, or None when there is no such fault."""
    try:
        return Fault(name)
    except ValueError:
        return None


def is_active(session: Session, fault: Fault, tenant_id: str | None) -> bool:
    """Whether ``fault`` applies to ``tenant_id`` (or, for None, whether it is on for all)."""
    scope: ColumnElement[bool] = ActiveFault.tenant_id.is_(None)
    if tenant_id is not None:
        scope = or_(scope, ActiveFault.tenant_id == tenant_id)
    query = select(ActiveFault.id).where(ActiveFault.name == fault.value, scope).limit(1)
    return session.scalar(query) is not None


def activate(session: Session, fault: Fault, tenant_id: str | None) -> bool:
    """Switch ``fault`` on for ``tenant_id`` (None: all tenants); False if it already was."""
    same_tenant = (
        ActiveFault.tenant_id.is_(None) if tenant_id is None else ActiveFault.tenant_id == tenant_id
    )
    query = select(ActiveFault.id).where(ActiveFault.name == fault.value, same_tenant)
    if session.scalar(query) is not None:
        return False
    session.add(ActiveFault(name=fault.value, tenant_id=tenant_id, created_at=utcnow()))
    return True


def active_faults(session: Session) -> list[ActiveFault]:
    """Every fault switched on, oldest first."""
    return list(session.scalars(select(ActiveFault).order_by(ActiveFault.id)))
