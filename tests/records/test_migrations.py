"""The hand-written migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

import records.outbox  # noqa: F401 - registers the outbox table on Base.metadata
from records.db import MIGRATIONS_DIR, alembic_config, default_url, make_engine, migrate
from records.models import Base


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_migrated_schema_matches_the_models(backend: str, request: pytest.FixtureRequest) -> None:
    url: str = request.getfixturevalue("pg_url" if backend == "postgresql" else "sqlite_url")
    migrate(url)  # a second run, on a migrated database, changes nothing

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
            head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
            assert head is not None and context.get_current_revision() == head
            assert {"onboardings", "entries", "alembic_version"} <= set(
                inspect(conn).get_table_names()
            )
    finally:
        engine.dispose()


def test_sqlite_uses_wal_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_downgrade_and_upgrade_through_alembic_commands(tmp_path: Path) -> None:
    url = default_url(tmp_path / "fresh" / "nested")
    migrate(url)
    config = alembic_config(url)  # no connection passed: env.py makes its own

    command.downgrade(config, "base")
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert "entries" not in inspect(conn).get_table_names()
        command.upgrade(config, "head")
        with engine.connect() as conn:
            assert "entries" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_the_default_url_and_script_location(tmp_path: Path) -> None:
    assert default_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/records.db"
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (
        alembic_config("postgresql+psycopg://u:p%40ss@db/x").get_main_option("sqlalchemy.url")
        == "postgresql+psycopg://u:p%40ss@db/x"
    )


def test_downgrading_0003_drops_the_signatures_and_links_only(tmp_path: Path) -> None:
    url = default_url(tmp_path)
    migrate(url)
    config = alembic_config(url)
    engine = make_engine(url)
    try:
        command.downgrade(config, "0002")
        with engine.connect() as conn:
            found = inspect(conn)
            assert "customer_links" not in found.get_table_names()
            assert "signature" not in {c["name"] for c in found.get_columns("entries")}
            assert "outbox" in found.get_table_names()
        migrate(url)
        with engine.connect() as conn:
            found = inspect(conn)
            assert "customer_links" in found.get_table_names()
            assert {"signature", "key_id"} <= {c["name"] for c in found.get_columns("entries")}
    finally:
        engine.dispose()
