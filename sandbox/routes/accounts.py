"""Step 2 endpoints: accounts (idempotent creation), users, feature flags, security, limits."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from sandbox import faults, rbac
from sandbox.deps import Ctx, IdempotencyKey, TenantPath, load_account, require_admin
from sandbox.faults import Fault
from sandbox.journal import record_operation, write_log
from sandbox.models import (
    Account,
    AccountAdmin,
    Feature,
    Region,
    SecuritySettings,
    SessionRecord,
    TenantFeature,
    User,
    utcnow,
)
from sandbox.passwords import hash_password, verify_password
from sandbox.schemas import (
    AccountIn,
    AccountOut,
    FeaturesIO,
    RateLimitIO,
    SecurityIO,
    UserIn,
    UserOut,
    normalise_email,
)
from sandbox.tenant_db import create_tenant_db

router = APIRouter(prefix="/v1", dependencies=[Depends(require_admin)], tags=["accounts"])

DEFAULT_RATE_LIMIT_PER_MINUTE = 600
DEFAULT_SECURITY = SecurityIO(
    mfa_required=True, max_session_minutes=60, password_min_length=12, sso_enabled=False
)
PHANTOM_FEATURE = "lip_sync_beta"


def account_out(session: Session, account: Account) -> AccountOut:
    """The API view of an account."""
    emails = session.scalars(
        select(AccountAdmin.email)
        .where(AccountAdmin.account_id == account.account_id)
        .order_by(AccountAdmin.email)
    )
    return AccountOut(
        account_id=account.account_id,
        tenant_id=account.tenant_id,
        name=account.name,
        region=account.region,
        seats=account.seats,
        status=account.status,
        created_at=account.created_at,
        idempotency_key=account.idempotency_key,
        go_live_at=account.go_live_at,
        admin_emails=list(emails),
    )


def _foreign_account(tenant_id: str) -> AccountOut:
    """The pre-existing account the ``account_exists`` fault pretends is bound to the tenant."""
    digest = hashlib.sha256(tenant_id.encode()).hexdigest()[:12]
    return AccountOut(
        account_id=f"acct_{digest}",
        tenant_id=tenant_id,
        name="Pre-existing customer account",
        region="eu-central",
        seats=25,
        status="live",
        created_at=datetime(2024, 6, 1, tzinfo=UTC),
        idempotency_key=f"foreign-{digest}",
    )


def _conflict(detail: str) -> HTTPException:
    return HTTPException(status_code=409, detail=detail)


# --- Accounts ---------------------------------------------------------------------------------


@router.get("/accounts")
def find_accounts(
    ctx: Ctx,
    tenant_id: Annotated[str | None, Query()] = None,
    admin_email: Annotated[str | None, Query()] = None,
) -> list[AccountOut]:
    """Accounts bound to the tenant id or the admin e-mail (all accounts when neither is given)."""
    with ctx.db.read() as session:
        query = select(Account).order_by(Account.created_at)
        conditions = []
        if tenant_id is not None:
            conditions.append(Account.tenant_id == tenant_id)
        if admin_email is not None:
            owners = select(AccountAdmin.account_id).where(
                AccountAdmin.email == admin_email.strip().lower()
            )
            conditions.append(Account.account_id.in_(owners))
        if conditions:
            query = query.where(or_(*conditions))
        found = [account_out(session, a) for a in session.scalars(query)]
        if tenant_id is not None and faults.is_active(session, Fault.ACCOUNT_EXISTS, tenant_id):
            found.insert(0, _foreign_account(tenant_id))
        return found


def _check_conflicts(session: Session, body: AccountIn) -> None:
    """Refuse (409) a tenant id or admin e-mail bound to an account made with another key."""
    if faults.is_active(session, Fault.ACCOUNT_EXISTS, body.tenant_id):
        other = _foreign_account(body.tenant_id)
        raise _conflict(
            f"Tenant '{body.tenant_id}' is already bound to account {other.account_id} "
            "(created with another idempotency key); resolve the shared account first."
        )
    bound = session.scalar(select(Account).where(Account.tenant_id == body.tenant_id))
    if bound is not None:
        raise _conflict(
            f"Tenant '{body.tenant_id}' is already bound to account {bound.account_id} "
            "(created with another idempotency key); resolve the shared account first."
        )
    emails = [a.email for a in body.admins]
    taken = session.scalars(select(AccountAdmin).where(AccountAdmin.email.in_(emails))).first()
    if taken is not None:
        raise _conflict(
            f"Admin e-mail {taken.email} is already bound to account {taken.account_id}; "
            "each admin e-mail may belong to one account only."
        )


def _check_region(session: Session, body: AccountIn) -> None:
    region = session.get(Region, body.region)
    if region is None:
        names = ", ".join(session.scalars(select(Region.name).order_by(Region.name)))
        raise HTTPException(
            status_code=400, detail=f"Unknown region '{body.region}'; use one of: {names}."
        )
    sold = session.scalar(
        select(func.coalesce(func.sum(Account.seats), 0)).where(Account.region == region.name)
    )
    free = region.capacity_seats - region.baseline_used_seats - int(sold or 0)
    if body.seats > free:
        raise _conflict(
            f"Region {region.name} has only {free} free seats; {body.seats} were requested."
        )


@router.post("/tenants", status_code=201)
def create_tenant(body: AccountIn, response: Response, ctx: Ctx) -> AccountOut:
    """Create the tenant's account once per idempotency key (201; a repeat answers 200)."""
    emails = [a.email for a in body.admins]
    if len(set(emails)) != len(emails):
        raise HTTPException(status_code=400, detail="The admins list the same e-mail twice.")
    with ctx.db.write() as session:
        same_key = session.scalar(
            select(Account).where(Account.idempotency_key == body.idempotency_key)
        )
        if same_key is not None and not faults.is_active(
            session, Fault.ACCOUNT_EXISTS, body.tenant_id
        ):
            if same_key.tenant_id != body.tenant_id:
                raise _conflict(
                    f"Idempotency key '{body.idempotency_key}' was already used for tenant "
                    f"'{same_key.tenant_id}'; use a new key for another tenant."
                )
            record_operation(
                session, body.tenant_id, "create_account", body.idempotency_key, changed=False
            )
            response.status_code = 200
            return account_out(session, same_key)
        _check_conflicts(session, body)
        _check_region(session, body)
        create_tenant_db(ctx.settings.tenants_dir, body.tenant_id, body.name)
        account = Account(
            account_id=f"acct_{uuid.uuid4().hex[:12]}",
            tenant_id=body.tenant_id,
            idempotency_key=body.idempotency_key,
            name=body.name,
            region=body.region,
            seats=body.seats,
            status="provisioned",
            created_at=utcnow(),
            rate_limit_per_minute=DEFAULT_RATE_LIMIT_PER_MINUTE,
        )
        session.add(account)
        session.flush()
        for admin in body.admins:
            session.add(AccountAdmin(email=admin.email, account_id=account.account_id))
            session.add(
                User(tenant_id=body.tenant_id, email=admin.email, name=admin.name, roles=["admin"])
            )
        session.add(SecuritySettings(tenant_id=body.tenant_id, **DEFAULT_SECURITY.model_dump()))
        record_operation(session, body.tenant_id, "create_account", body.idempotency_key)
        write_log(session, body.tenant_id, f"account {account.account_id} created")
        session.flush()
        return account_out(session, account)


@router.get("/tenants/{tenant_id}")
def get_tenant(tenant_id: TenantPath, ctx: Ctx) -> AccountOut:
    """The tenant's account, or 404."""
    with ctx.db.read() as session:
        return account_out(session, load_account(session, tenant_id))


# --- Users ------------------------------------------------------------------------------------


def _user_out(user: User) -> UserOut:
    return UserOut(email=user.email, name=user.name, roles=list(user.roles), probe=user.probe)


def _email_from_path(email: str) -> str:
    try:
        return normalise_email(email)
    except ValueError:
        raise HTTPException(
            status_code=400, detail=f"'{email}' is not an e-mail address."
        ) from None


def _find_user(session: Session, tenant_id: str, email: str) -> User | None:
    return session.scalar(select(User).where(User.tenant_id == tenant_id, User.email == email))


@router.get("/tenants/{tenant_id}/users")
def list_users(tenant_id: TenantPath, ctx: Ctx) -> list[UserOut]:
    """The tenant's users."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        users = session.scalars(select(User).where(User.tenant_id == tenant_id).order_by(User.id))
        return [_user_out(u) for u in users]


@router.put("/tenants/{tenant_id}/users/{email}")
def put_user(
    tenant_id: TenantPath,
    email: str,
    body: UserIn,
    ctx: Ctx,
    idempotency_key: IdempotencyKey = None,
) -> UserOut:
    """Create or update a user (idempotent); a given password is stored only as a hash."""
    email = _email_from_path(email)
    roles = rbac.canonical(body.roles)
    # Hash outside the write transaction: scrypt is slow and the write lock is shared.
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        existing = _find_user(session, tenant_id, email)
        old_hash = existing.password_hash if existing else None
    new_hash = None
    hashing = ctx.settings.password_hashing
    if body.password is not None and not (
        old_hash and verify_password(body.password, old_hash, hashing)
    ):
        new_hash = hash_password(body.password, hashing)
    with ctx.db.write() as session:
        account = load_account(session, tenant_id)
        user = _find_user(session, tenant_id, email)
        if user is None:
            user = User(tenant_id=account.tenant_id, email=email, name=body.name, roles=roles)
            session.add(user)
            changed = True
        else:
            changed = (user.name, list(user.roles), user.probe) != (body.name, roles, body.probe)
        user.name, user.roles, user.probe = body.name, roles, body.probe
        if new_hash is not None:
            user.password_hash = new_hash
            changed = True
        record_operation(session, tenant_id, "upsert_user", idempotency_key, changed=changed)
        if changed:
            write_log(session, tenant_id, f"user {email} saved with roles {', '.join(roles)}")
        session.flush()
        return _user_out(user)


@router.delete("/tenants/{tenant_id}/users/{email}", status_code=204)
def delete_user(
    tenant_id: TenantPath, email: str, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> Response:
    """Remove a user and revoke their sessions (204 also when there was no such user)."""
    email = _email_from_path(email)
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        user = _find_user(session, tenant_id, email)
        if user is not None:
            sessions = select(SessionRecord).where(
                SessionRecord.tenant_id == tenant_id,
                SessionRecord.email == email,
                SessionRecord.revoked_at.is_(None),
            )
            for record in session.scalars(sessions):
                record.revoked_at = utcnow()
            session.delete(user)
            write_log(session, tenant_id, f"user {email} removed")
        record_operation(
            session, tenant_id, "delete_user", idempotency_key, changed=user is not None
        )
    return Response(status_code=204)


# --- Feature flags ----------------------------------------------------------------------------


def _some(names: list[str], shown: int = 10) -> str:
    """The first names, and how many more: an error never echoes a whole request back."""
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def enabled_features(session: Session, tenant_id: str) -> list[str]:
    """The features switched on for the tenant, in catalogue order."""
    query = (
        select(Feature.key)
        .join(TenantFeature, TenantFeature.feature_key == Feature.key)
        .where(TenantFeature.tenant_id == tenant_id)
        .order_by(Feature.position)
    )
    return list(session.scalars(query))


@router.put("/tenants/{tenant_id}/features")
def put_features(
    tenant_id: TenantPath, body: FeaturesIO, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> FeaturesIO:
    """Switch on exactly ``features`` for the tenant; unknown features are refused (400)."""
    wanted = {f.strip() for f in body.features}
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        known = set(session.scalars(select(Feature.key)))
        unknown = sorted(wanted - known)
        if unknown:
            raise HTTPException(
                status_code=400,
                detail=f"Unknown feature(s): {_some(unknown)}; see GET /v1/features.",
            )
        before = set(enabled_features(session, tenant_id))
        for key in before - wanted:
            row = session.get(TenantFeature, (tenant_id, key))
            if row is not None:
                session.delete(row)
        for key in wanted - before:
            session.add(TenantFeature(tenant_id=tenant_id, feature_key=key))
        changed = before != wanted
        record_operation(session, tenant_id, "set_features", idempotency_key, changed=changed)
        session.flush()
        result = enabled_features(session, tenant_id)
        if changed:
            write_log(session, tenant_id, f"features set to {', '.join(result) or '(none)'}")
        return FeaturesIO(features=result)


@router.get("/tenants/{tenant_id}/features")
def get_features(tenant_id: TenantPath, ctx: Ctx) -> FeaturesIO:
    """The effective feature flags of the tenant."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        features = enabled_features(session, tenant_id)
        if PHANTOM_FEATURE not in features and faults.is_active(
            session, Fault.HIDDEN_FEATURE_ENABLED, tenant_id
        ):
            features.append(PHANTOM_FEATURE)
        return FeaturesIO(features=features)


# --- Security settings ------------------------------------------------------------------------


def _security_read_back(session: Session, tenant_id: str) -> SecurityIO:
    settings = session.get(SecuritySettings, tenant_id)
    current = (
        DEFAULT_SECURITY
        if settings is None
        else SecurityIO(
            mfa_required=settings.mfa_required,
            max_session_minutes=settings.max_session_minutes,
            password_min_length=settings.password_min_length,
            sso_enabled=settings.sso_enabled,
        )
    )
    if faults.is_active(session, Fault.SECURITY_DEFAULTS_WEAKENED, tenant_id):
        current = current.model_copy(update={"mfa_required": False})
    return current


@router.put("/tenants/{tenant_id}/security")
def put_security(
    tenant_id: TenantPath, body: SecurityIO, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> SecurityIO:
    """Store the tenant's security settings and read them back."""
    with ctx.db.write() as session:
        load_account(session, tenant_id)
        settings = session.get(SecuritySettings, tenant_id)
        if settings is None:
            settings = SecuritySettings(tenant_id=tenant_id, **body.model_dump())
            session.add(settings)
            changed = True
        else:
            before = (
                settings.mfa_required,
                settings.max_session_minutes,
                settings.password_min_length,
                settings.sso_enabled,
            )
            for field, value in body.model_dump().items():
                setattr(settings, field, value)
            changed = before != (
                body.mfa_required,
                body.max_session_minutes,
                body.password_min_length,
                body.sso_enabled,
            )
        record_operation(session, tenant_id, "set_security", idempotency_key, changed=changed)
        if changed:
            write_log(session, tenant_id, "security settings updated")
        session.flush()
        return _security_read_back(session, tenant_id)


@router.get("/tenants/{tenant_id}/security")
def get_security(tenant_id: TenantPath, ctx: Ctx) -> SecurityIO:
    """The security settings in force."""
    with ctx.db.read() as session:
        load_account(session, tenant_id)
        return _security_read_back(session, tenant_id)


# --- Rate limit -------------------------------------------------------------------------------


@router.put("/tenants/{tenant_id}/rate-limit")
def put_rate_limit(
    tenant_id: TenantPath, body: RateLimitIO, ctx: Ctx, idempotency_key: IdempotencyKey = None
) -> RateLimitIO:
    """Configure the tenant's API budget per minute."""
    with ctx.db.write() as session:
        account = load_account(session, tenant_id)
        changed = account.rate_limit_per_minute != body.per_minute
        account.rate_limit_per_minute = body.per_minute
        record_operation(session, tenant_id, "set_rate_limit", idempotency_key, changed=changed)
        if changed:
            write_log(session, tenant_id, f"rate limit set to {body.per_minute} per minute")
        return RateLimitIO(per_minute=account.rate_limit_per_minute)


@router.get("/tenants/{tenant_id}/rate-limit")
def get_rate_limit(tenant_id: TenantPath, ctx: Ctx) -> RateLimitIO:
    """The configured API budget per minute."""
    with ctx.db.read() as session:
        return RateLimitIO(per_minute=load_account(session, tenant_id).rate_limit_per_minute)
