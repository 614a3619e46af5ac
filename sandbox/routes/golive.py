"""Step 7 and review endpoints: monitoring, support registration, activation, usage."""

from __future__ import annotations

from datetime import UTC, timedelta

from fastapi import APIRouter, Body, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import faults, jobs
from sandbox.deps import Ctx, IdempotencyKey, TenantPath, load_account, require_admin
from sandbox.faults import Fault
from sandbox.journal import record_operation, write_log
from sandbox.models import AlertRule, Feature, FeatureUse, Job, SupportRegistration, User, utcnow
from sandbox.routes.accounts import account_out
from sandbox.routes.enablement import opened_items
from sandbox.schemas import (
    AccountOut,
    ActivateIn,
    AlertRuleIO,
    MonitoringIn,
    MonitoringOut,
    SupportIn,
    SupportOut,
    UsageOut,
)

router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["go-live"])

STANDARD_ALERTS: tuple[AlertRuleIO, ...] = (
    AlertRuleIO(name="error_rate_high", condition="error_rate > 0.05 for 5m"),
    AlertRuleIO(name="api_latency_high", condition="api_latency_ms_p95 > 800 for 10m"),
    AlertRuleIO(name="subtitle_jobs_failing", condition="failed_jobs >= 3 in 15m"),
    AlertRuleIO(name="login_failures", condition="failed_logins >= 20 in 5m"),
)
MINUTES_PER_JOB = 1.0
"""Sandbox videos are one minute long: each completed subtitles job localises a minute."""
USAGE_WINDOW = timedelta(days=30)


def _alerts(session: Session, tenant_id: str) -> list[AlertRuleIO]:
    rules = session.scalars(
        select(AlertRule).where(AlertRule.tenant_id == tenant_id).order_by(AlertRule.name)
    )
    return [AlertRuleIO(name=r.name, condition=r.condition) for r in rules]


@router.put("/tenants/{tenant_id}/monitoring")
def put_monitoring(
    tenant_id: TenantPath,
    ctx: Ctx,
    body: MonitoringIn | None = Body(default=None),
    idempotency_key: IdempotencyKey = None,
) -> MonitoringOut:
    """Create the tenant's alert rules (the standard set unless the body lists others)."""
    wanted = list(body.alerts) if body and body.alerts else list(STANDARD_ALERTS)
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        before = {(a.name, a.condition) for a in _alerts(session, tenant_id)}
        after = {(a.name, a.condition) for a in wanted}
        if before != after:
            for rule in session.scalars(select(AlertRule).where(AlertRule.tenant_id == tenant_id)):
                session.delete(rule)
            session.flush()
            for name, condition in sorted(after):
                session.add(AlertRule(tenant_id=tenant_id, name=name, condition=condition))
            write_log(session, tenant_id, f"{len(after)} alert rules configured")
        record_operation(
            session, tenant_id, "set_monitoring", idempotency_key, changed=before != after
        )
        session.flush()
        return MonitoringOut(alerts=_alerts(session, tenant_id))


@router.get("/tenants/{tenant_id}/monitoring")
def get_monitoring(tenant_id: TenantPath, ctx: Ctx) -> MonitoringOut:
    """The tenant's alert rules."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        if faults.is_active(session, Fault.MONITORING_MISSING, tenant_id):
            return MonitoringOut(alerts=[])
        return MonitoringOut(alerts=_alerts(session, tenant_id))


def _support_out(reg: SupportRegistration) -> SupportOut:
    return SupportOut(
        tenant_id=reg.tenant_id,
        channel=reg.channel,
        tier=reg.tier,
        escalation=list(reg.escalation),
        severities=dict(reg.severities),
        registered_at=reg.registered_at,
    )


@router.put("/tenants/{tenant_id}/support")
def put_support(
    tenant_id: TenantPath, body: SupportIn, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> SupportOut:
    """Register (or update) the tenant with support."""
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        reg = session.get(SupportRegistration, tenant_id)
        wanted = body.model_dump()
        if reg is None:
            reg = SupportRegistration(tenant_id=tenant_id, registered_at=utcnow(), **wanted)
            session.add(reg)
            changed = True
        else:
            current = {k: getattr(reg, k) for k in wanted}
            changed = current != wanted
            for field, value in wanted.items():
                setattr(reg, field, value)
        record_operation(session, tenant_id, "register_support", idempotency_key, changed=changed)
        if changed:
            write_log(session, tenant_id, f"support registered: {body.tier} via {body.channel}")
        session.flush()
        return _support_out(reg)


@router.get("/tenants/{tenant_id}/support")
def get_support(tenant_id: TenantPath, ctx: Ctx) -> SupportOut:
    """The support registration, or 404 when none."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        reg = session.get(SupportRegistration, tenant_id)
        if reg is None:
            raise HTTPException(
                status_code=404,
                detail=f"Tenant '{tenant_id}' is not registered with support; PUT it first.",
            )
        return _support_out(reg)


@router.post("/tenants/{tenant_id}/activate")
def activate(
    tenant_id: TenantPath,
    ctx: Ctx,
    body: ActivateIn | None = Body(default=None),
    idempotency_key: IdempotencyKey = None,
) -> AccountOut:
    """Put the account live (idempotent: a live account stays as it is)."""
    go_live_at = body.go_live_at if body and body.go_live_at else utcnow()
    if go_live_at.tzinfo is None:
        go_live_at = go_live_at.replace(tzinfo=UTC)
    with ctx.db.write() as session:
        account = load_account(session, tenant_id)
        changed = account.status != "live"
        if changed:
            account.status = "live"
            account.go_live_at = go_live_at
            write_log(session, tenant_id, f"account live since {go_live_at.isoformat()}")
        record_operation(session, tenant_id, "activate", idempotency_key, changed=changed)
        session.flush()
        return account_out(session, account)


@router.get("/tenants/{tenant_id}/usage")
def usage(tenant_id: TenantPath, ctx: Ctx) -> UsageOut:
    """What the tenant's real (non-probe) users did in the last 30 days."""
    now = utcnow()
    since = now - USAGE_WINDOW
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        jobs.settle_due(session, tenant_id, now)
        logged_in = list(
            session.scalars(
                select(User).where(
                    User.tenant_id == tenant_id,
                    User.probe.is_(False),
                    User.last_login_at >= since,
                )
            )
        )
        completed = session.scalars(
            select(Job.job_id).where(
                Job.tenant_id == tenant_id, Job.probe.is_(False), Job.status == "completed"
            )
        ).all()
        used = session.scalars(
            select(FeatureUse.feature_key)
            .join(Feature, Feature.key == FeatureUse.feature_key)
            .where(FeatureUse.tenant_id == tenant_id)
            .order_by(Feature.position)
        ).all()
        opened = opened_items(session, tenant_id)
    return UsageOut(
        active_users=len(logged_in),
        minutes_localised=len(completed) * MINUTES_PER_JOB,
        features_used=list(used),
        admins_logged_in=sorted(u.email for u in logged_in if "admin" in u.roles),
        api_latency_ms_p95=ctx.stats.latency_p95(tenant_id),
        error_rate=ctx.stats.error_rate(tenant_id),
        enablement_opened=opened,
    )
