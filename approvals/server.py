"""Run the approvals service (`onboard approvals`): settings -> keys -> clients -> uvicorn."""

from __future__ import annotations

import signal
from types import FrameType
from urllib.parse import urlsplit

import uvicorn

from approvals.app import create_app
from approvals.links import LinkStore
from approvals.redeem import Redeemer
from records.db import make_engine, migrate
from worker.client import connect_waiting
from worker.config import Settings
from worker.keys import approvals_key, link_key


async def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Serve until SIGINT or SIGTERM; listens where ONBOARDING_PORTAL_URL points.

    Raises:
        worker.keys.MissingKey: The approvals key or the link key is not there.
        worker.client.TemporalUnreachable: Temporal did not answer within a minute.
    """
    service_key = approvals_key(settings)
    secret = link_key(settings)
    url = settings.records_url()
    migrate(url)
    engine = make_engine(url)
    client = await connect_waiting(settings.temporal)
    where = urlsplit(settings.portal_url)
    app = create_app(Redeemer(LinkStore(engine), secret, service_key, client))
    config = uvicorn.Config(
        app,
        host=host or where.hostname or "127.0.0.1",
        port=port or where.port or 8500,
        log_level="warning",
        access_log=False,  # request lines carry link tokens in their paths
        lifespan="off",
    )
    # Uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal to the
    # handlers it found: no-op handlers make that a normal exit (status 0).
    previous = {sig: signal.signal(sig, _ignore) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        await uvicorn.Server(config).serve()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        engine.dispose()


def _ignore(_signum: int, _frame: FrameType | None) -> None:
    """Swallow the signal uvicorn re-raises after its graceful shutdown."""
