"""The platform database: a SQLite file in WAL mode, with separate read and write sessions."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.models import Base, Meta
from sandbox.seed import seed

_BUSY_TIMEOUT_MS = 10_000


def _sqlite_engine(path: Path, begin: str) -> Engine:
    """An engine whose transactions start with ``begin`` (``BEGIN`` or ``BEGIN IMMEDIATE``)."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL never corrupts the file; a power cut may lose the last commits only.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


class Database:
    """The sandbox's own database.

    Writers take SQLite's write lock when their transaction starts (``BEGIN IMMEDIATE``), so a
    read-check-then-write such as an idempotent account creation is serialised across threads
    and processes instead of failing half way with "database is locked".
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._reader = _sqlite_engine(path, "BEGIN")
        self._writer = _sqlite_engine(path, "BEGIN IMMEDIATE")
        self._read_sessions = sessionmaker(self._reader, expire_on_commit=False)
        self._write_sessions = sessionmaker(self._writer, expire_on_commit=False)

    def create(self) -> None:
        """Create missing tables and seed data (safe to repeat, e.g. after a restart)."""
        Base.metadata.create_all(self._writer)
        with self.write() as session:
            seed(session)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._read_sessions() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session holding the write lock; committed at the end unless an error escapes."""
        with self._write_sessions() as session, session.begin():
            yield session

    def meta_secret(self, key: str) -> str:
        """A random secret generated once and kept in the database under ``key``."""
        with self.write() as session:
            found = session.scalar(select(Meta.value).where(Meta.key == key))
            if found is not None:
                return found
            value = secrets.token_urlsafe(48)
            session.add(Meta(key=key, value=value))
            return value

    def dispose(self) -> None:
        """Close every pooled connection."""
        self._reader.dispose()
        self._writer.dispose()
