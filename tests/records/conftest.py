"""Fixtures: a migrated records store on SQLite (per test) and on PostgreSQL (per run)."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import uuid4

import pytest

from records.db import make_engine
from records.signing import RecordsSigner
from records.store import RecordsStore
from tests.conftest import migrated_postgres_database
from tests.identities import key_of

RECORDS_KEY = RecordsSigner(key_of("records"))
"""The test run's records key (made fresh for each run)."""


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A database of this test run's own on the local PostgreSQL, migrated; dropped after."""
    with migrated_postgres_database("records_test") as url:
        yield url


def _store(url: str) -> Iterator[RecordsStore]:
    engine = make_engine(url)
    try:
        yield RecordsStore(engine, RECORDS_KEY)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[RecordsStore]:
    yield from _store(sqlite_url)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[RecordsStore]:
    yield from _store(pg_url)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> RecordsStore:
    """The store on each backend in turn."""
    store: RecordsStore = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_store"
    )
    return store


@pytest.fixture
def tenant() -> str:
    """A tenant id of the test's own (the PostgreSQL database is shared by the run)."""
    return f"t-{uuid4().hex[:12]}"
