"""Alembic migrations of the records schema (run them with `records.db.migrate`)."""
