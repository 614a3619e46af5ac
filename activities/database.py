"""Connect to a tenant database with SQLAlchemy and prove it answers (blocking code)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool


def safe_url(url: str) -> str:
    """Return the URL for evidence and logs, with any password masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparsable database URL>"


def _read_only(url: URL) -> URL:
    # A plain SQLite path would be created empty by connecting; open it read-only through
    # a URI instead, so a missing tenant database is reported, not silently made.
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return url
    if url.query.get("uri") == "true":
        return url
    return url.set(
        database=f"file:{url.database}", query={**url.query, "mode": "ro", "uri": "true"}
    )


def describe_error(error: BaseException, url: str) -> str:
    """Return a one-line, password-free description of a connection failure."""
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    message = (str(cause).strip().splitlines() or [""])[0][:300]
    password = None
    try:
        password = make_url(url).password
    except Exception:
        password = None
    if password:
        message = message.replace(str(password), "***")
    return f"{type(cause).__name__}: {message}" if message else type(cause).__name__


def probe_database(url: str, timeout_seconds: float) -> dict[str, Any]:
    """Connect, run ``SELECT 1`` and list the tables; blocking, run it in a thread.

    Args:
        url: SQLAlchemy URL of the tenant database.
        timeout_seconds: Connect timeout handed to drivers that take one.

    Returns:
        Evidence: the masked URL, the dialect, the query answer and the table count.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: The database could not be reached or queried.
    """
    parsed = _read_only(make_url(url))
    backend = parsed.get_backend_name()
    connect_args: dict[str, Any] = {}
    if backend == "postgresql":
        connect_args["connect_timeout"] = max(1, int(timeout_seconds))
    elif backend == "sqlite":
        connect_args["timeout"] = timeout_seconds
    engine = create_engine(parsed, poolclass=NullPool, connect_args=connect_args)
    try:
        with engine.connect() as connection:
            answer = connection.execute(text("SELECT 1")).scalar_one()
            tables = inspect(connection).get_table_names()
    finally:
        engine.dispose()
    return {
        "url": safe_url(url),
        "dialect": backend,
        "select_1": answer,
        "tables": len(tables),
    }
