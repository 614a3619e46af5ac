"""Step 4 endpoints: health, the tenant database, log search."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from sqlalchemy import select, text

from sandbox import faults
from sandbox.deps import Ctx, TenantPath, load_account, require_admin
from sandbox.faults import Fault
from sandbox.models import LogLine
from sandbox.routes.readiness import ForTenant
from sandbox.schemas import ComponentHealthOut, DatabaseOut, HealthOut, LogLineOut
from sandbox.tenant_db import sqlite_url, tenant_db_path, unreachable_url

router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["environment"])

COMPONENTS = ("api", "auth", "jobs", "storage")
MAX_LOG_LINES = 1000

Status = Literal["ok", "failing"]


def _components(ctx: Ctx, tenant_id: str | None) -> dict[str, Status]:
    with ctx.db.read() as session:
        try:
            session.execute(text("SELECT 1"))
            storage: Status = "ok"
        except Exception:  # any database failure means storage is failing
            storage = "failing"
        jobs: Status = (
            "failing" if faults.is_active(session, Fault.HEALTH_FAILING, tenant_id) else "ok"
        )
    return {"api": "ok", "auth": "ok", "jobs": jobs, "storage": storage}


@router.get("/health", response_model=HealthOut)
def health(ctx: Ctx, tenant_id: ForTenant = None) -> JSONResponse:
    """Overall health and per component; 503 when any component fails."""
    components = _components(ctx, tenant_id)
    failing = any(s != "ok" for s in components.values())
    body = HealthOut(status="failing" if failing else "ok", components=components)
    return JSONResponse(status_code=503 if failing else 200, content=body.model_dump(mode="json"))


@router.get("/health/{component}", response_model=ComponentHealthOut)
def component_health(component: str, ctx: Ctx, tenant_id: ForTenant = None) -> JSONResponse:
    """One component's health; 503 when failing, 404 when unknown."""
    if component not in COMPONENTS:
        raise HTTPException(
            status_code=404,
            detail=f"Unknown component '{component}'; use one of: {', '.join(COMPONENTS)}.",
        )
    status = _components(ctx, tenant_id)[component]
    body = ComponentHealthOut(component=component, status=status)
    code = 200 if status == "ok" else 503
    return JSONResponse(status_code=code, content=body.model_dump(mode="json"))


@router.get("/tenants/{tenant_id}/database")
def tenant_database(tenant_id: TenantPath, ctx: Ctx) -> DatabaseOut:
    """The SQLAlchemy URL of the tenant's own database."""
    tenants_dir = ctx.settings.tenants_dir
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        if faults.is_active(session, Fault.DB_UNREACHABLE, tenant_id):
            return DatabaseOut(url=unreachable_url(tenants_dir, tenant_id))
    return DatabaseOut(url=sqlite_url(tenant_db_path(tenants_dir, tenant_id)))


@router.get("/tenants/{tenant_id}/logs")
def search_logs(
    tenant_id: TenantPath,
    ctx: Ctx,
    q: Annotated[str | None, Query(description="Text the lines must contain")] = None,
) -> list[LogLineOut]:
    """The tenant's log lines containing ``q`` (case-insensitive), oldest first."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        query = select(LogLine).where(LogLine.tenant_id == tenant_id)
        if q:
            query = query.where(LogLine.message.contains(q, autoescape=True))
        newest = session.scalars(query.order_by(LogLine.id.desc()).limit(MAX_LOG_LINES))
        lines = [LogLineOut(at=x.at, tenant_id=x.tenant_id, message=x.message) for x in newest]
    return lines[::-1]
