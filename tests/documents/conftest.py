"""Fixtures: a fresh sandbox platform per test, the activities bound to it, a provisioned tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from activities.catalog import platform_activities
from activities.documents import DocumentActivities
from activities.platform import PlatformClient, ProbeConfig
from tests.activities.support import ADMIN_KEY, PROBE_PASSWORD, provision
from tests.fixtures.sandbox import running_sandbox


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[PlatformClient]:
    async with (
        running_sandbox(tmp_path / "sandbox") as url,
        httpx.AsyncClient(timeout=15) as http,
    ):
        yield PlatformClient(http, SecretStr(ADMIN_KEY), base_url=url)


@pytest.fixture
def probe() -> ProbeConfig:
    return ProbeConfig(password=SecretStr(PROBE_PASSWORD))


@pytest.fixture
def artifacts(tmp_path: Path) -> Path:
    return tmp_path / "artifacts"


@pytest.fixture
def documents(platform: PlatformClient, probe: ProbeConfig, artifacts: Path) -> DocumentActivities:
    return DocumentActivities(platform, probe, artifacts)


@pytest.fixture
async def provisioned(platform: PlatformClient, probe: ProbeConfig) -> None:
    """The example tenant, provisioned by the real Step 2 activity."""
    await provision({fn.__name__: fn for fn in platform_activities(platform, probe)})
