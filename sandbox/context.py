"""Everything a request handler needs from the running platform, kept on ``app.state``."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.db import Database
from sandbox.ratelimit import RateLimiter
from sandbox.settings import SandboxSettings
from sandbox.stats import RequestStats


@dataclass
class PlatformContext:
    """The platform's shared state: settings, database and in-memory counters."""

    settings: SandboxSettings
    db: Database
    limiter: RateLimiter
    stats: RequestStats
    token_secret: bytes
    admin_key: str
    """The bearer key of the admin API (the configured one or the data directory's)."""
