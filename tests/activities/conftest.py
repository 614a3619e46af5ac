"""Fixtures: a fresh sandbox platform per test, and the activities bound to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from activities.catalog import platform_activities
from activities.platform import PlatformClient, ProbeConfig
from tests.activities.support import ADMIN_KEY, PROBE_PASSWORD
from tests.fixtures.sandbox import running_sandbox


@pytest.fixture
async def sandbox_url(tmp_path: Path) -> AsyncIterator[str]:
    async with running_sandbox(tmp_path / "sandbox") as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=15) as client:
        yield client


@pytest.fixture
def platform(http: httpx.AsyncClient, sandbox_url: str) -> PlatformClient:
    return PlatformClient(http, SecretStr(ADMIN_KEY), base_url=sandbox_url)


@pytest.fixture
def probe() -> ProbeConfig:
    return ProbeConfig(
        password=SecretStr(PROBE_PASSWORD),
        logging_wait_seconds=1.5,
        session_expiry_margin_seconds=0.5,
    )


@pytest.fixture
def acts(platform: PlatformClient, probe: ProbeConfig) -> dict[str, Callable[..., Any]]:
    """Every platform activity by its activity name."""
    return {fn.__name__: fn for fn in platform_activities(platform, probe)}
