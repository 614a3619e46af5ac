"""Per-tenant rate limiting and traffic statistics for every tenant API call (``/v1/t/...``)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

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
PROBE_LIMIT_HEADER = "X-Probe-Limit"
PROBE_WINDOW_HEADER = "X-Probe-Window"
PROBE_LIMIT_MAX = 100
PROBE_WINDOW_MAX = 60
MISMATCH_FACTOR = 1.5
"""Under the ``rate_limit_mismatch`` fault the platform enforces 50% more than configured."""


@dataclass(frozen=True)
class _Budget:
    configured: int
    """The tenant's configured per-minute limit."""
    mismatched: bool
    """The ``rate_limit_mismatch`` fault is on for the tenant."""

    def enforced(self, limit: int) -> int:
        return math.ceil(limit * MISMATCH_FACTOR) if self.mismatched else limit


@dataclass(frozen=True)
class _ProbeBucket:
    limit: int
    window_seconds: int


def _budget(ctx: PlatformContext, tenant_id: str) -> _Budget | None:
    """The tenant's configured limit and fault state, or None when the tenant does not exist."""
    with ctx.db.read() as session:
        configured = session.scalar(
            select(Account.rate_limit_per_minute).where(Account.tenant_id == tenant_id)
        )
        if configured is None:
            return None
        mismatched = faults.is_active(session, Fault.RATE_LIMIT_MISMATCH, tenant_id)
        return _Budget(configured, mismatched)


def _bounded_int(request: Request, header: str, high: int) -> int | None:
    """The header's value as an int in 1..high, None when absent; ValueError when invalid."""
    raw = request.headers.get(header)
    if raw is None:
        return None
    value = int(raw) if raw.strip().isdigit() else 0
    if not 1 <= value <= high:
        raise ValueError(f"{header} must be a whole number from 1 to {high}")
    return value


def _probe_bucket(request: Request) -> _ProbeBucket | None:
    """The small probe bucket a request asks for, if any (see sandbox/API.md).

    Raises:
        ValueError: The probe headers are incomplete or out of bounds.
    """
    limit = _bounded_int(request, PROBE_LIMIT_HEADER, PROBE_LIMIT_MAX)
    window = _bounded_int(request, PROBE_WINDOW_HEADER, PROBE_WINDOW_MAX)
    if limit is None and window is None:
        return None
    if limit is None or window is None or not request.headers.get(PROBE_HEADER):
        raise ValueError(
            f"{PROBE_LIMIT_HEADER} and {PROBE_WINDOW_HEADER} go together, with {PROBE_HEADER}"
        )
    return _ProbeBucket(limit, window)


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
        try:
            small = _probe_bucket(request)
        except ValueError as error:
            return JSONResponse(status_code=400, content={"detail": f"{error}."})
        budget = await run_in_threadpool(_budget, ctx, tenant_id)
        if budget is None:  # unknown tenant: the handler answers 404
            return await call_next(request)
        probe_key = request.headers.get(PROBE_HEADER)
        if small is not None:
            bucket: tuple[str, ...] = (tenant_id, "probe-small", str(probe_key))
            limit = budget.enforced(small.limit)
            decision = ctx.limiter.hit(bucket, limit, small.window_seconds)
        else:
            bucket = (tenant_id, "probe", probe_key) if probe_key else (tenant_id, "customer")
            limit = budget.enforced(budget.configured)
            decision = ctx.limiter.hit(bucket, limit)
        if not decision.allowed:
            return JSONResponse(
                status_code=429,
                headers=decision.headers(),
                content={
                    "detail": f"The rate limit of {limit} requests per "
                    f"{'minute' if small is None else f'{small.window_seconds} s'} is spent; "
                    f"retry after {decision.reset_seconds} seconds."
                },
            )
        started = time.perf_counter()
        response = await call_next(request)
        ctx.stats.record(tenant_id, (time.perf_counter() - started) * 1000, response.status_code)
        response.headers.update(decision.headers())
        return response
