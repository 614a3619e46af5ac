"""Step 6 enablement library: items published to a tenant, and which of its users opened them.

The onboarding publishes each item with an admin-API PUT; a tenant user opening an item
(``GET /v1/t/{id}/enablement/{item}``) records that user's first open. Usage counts only
opens by non-probe users.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox.deps import Ctx, CurrentUser, IdempotencyKey, TenantPath, load_account, require_admin
from sandbox.journal import record_operation, write_log
from sandbox.models import EnablementItem, EnablementOpen, utcnow
from sandbox.schemas import (
    EnablementDocumentIO,
    EnablementItemIn,
    EnablementItemOut,
    EnablementOpenOut,
)
from sandbox.seed import ENABLEMENT_ITEMS

admin_router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["enablement"])
tenant_router = APIRouter(prefix="/v1/t/{tenant_id}", tags=["enablement"])


def _known(item: str) -> str:
    """``item`` when it is in the library's catalogue, else 404."""
    if item not in ENABLEMENT_ITEMS:
        raise HTTPException(
            status_code=404,
            detail=f"Unknown enablement item '{item}'; use one of: {', '.join(ENABLEMENT_ITEMS)}.",
        )
    return item


def _published(session: Session, tenant_id: str, item: str) -> EnablementItem:
    record = session.get(EnablementItem, (tenant_id, item))
    if record is None:
        raise HTTPException(
            status_code=404,
            detail=f"Enablement item '{item}' has not been published to tenant '{tenant_id}'; "
            "PUT it first.",
        )
    return record


def _documents(record: EnablementItem) -> list[EnablementDocumentIO]:
    return [EnablementDocumentIO.model_validate(d) for d in record.documents]


def _item_out(record: EnablementItem) -> EnablementItemOut:
    return EnablementItemOut(
        item=record.item,
        title=record.title,
        documents=_documents(record),
        published_at=record.published_at,
        updated_at=record.updated_at,
    )


def opened_items(session: Session, tenant_id: str) -> list[str]:
    """The items at least one non-probe user of the tenant opened, in catalogue order."""
    opened = set(
        session.scalars(
            select(EnablementOpen.item).where(
                EnablementOpen.tenant_id == tenant_id, EnablementOpen.probe.is_(False)
            )
        )
    )
    return [item for item in ENABLEMENT_ITEMS if item in opened]


@admin_router.put("/tenants/{tenant_id}/enablement/{item}")
def publish_item(
    tenant_id: TenantPath,
    item: str,
    body: EnablementItemIn,
    ctx: Ctx,
    idempotency_key: IdempotencyKey = None,
) -> EnablementItemOut:
    """Publish (or update) an item of the tenant's library; the same body again changes nothing."""
    _known(item)
    documents: list[dict[str, Any]] = [d.model_dump() for d in body.documents]
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        record = session.get(EnablementItem, (tenant_id, item))
        now = utcnow()
        if record is None:
            record = EnablementItem(
                tenant_id=tenant_id,
                item=item,
                title=body.title,
                documents=documents,
                published_at=now,
                updated_at=now,
            )
            session.add(record)
            changed = True
        else:
            changed = (record.title, list(record.documents)) != (body.title, documents)
            if changed:
                record.title, record.documents, record.updated_at = body.title, documents, now
        record_operation(
            session, tenant_id, "publish_enablement_item", idempotency_key, changed=changed
        )
        if changed:
            write_log(
                session,
                tenant_id,
                f"enablement item {item} published with {len(documents)} document(s)",
            )
        session.flush()
        return _item_out(record)


@admin_router.get("/tenants/{tenant_id}/enablement/{item}")
def get_item(tenant_id: TenantPath, item: str, ctx: Ctx) -> EnablementItemOut:
    """One published item, or 404 (unknown item, or not published yet)."""
    _known(item)
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        return _item_out(_published(session, tenant_id, item))


@admin_router.get("/tenants/{tenant_id}/enablement")
def list_items(tenant_id: TenantPath, ctx: Ctx) -> list[EnablementItemOut]:
    """The items published to the tenant, in catalogue order."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        records = {
            r.item: r
            for r in session.scalars(
                select(EnablementItem).where(EnablementItem.tenant_id == tenant_id)
            )
        }
        return [_item_out(records[item]) for item in ENABLEMENT_ITEMS if item in records]


@tenant_router.get("/enablement/{item}")
def open_item(
    item: str, user: CurrentUser, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> EnablementOpenOut:
    """Open a published item as the session's user; the user's first open is recorded."""
    _known(item)
    with ctx.db.write() as session:
        record = _published(session, user.tenant_id, item)
        opened = session.get(EnablementOpen, (user.tenant_id, item, user.email))
        first = opened is None
        if opened is None:
            opened = EnablementOpen(
                tenant_id=user.tenant_id,
                item=item,
                email=user.email,
                probe=user.probe,
                first_opened_at=utcnow(),
            )
            session.add(opened)
            write_log(session, user.tenant_id, f"enablement item {item} opened by {user.email}")
        record_operation(
            session, user.tenant_id, "open_enablement_item", idempotency_key, changed=first
        )
        return EnablementOpenOut(
            **_item_out(record).model_dump(), first_opened_at=opened.first_opened_at
        )


router = APIRouter()
router.include_router(admin_router)
router.include_router(tenant_router)
