"""Timestamps as the records keep them: timezone-aware, always UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import DateTime, TypeDecorator


def as_utc(value: datetime) -> datetime:
    """Return the same instant in UTC.

    Args:
        value: A timezone-aware datetime.

    Raises:
        ValueError: The datetime is naive, so the instant it names is unknown.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no timezone; pass an aware datetime (UTC)")
    return value.astimezone(UTC)


def iso_utc(value: datetime) -> str:
    """Return the canonical text of an instant: `YYYY-MM-DDTHH:MM:SS.ffffffZ`."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def display_utc(value: datetime) -> str:
    """Return an instant for people: ISO 8601 in UTC, microseconds only when present."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


def display_iso(value: Any) -> Any:
    """Show a recorded ISO 8601 text like every other time (UTC, `Z`); leave others as-is."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return display_utc(moment) if moment.tzinfo is not None else value


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp column that accepts only aware datetimes and returns them in UTC.

    PostgreSQL stores `timestamp with time zone`; SQLite, which has no such type, stores
    the UTC wall-clock time. Either way the value read back is the same aware datetime.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC before writing (naive on SQLite, which cannot keep a zone)."""
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime whichever database it came from."""
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
