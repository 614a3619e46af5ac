"""Fixtures: a migrated outbox on SQLite (per test) and on PostgreSQL (per run)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from notify.outbox import OutboxStore
from records.db import make_engine
from tests.conftest import migrated_postgres_database


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own on the local PostgreSQL, migrated; dropped after."""
    with migrated_postgres_database("notify_test") as url:
        yield url


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
