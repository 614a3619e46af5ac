"""Alembic environment of the records schema.

`records.db.migrate` passes an open connection in `config.attributes["connection"]`;
without one, a connection is made from the `sqlalchemy.url` option. Offline mode
(`--sql`) prints the DDL for a DBA instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import records.outbox  # noqa: F401 - the outbox table is part of the schema too
from records.db import make_engine
from records.models import Base


def _run_offline() -> None:
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=Base.metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if isinstance(connection, Connection):
        _run_on(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database: set the sqlalchemy.url option or pass a connection")
    engine = make_engine(url)
    try:
        with engine.connect() as new_connection:
            _run_on(new_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
