"""The same records give the same report on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from portfolio.filters import make_filters
from portfolio.report import portfolio_report
from records.db import default_url, make_engine, migrate
from records.store import RecordsStore
from tests.conftest import migrated_postgres_database
from tests.portfolio.synth import AS_OF, QUARTER, START, synthesise
from tests.records.conftest import RECORDS_KEY


def _report(url: str) -> str:
    engine = make_engine(url)
    try:
        store = RecordsStore(engine, RECORDS_KEY)
        synthesise(store, 5, first_start=START, spread=QUARTER, as_of=AS_OF, seed=7)
        report = portfolio_report(store, make_filters(None), AS_OF)
        return report.model_dump_json()
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_report_is_identical_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    sqlite = default_url(tmp_path / "data")
    migrate(sqlite)
    with migrated_postgres_database("report") as postgres:
        assert _report(postgres) == _report(sqlite)
