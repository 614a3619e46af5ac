"""Per-tenant rate limiting and traffic statistics for every tenant API call (``/v1/t/...``)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from sandbox import faults
from sandbox.context import PlatformContext
from sandbox.faults import Fault
from sandbox.models import Account

_TENANT_PATH = re.compile(r"^/v1/t/([^/]+)/")
PROBE_HEADER = "X-Probe-Key"
MISMATCH_FACTOR = 1.5
"""Under the ``rate_limit_mismatch`` fault the platform enforces 50% more than configured."""


def _enforced_limit(ctx: PlatformContext, tenant_id: str) -> int | None:
    """The limit to enforce for the tenant, or None when the tenant does not exist."""
    with ctx.db.read() as session:
        configured = session.scalar(
            select(Account.rate_limit_per_minute).where(Account.tenant_id == tenant_id)
        )
        if configured is None:
            return None
        if faults.is_active(session, Fault.RATE_LIMIT_MISMATCH, tenant_id):
            return math.ceil(configured * MISMATCH_FACTOR)
        return configured


def install_tenant_middleware(app: FastAPI, ctx: PlatformContext) -> None:
    """Count tenant API calls against the tenant's budget (a probe key gets its own bucket)."""

    @app.middleware("http")
    async def rate_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        match = _TENANT_PATH.match(request.url.path)
        if match is None:
            return await call_next(request)
        tenant_id = match.group(1)
        limit = await run_in_threadpool(_enforced_limit, ctx, tenant_id)
        if limit is None:  # unknown tenant: the handler answers 404
            return await call_next(request)
        probe_key = request.headers.get(PROBE_HEADER)
        bucket = (tenant_id, "probe", probe_key) if probe_key else (tenant_id, "customer")
        decision = ctx.limiter.hit(bucket, limit)
        if not decision.allowed:
            return JSONResponse(
                status_code=429,
                headers=decision.headers(),
                content={
                    "detail": f"The rate limit of {limit} requests per minute is spent; "
                    f"retry after {decision.reset_seconds} seconds."
                },
            )
        started = time.perf_counter()
        response = await call_next(request)
        ctx.stats.record(tenant_id, (time.perf_counter() - started) * 1000, response.status_code)
        response.headers.update(decision.headers())
        return response
