"""Sandbox-only admin endpoints: fault injection and the operations log."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlalchemy import delete, select

from sandbox import faults
from sandbox.deps import Ctx, require_admin
from sandbox.models import ActiveFault, Operation
from sandbox.schemas import (
    ActiveFaultOut,
    AvailableFaultOut,
    FaultIn,
    FaultsOut,
    OperationOut,
)

router = APIRouter(prefix="/v1/admin", dependencies=[Depends(require_admin)], tags=["sandbox"])
logger = logging.getLogger("sandbox.faults")


def _faults_out(ctx: Ctx) -> FaultsOut:
    with ctx.db.read() as session:
        active = [
            ActiveFaultOut(name=f.name, tenant_id=f.tenant_id)
            for f in faults.active_faults(session)
        ]
    available = [
        AvailableFaultOut(name=f.value, breaks=spec.breaks, description=spec.description)
        for f, spec in faults.CATALOGUE.items()
    ]
    return FaultsOut(available=available, active=active)


@router.get("/faults")
def list_faults(ctx: Ctx) -> FaultsOut:
    """The faults that can be injected and those switched on."""
    return _faults_out(ctx)


@router.post("/faults", status_code=201)
def inject_fault(body: FaultIn, ctx: Ctx) -> FaultsOut:
    """Switch a fault on, for one tenant or all; unknown names are refused (400)."""
    fault = faults.parse(body.name)
    if fault is None:
        names = ", ".join(f.value for f in faults.Fault)
        raise HTTPException(
            status_code=400, detail=f"Unknown fault '{body.name}'; use one of: {names}."
        )
    tenant_id = body.tenant_id or None
    with ctx.db.write() as session:
        faults.activate(session, fault, tenant_id)
    logger.warning("fault %s switched on for %s", fault.value, tenant_id or "all tenants")
    return _faults_out(ctx)


@router.delete("/faults", status_code=204)
def clear_faults(ctx: Ctx) -> Response:
    """Switch every fault off."""
    with ctx.db.write() as session:
        session.execute(delete(ActiveFault))
    logger.warning("all faults cleared")
    return Response(status_code=204)


@router.get("/operations")
def operations(ctx: Ctx, tenant_id: Annotated[str | None, Query()] = None) -> list[OperationOut]:
    """Every mutating call made for the tenant (for all tenants when none is named)."""
    with ctx.db.read() as session:
        query = select(Operation).order_by(Operation.id)
        if tenant_id is not None:
            query = query.where(Operation.tenant_id == tenant_id)
        return [
            OperationOut(
                at=o.at,
                tenant_id=o.tenant_id,
                operation=o.operation,
                idempotency_key=o.idempotency_key,
            )
            for o in session.scalars(query)
        ]
