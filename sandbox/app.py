"""The sandbox platform as a FastAPI application over its SQLite database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from sandbox.context import PlatformContext
from sandbox.db import Database
from sandbox.errors import install_error_handlers
from sandbox.middleware import install_tenant_middleware
from sandbox.ratelimit import RateLimiter
from sandbox.routes import (
    accounts,
    admin,
    enablement,
    environment,
    golive,
    readiness,
    tenant_identity,
    tenant_work,
)
from sandbox.settings import SandboxSettings
from sandbox.stats import RequestStats

TOKEN_SECRET_KEY = "token_secret"


def create_app(settings: SandboxSettings) -> FastAPI:
    """Build the platform: create (or reopen) its database in ``settings.data_dir``."""
    db = Database(settings.database_path)
    db.create()
    settings.tenants_dir.mkdir(parents=True, exist_ok=True)
    secret = (
        settings.token_secret.get_secret_value()
        if settings.token_secret is not None
        else db.meta_secret(TOKEN_SECRET_KEY)
    )
    ctx = PlatformContext(
        settings=settings,
        db=db,
        limiter=RateLimiter(),
        stats=RequestStats(),
        token_secret=secret.encode(),
        admin_key=settings.resolved_admin_key(),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        db.dispose()

    app = FastAPI(
        title="LocalizeVideos platform admin API (sandbox)",
        description="The sandbox implementation of sandbox/API.md, with fault injection.",
        version="1",
        lifespan=lifespan,
    )
    app.state.platform = ctx
    install_error_handlers(app)
    install_tenant_middleware(app, ctx)
    for module in (
        readiness,
        accounts,
        environment,
        golive,
        enablement,
        tenant_identity,
        tenant_work,
        admin,
    ):
        app.include_router(module.router)
    return app
