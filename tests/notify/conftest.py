"""Fixtures: a migrated outbox on SQLite (per test) and on PostgreSQL (per run)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from notify.outbox import OutboxStore
from records.db import default_url, make_engine, migrate
from tests.conftest import require_service

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
PG_ADMIN_URL = f"{PG_SERVER}/test"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own on the local PostgreSQL, migrated; dropped after."""
    admin = create_engine(
        PG_ADMIN_URL,
        isolation_level="AUTOCOMMIT",
        poolclass=NullPool,
        connect_args={"connect_timeout": 3},
    )
    name = f"notify_test_{uuid4().hex[:12]}"
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
    url = default_url(tmp_path / "data")
    migrate(url)
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def outbox(request: pytest.FixtureRequest) -> Iterator[OutboxStore]:
    """The outbox on each backend in turn."""
    url: str = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    engine = make_engine(url)
    try:
        yield OutboxStore(engine)
    finally:
        engine.dispose()


@pytest.fixture
def tenant() -> str:
    """A tenant id of the test's own (the PostgreSQL database is shared by the run)."""
    return f"t-{uuid4().hex[:12]}"
