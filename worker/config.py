"""Typed settings, built in the entry points (never at import time)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError

from onboarding.contract import SlaTier
from onboarding.ladder import Ladder, Rung
from onboarding.policy import HISTORY_BUDGET, HISTORY_LIMIT

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


class TemporalSettings(BaseSettings):
    """Where Temporal is. Same variable names as Temporal's own CLI, so Cloud works unchanged."""

    model_config = SettingsConfigDict(env_prefix="TEMPORAL_", extra="ignore")

    address: str = "localhost:7233"
    namespace: str = "default"
    api_key: SecretStr | None = None
    """Temporal Cloud API key; turns TLS on."""
    tls: bool = False
    tls_client_cert_path: Path | None = None
    tls_client_key_path: Path | None = None
    tls_server_ca_cert_path: Path | None = None


class Settings(BaseSettings):
    """Everything the worker and CLI need; every field is an ONBOARDING_* variable."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_", extra="ignore")

    temporal: TemporalSettings = Field(default_factory=TemporalSettings)
    task_queue: str = "onboarding"
    platform_url: str = "http://127.0.0.1:8400"
    platform_api_key: SecretStr = SecretStr("sandbox-admin-key")
    probe_password: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(24)),
    )
    """Password of the platform probe users; random per worker unless set."""
    platform_max_in_flight: int = Field(default=16, ge=1, le=256)
    """Platform requests in flight at once for the whole worker."""
    platform_per_onboarding: int = Field(default=4, ge=1, le=64)
    """Platform requests in flight at once for one onboarding."""
    roster_file: Path = EXAMPLES_DIR / "roster.yaml"
    review_after: timedelta = timedelta(days=30)
    """Delay from go-live to the post-onboarding review (ISO 8601, at most P30D)."""
    step_max_attempts: int = 5
    gate_deadline: timedelta | None = None
    """One deadline for every human gate (ISO 8601, e.g. PT20S for demos and staging)."""
    gate_deadlines: dict[SlaTier, timedelta] = Field(default_factory=dict)
    """Per-tier gate deadlines as JSON, e.g. {"enterprise": "P3D"}; defaults 10/7/5 days."""
    remind_before: list[timedelta] = Field(default_factory=lambda: list(Ladder().remind_before))
    """Reminders before a gate's deadline, JSON, e.g. ["P2D", "PT12H"]."""
    remind_every: timedelta = Ladder().remind_every
    """Once a gate is overdue: a reminder at the deadline, then every this long (P1D)."""
    escalation_ladder: list[Rung] = Field(default_factory=lambda: list(Ladder().escalations))
    """Who is told past the deadline, JSON, e.g. [{"after": "P1D", "notify": "owner"},
    {"after": "P3D", "notify": "escalation_contacts"}]; `notify` may also be an e-mail."""
    history_budget: int = Field(default=HISTORY_BUDGET, ge=100, le=HISTORY_LIMIT)
    """Events one run of an onboarding holds before it continues as new (100-51200)."""
    data_dir: Path = Path(".onboarding")
    database_url: str | None = None
    """Records store (SQLAlchemy URL); default a SQLite file in the data directory."""
    ui_url: str = "http://localhost:8233"
    """Base URL of the Temporal Web UI, for links."""
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _ladder_valid(self) -> Settings:
        self.ladder()  # a bad reminder or escalation setting is refused here, at start-up
        return self

    def ladder(self) -> Ladder:
        """The reminder and escalation ladder (scaled down with `gate_deadline`)."""
        return Ladder(
            remind_before=self.remind_before,
            remind_every=self.remind_every,
            escalations=self.escalation_ladder,
        )

    def records_url(self) -> str:
        from records.db import default_url

        return self.database_url or default_url(self.data_dir)


S = TypeVar("S", bound=BaseSettings)


class InvalidSettings(ValueError):
    """Environment variables that do not make valid settings; each problem names its one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def load_settings(factory: type[S]) -> S:
    """Build settings (`Settings`, `NotifySettings`) from the environment, or raise
    `InvalidSettings` naming every bad variable (`ONBOARDING_REMIND_EVERY: ...`)."""
    try:
        return factory()
    except SettingsError as err:  # a JSON value that does not parse
        raise InvalidSettings([str(err)]) from None
    except ValidationError as err:
        prefix = _env_prefix(err.title, factory)
        raise InvalidSettings(
            [
                f"{(prefix + '_'.join(str(p) for p in e['loc'])).upper()}: {e['msg']}"
                if e["loc"]
                else e["msg"]
                for e in err.errors()
            ]
        ) from None


def _env_prefix(title: str, factory: type[BaseSettings]) -> str:
    """The variable prefix of the settings class a validation error is about."""
    for cls in (factory, Settings, TemporalSettings):
        if cls.__name__ == title:
            return str(cls.model_config.get("env_prefix", ""))
    return ""
