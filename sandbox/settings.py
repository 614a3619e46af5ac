"""Configuration of the sandbox platform, read from ``SANDBOX_*`` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from sandbox.keys import ensure_admin_key, key_problem
from sandbox.passwords import Hashing


class SandboxSettings(BaseSettings):
    """Where the sandbox keeps its data, which keys it trusts and where it listens."""

    model_config = SettingsConfigDict(env_prefix="SANDBOX_", extra="ignore")

    data_dir: Path = Path(".onboarding/sandbox")
    """Directory holding the platform database and one SQLite file per tenant."""
    admin_key: SecretStr | None = None
    """Bearer key of the admin API; unset: the random key kept in ``data_dir/admin-key``
    (created on first start). The old well-known default is refused."""
    token_secret: SecretStr | None = None
    """HMAC key for session tokens; when unset, a random key is kept in the database."""
    host: str = "127.0.0.1"
    port: int = Field(default=8400, ge=0, le=65535)
    log_level: str = "info"
    password_hashing: Hashing = "strong"
    """Cost of password hashes: ``strong`` (scrypt N=2^14) unless a dev or test stack asks for
    ``cheap`` (N=2^4), which it says when it starts."""

    @field_validator("admin_key")
    @classmethod
    def _not_guessable(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        problem = key_problem(value.get_secret_value())
        if problem is not None:
            raise ValueError(f"SANDBOX_ADMIN_KEY {problem}")
        return value

    def resolved_admin_key(self) -> str:
        """The admin key: the configured one, else the data directory's (created once)."""
        if self.admin_key is not None:
            return self.admin_key.get_secret_value()
        return ensure_admin_key(self.resolved_data_dir)

    @property
    def resolved_data_dir(self) -> Path:
        """The data directory as an absolute path (tenant database URLs must be absolute)."""
        return self.data_dir.expanduser().resolve()

    @property
    def database_path(self) -> Path:
        """The platform's own SQLite file."""
        return self.resolved_data_dir / "sandbox.db"

    @property
    def tenants_dir(self) -> Path:
        """Directory of the per-tenant SQLite files."""
        return self.resolved_data_dir / "tenants"
