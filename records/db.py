"""Engines and schema migrations for the records store (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.pool import ConnectionPoolEntry

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
"""Alembic's script directory, inside the installed package."""

WRITE_OPTION = "records_write"
"""Execution option of connections that append: on SQLite they take the write lock
at BEGIN (`BEGIN IMMEDIATE`), so two writers never read the same chain head."""

_MIGRATION_LOCK_KEY = 3_300_033
"""PostgreSQL advisory lock id held while migrating, so workers starting together wait."""

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


SUPPORTED_URLS = {"sqlite": {"pysqlite"}, "postgresql": {"psycopg"}}
"""Backends and drivers of the records store (the driver may be left out for SQLite)."""


def check_url(url: str) -> str:
    """Return the URL if the records store can use it, else raise a ValueError saying which
    URLs it takes (the URL itself is not repeated: it may hold a password)."""
    from sqlalchemy.exc import ArgumentError

    hint = "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB"
    try:
        parsed = make_url(url.strip())
    except (ArgumentError, ValueError):
        raise ValueError(f"is not a database URL; {hint}") from None
    backend, driver = parsed.get_backend_name(), parsed.get_driver_name()
    drivers = SUPPORTED_URLS.get(backend)
    if drivers is None or driver not in drivers:
        raise ValueError(
            f"uses {parsed.drivername}, which the records store does not support; {hint}"
        )
    return url.strip()


def default_url(data_dir: Path | str) -> str:
    """Return the default records URL: a SQLite file `records.db` in the data directory."""
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / 'records.db'}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for the records store.

    On SQLite: WAL journal, foreign keys enforced, a busy timeout, and transactions
    begun by SQLAlchemy (`BEGIN IMMEDIATE` for writers). The database file's folder is
    created if missing. On PostgreSQL: connections are checked before use.

    Args:
        url: A SQLAlchemy URL, e.g. `sqlite:///...` or `postgresql+psycopg://...`.
        **kwargs: Passed on to `sqlalchemy.create_engine`.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    database = parsed.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, **kwargs.pop("connect_args", {})}
    engine = create_engine(parsed, connect_args=connect_args, **kwargs)
    event.listen(engine, "connect", _sqlite_on_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the sqlite3 module (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def alembic_config(url: str) -> Config:
    """Return an Alembic configuration for the records schema, built in code.

    Use it for Alembic commands, e.g. `command.revision(alembic_config(url), "msg",
    autogenerate=True)` when the models change.
    """
    from alembic.config import Config  # imported when migrating: a CLI start stays quick

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser interpolates '%': a URL-encoded password must survive it.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the records schema up to `revision` (default: the newest). Safe to repeat.

    Several processes may call it at once: on PostgreSQL they queue on an advisory
    lock, on SQLite on the database's write lock.
    """
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                    )
                from alembic import command

                config = alembic_config(url)
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
    finally:
        engine.dispose()
