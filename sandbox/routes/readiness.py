"""Step 1 endpoints: platform status, regional capacity, the feature catalogue, RBAC matrix."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sandbox import faults, rbac
from sandbox.deps import Ctx, require_admin
from sandbox.faults import Fault
from sandbox.models import Account, Feature, Incident, Region
from sandbox.schemas import FeatureOut, IncidentOut, RbacOut, RegionOut, StatusOut

router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["readiness"])

ERROR_RATE_THRESHOLD = 0.05

ForTenant = Annotated[
    str | None,
    Query(description="The tenant the caller checks for; tenant-scoped faults apply to it."),
]

_INJECTED_INCIDENT = IncidentOut(
    id="inc-fault-0001",
    severity=1,
    title="Subtitle pipeline outage (sandbox fault production_incident)",
    open=True,
    opened_at=datetime(2025, 1, 1, tzinfo=UTC),
)


@router.get("/status")
def get_status(ctx: Ctx, tenant_id: ForTenant = None) -> StatusOut:
    """Incidents and the current error rate."""
    with ctx.db.read() as session:
        incidents = [
            IncidentOut(
                id=i.id, severity=i.severity, title=i.title, open=i.open, opened_at=i.opened_at
            )
            for i in session.scalars(select(Incident).order_by(Incident.opened_at))
        ]
        if faults.is_active(session, Fault.PRODUCTION_INCIDENT, tenant_id):
            incidents.append(_INJECTED_INCIDENT)
    return StatusOut(
        incidents=incidents,
        error_rate=ctx.stats.error_rate(),
        error_rate_threshold=ERROR_RATE_THRESHOLD,
    )


def _region_out(session: Session, region: Region, exhausted: bool) -> RegionOut:
    sold = session.scalar(
        select(func.coalesce(func.sum(Account.seats), 0)).where(Account.region == region.name)
    )
    used = region.capacity_seats if exhausted else region.baseline_used_seats + int(sold or 0)
    return RegionOut(
        name=region.name,
        capacity_seats=region.capacity_seats,
        used_seats=used,
        residency_approved=region.residency_approved,
    )


@router.get("/regions")
def list_regions(ctx: Ctx, tenant_id: ForTenant = None) -> list[RegionOut]:
    """Every region with its seat capacity and use."""
    with ctx.db.read() as session:
        exhausted = faults.is_active(session, Fault.CAPACITY_EXHAUSTED, tenant_id)
        regions = session.scalars(select(Region).order_by(Region.name))
        return [_region_out(session, r, exhausted) for r in regions]


@router.get("/regions/{name}")
def get_region(name: str, ctx: Ctx, tenant_id: ForTenant = None) -> RegionOut:
    """One region, or 404."""
    with ctx.db.read() as session:
        region = session.get(Region, name)
        if region is None:
            raise HTTPException(status_code=404, detail=f"There is no region '{name}'.")
        exhausted = faults.is_active(session, Fault.CAPACITY_EXHAUSTED, tenant_id)
        return _region_out(session, region, exhausted)


@router.get("/features")
def feature_catalogue(ctx: Ctx) -> list[FeatureOut]:
    """The feature catalogue, GA and experimental."""
    with ctx.db.read() as session:
        features = session.scalars(select(Feature).order_by(Feature.position))
        return [FeatureOut(key=f.key, stage=f.stage, title=f.title) for f in features]


@router.get("/rbac/actions")
def rbac_matrix() -> RbacOut:
    """The roles and, per action, the roles allowed to take it."""
    return RbacOut(roles=list(rbac.ROLES), actions=rbac.matrix())
