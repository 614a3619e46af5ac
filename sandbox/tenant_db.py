"""Each tenant's own SQLite database, created with the account."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, text


def tenant_db_path(tenants_dir: Path, tenant_id: str) -> Path:
    """Where the tenant's database file lives (tenant ids are validated slugs)."""
    return tenants_dir / f"{tenant_id}.db"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file (no credentials to hide)."""
    return f"sqlite:///{path}"


def unreachable_url(tenants_dir: Path, tenant_id: str) -> str:
    """A URL in a directory that does not exist, so connecting to it fails."""
    return sqlite_url(tenants_dir / "unreachable" / "no-such-directory" / f"{tenant_id}.db")


def create_tenant_db(tenants_dir: Path, tenant_id: str, tenant_name: str) -> Path:
    """Create (or keep) the tenant's database with a ``projects`` table and a first project."""
    tenants_dir.mkdir(parents=True, exist_ok=True)
    path = tenant_db_path(tenants_dir, tenant_id)
    engine = create_engine(sqlite_url(path))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "CREATE TABLE IF NOT EXISTS projects ("
                    " id INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL,"
                    " created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
                )
            )
            first = conn.execute(text("SELECT id FROM projects LIMIT 1")).first()
            if first is None:
                conn.execute(
                    text("INSERT INTO projects (name) VALUES (:name)"),
                    {"name": f"{tenant_name} - welcome project"},
                )
    finally:
        engine.dispose()
    return path
