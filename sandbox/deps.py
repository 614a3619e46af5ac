"""Request dependencies: the platform context, admin key check and the tenant session."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from sandbox import faults, tokens
from sandbox.context import PlatformContext
from sandbox.faults import Fault
from sandbox.models import Account, SessionRecord, User


def get_context(request: Request) -> PlatformContext:
    """The platform the app was created for."""
    context: PlatformContext = request.app.state.platform
    return context


Ctx = Annotated[PlatformContext, Depends(get_context)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Recorded in the operations log."),
]
TenantPath = Annotated[str, Path(description="The tenant id")]

_BEARER = "bearer "


def _bearer(authorization: str | None) -> str | None:
    if authorization is None or not authorization.lower().startswith(_BEARER):
        return None
    return authorization[len(_BEARER) :].strip() or None


def require_admin(ctx: Ctx, authorization: Annotated[str | None, Header()] = None) -> None:
    """Refuse (401) a request without the admin API key."""
    given = _bearer(authorization)
    expected = ctx.admin_key
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise HTTPException(
            status_code=401,
            detail="Send the platform admin API key as 'Authorization: Bearer <key>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )


def load_account(session: Session, tenant_id: str) -> Account:
    """The tenant's account, or 404."""
    account = session.scalar(select(Account).where(Account.tenant_id == tenant_id))
    if account is None:
        raise HTTPException(
            status_code=404,
            detail=f"There is no account for tenant '{tenant_id}'; "
            "create it with POST /v1/tenants.",
        )
    return account


@dataclass(frozen=True)
class Principal:
    """The user behind a valid session token."""

    tenant_id: str
    email: str
    roles: list[str]
    probe: bool
    session_id: str
    expires_at: datetime


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def current_principal(
    ctx: Ctx, tenant_id: TenantPath, authorization: Annotated[str | None, Header()] = None
) -> Principal:
    """The holder of the request's session token for ``tenant_id``, or 404/401.

    The token must be correctly signed, bound to this tenant, unexpired and not revoked;
    faults may switch off exactly one of those checks.
    """
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        token = _bearer(authorization)
        if token is None:
            raise _unauthorised("Send the session token as 'Authorization: Bearer <token>'.")
        verify = not faults.is_active(session, Fault.TAMPERED_TOKEN_ACCEPTED, tenant_id)
        try:
            claims = tokens.read(token, ctx.token_secret, verify_signature=verify)
        except tokens.TokenError:
            raise _unauthorised("The session token is invalid; log in again.") from None
        if claims.tenant_id != tenant_id:
            raise _unauthorised("The session token belongs to another tenant; log in to this one.")
        if time.time() >= claims.expires_at and not faults.is_active(
            session, Fault.SESSION_NEVER_EXPIRES, tenant_id
        ):
            raise _unauthorised("The session token has expired; log in again.")
        record = session.get(SessionRecord, claims.session_id)
        if record is None or record.tenant_id != tenant_id or record.revoked_at is not None:
            raise _unauthorised("The session has been revoked; log in again.")
        user = session.scalar(
            select(User).where(User.tenant_id == tenant_id, User.email == claims.email)
        )
        if user is None:
            raise _unauthorised("The session's user no longer exists.")
        return Principal(
            tenant_id=tenant_id,
            email=user.email,
            roles=list(user.roles),
            probe=user.probe,
            session_id=claims.session_id,
            expires_at=datetime.fromtimestamp(claims.expires_at, UTC),
        )


CurrentUser = Annotated[Principal, Depends(current_principal)]
