"""One sandbox for the whole package; tests use their own tenants and clear faults after."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.fixtures.sandbox import running_sandbox
from tests.sandbox.platform import ADMIN_KEY, Platform, Tenant


@pytest_asyncio.fixture(scope="session")
async def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    data_dir: Path = tmp_path_factory.mktemp("sandbox")
    async with running_sandbox(data_dir) as url:
        yield url


@pytest_asyncio.fixture
async def client(sandbox_url: str) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox_url, headers=headers, timeout=10) as http:
        yield http


@pytest_asyncio.fixture
async def platform(client: httpx.AsyncClient) -> AsyncIterator[Platform]:
    """The platform as admin; every fault a test switched on is cleared afterwards."""
    api = Platform(client)
    yield api
    await api.clear_faults()


@pytest_asyncio.fixture(scope="module")
async def module_platform(sandbox_url: str) -> AsyncIterator[Platform]:
    """The platform as admin, for fixtures shared by a module's tests."""
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with httpx.AsyncClient(base_url=sandbox_url, headers=headers, timeout=10) as http:
        yield Platform(http)


@pytest_asyncio.fixture(scope="module")
async def shared_tenant(module_platform: Platform) -> Tenant:
    """One prepared tenant for the tests of a module that do not change it."""
    return await module_platform.prepared_tenant()
