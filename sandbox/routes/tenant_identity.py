"""Step 3 tenant API: login, the current session, logout and the RBAC decision."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import select

from sandbox import faults, rbac, tokens
from sandbox.deps import Ctx, CurrentUser, IdempotencyKey, TenantPath, load_account
from sandbox.faults import Fault
from sandbox.journal import record_operation, write_log
from sandbox.models import SecuritySettings, SessionRecord, User, utcnow
from sandbox.passwords import verify_password
from sandbox.routes.accounts import DEFAULT_SECURITY
from sandbox.schemas import AllowedOut, LoginIn, LoginOut, MeOut

router = APIRouter(prefix="/v1/t/{tenant_id}", tags=["tenant identity"])
logger = logging.getLogger("sandbox.auth")


def _refuse_login(ctx: Ctx, tenant_id: str, email: str) -> HTTPException:
    with ctx.db.write() as session:
        write_log(session, tenant_id, f"login failed for {email}")
    return HTTPException(
        status_code=401,
        detail="Wrong e-mail or password.",
        headers={"WWW-Authenticate": "Bearer"},
    )


@router.post("/login")
def login(
    tenant_id: TenantPath, body: LoginIn, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> LoginOut:
    """Open a session; ``ttl_seconds`` may shorten, never lengthen, the tenant's maximum."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        user = session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == body.email)
        )
        password_hash = user.password_hash if user else None
        roles = list(user.roles) if user else []
        admin_broken = "admin" in roles and faults.is_active(
            session, Fault.ADMIN_LOGIN_BROKEN, tenant_id
        )
        security = session.get(SecuritySettings, tenant_id)
        max_minutes = (security or DEFAULT_SECURITY).max_session_minutes
    hashing = ctx.settings.password_hashing
    if not verify_password(body.password, password_hash, hashing) or admin_broken:
        raise _refuse_login(ctx, tenant_id, body.email)
    ttl = max_minutes * 60
    if body.ttl_seconds is not None:
        ttl = min(ttl, body.ttl_seconds)
    now = time.time()
    claims = tokens.Claims(
        session_id=uuid.uuid4().hex,
        tenant_id=tenant_id,
        email=body.email,
        expires_at=now + ttl,
    )
    issued_at = datetime.fromtimestamp(now, UTC)
    expires_at = datetime.fromtimestamp(claims.expires_at, UTC)
    with ctx.db.write() as session:
        session.add(
            SessionRecord(
                id=claims.session_id,
                tenant_id=tenant_id,
                email=body.email,
                created_at=issued_at,
                expires_at=expires_at,
            )
        )
        stored = session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == body.email)
        )
        if stored is not None:
            stored.last_login_at = utcnow()
        record_operation(session, tenant_id, "login", idempotency_key)
        write_log(session, tenant_id, f"login succeeded for {body.email}")
    token = tokens.sign(ctx.token_secret, claims)
    return LoginOut(token=token, issued_at=issued_at, expires_at=expires_at, roles=roles)


@router.get("/me")
def me(user: CurrentUser) -> MeOut:
    """Who the session token belongs to and when it expires."""
    return MeOut(
        email=user.email, roles=user.roles, tenant_id=user.tenant_id, expires_at=user.expires_at
    )


@router.post("/logout", status_code=204)
def logout(user: CurrentUser, ctx: Ctx, idempotency_key: IdempotencyKey = None) -> Response:
    """Revoke the session token."""
    with ctx.db.write() as session:
        keep = faults.is_active(session, Fault.LOGOUT_DOES_NOT_REVOKE, user.tenant_id)
        record = session.get(SessionRecord, user.session_id)
        if record is not None and not keep:
            record.revoked_at = utcnow()
        record_operation(session, user.tenant_id, "logout", idempotency_key)
        write_log(session, user.tenant_id, f"logout of {user.email}")
    return Response(status_code=204)


@router.post("/actions/{action}")
def take_action(action: str, user: CurrentUser, ctx: Ctx) -> AllowedOut:
    """200 when the caller's roles allow ``action``, else 403 (404 for unknown actions)."""
    if action not in rbac.ACTIONS:
        raise HTTPException(
            status_code=404,
            detail=f"Unknown action '{action}'; use one of: {', '.join(rbac.ACTIONS)}.",
        )
    if rbac.allowed(user.roles, action):
        return AllowedOut(allowed=True)
    if action == "manage_users" and "viewer" in user.roles:
        with ctx.db.read() as session:
            if faults.is_active(session, Fault.VIEWER_CAN_ADMIN, user.tenant_id):
                return AllowedOut(allowed=True)
    raise HTTPException(
        status_code=403,
        detail=f"Role(s) {', '.join(user.roles)} may not {action}; "
        f"it needs {rbac.ACTIONS[action]} or above.",
    )
