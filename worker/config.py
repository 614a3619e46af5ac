"""Typed settings, built in the entry points (never at import time)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict
from pydantic_settings.exceptions import SettingsError
from temporalio.envconfig import ClientConfigProfile

from onboarding.contract import SlaTier
from onboarding.keys import PublicKeyText
from onboarding.ladder import Ladder, Rung
from onboarding.policy import HISTORY_BUDGET, HISTORY_LIMIT
from worker.client import InvalidProfile, load_profile

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


class Settings(BaseSettings):
    """Everything the worker and CLI need; every field is an ONBOARDING_* variable."""

    model_config = SettingsConfigDict(env_prefix="ONBOARDING_", extra="ignore")

    task_queue: str = "onboarding"
    platform_url: str = "http://127.0.0.1:8400"
    platform_api_key: SecretStr | None = None
    """Platform admin key; no default (see worker/platform_key.py)."""
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
    key_dir: Path | None = None
    """Staff private keys, one `<email>.key` each (default `~/.config/onboard/keys`)."""
    records_key_file: Path | None = None
    """The worker's records key (private; default `DATA_DIR/keys/records.key`)."""
    records_public_keys: list[PublicKeyText] = Field(default_factory=list)
    """Records keys `onboard verify` accepts, JSON list (besides the key file's own)."""
    approvals_key_file: Path | None = None
    """The approvals service's signing key (private; default `DATA_DIR/keys/approvals.key`)."""
    approvals_public_keys: list[PublicKeyText] = Field(default_factory=list)
    """Keys of the approvals service the workflow accepts for customer inputs, JSON list
    (default: the public half of the approvals key file, when the worker can read it)."""
    link_key_file: Path | None = None
    """Secret that makes customers' one-time links (default `DATA_DIR/keys/links.key`)."""
    portal_url: str = "http://127.0.0.1:8500"
    """Where the approvals service answers; customers' links point here."""
    # Running it like production (docs/deployment.md): metrics, probes, upgrades, shutdown.
    metrics_address: str | None = Field(default=None, pattern=r"^[\w.\-\[\]:]*:\d{1,5}$")
    """Where the Prometheus /metrics endpoint listens, e.g. 0.0.0.0:9464 (off if unset)."""
    health_address: str | None = Field(default=None, pattern=r"^[\w.\-\[\]:]*:\d{1,5}$")
    """Where /livez and /readyz listen, e.g. 0.0.0.0:8081 (off if unset)."""
    metrics_interval: timedelta = Field(default=timedelta(seconds=30), gt=timedelta(0))
    """How often the onboarding figures (states, gates, blocked checks) are collected."""
    shutdown_grace: timedelta = Field(default=timedelta(seconds=30), ge=timedelta(0))
    """On SIGTERM: how long running activities may go on before they are handed over."""
    deployment_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_\-]{1,100}$")
    """Worker Deployment name; set it to turn worker versioning on (docs/versioning.md)."""
    build_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.+\-]{1,100}$")
    """Build id of this worker's version; the package version if unset."""
    deployment_promote: bool = False
    """Make this worker's version current once it polls (the newest worker wins)."""

    @field_validator("build_id", "deployment_name", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        from records.db import check_url  # sqlalchemy: imported only when a URL is set

        if not value or not value.strip():
            return None
        try:
            return check_url(value)
        except ValueError as unsupported:  # its own sentence, without pydantic's prefix
            raise PydanticCustomError("database_url", str(unsupported)) from None

    @model_validator(mode="after")
    def _ladder_valid(self) -> Settings:
        self.ladder()  # a bad reminder or escalation setting is refused here, at start-up
        return self

    @cached_property
    def temporal(self) -> ClientConfigProfile:
        """Where Temporal is: the `temporal` CLI's profile and TEMPORAL_* variables.

        Raises:
            InvalidSettings: The profile cannot be loaded (`worker.client.load_profile`).
        """
        try:
            return load_profile()
        except InvalidProfile as bad:
            raise InvalidSettings(bad.problems) from None

    def ladder(self) -> Ladder:
        """The reminder and escalation ladder (scaled down with `gate_deadline`)."""
        return Ladder(
            remind_before=self.remind_before,
            remind_every=self.remind_every,
            escalations=self.escalation_ladder,
        )

    def staff_key_dir(self) -> Path:
        from identity.keyfiles import default_key_dir

        return self.key_dir or default_key_dir()

    def records_key_path(self) -> Path:
        return self.records_key_file or self.data_dir / "keys" / "records.key"

    def approvals_key_path(self) -> Path:
        return self.approvals_key_file or self.data_dir / "keys" / "approvals.key"

    def link_key_path(self) -> Path:
        return self.link_key_file or self.data_dir / "keys" / "links.key"

    def approvals_keys(self) -> list[str]:
        """The approvals service's public keys, as the workflow should accept them."""
        from identity.keyfiles import KeyFileError, load_private_key, public_text

        keys = list(self.approvals_public_keys)
        try:
            own = public_text(load_private_key(self.approvals_key_path()))
        except KeyFileError:
            return keys
        return keys if own in keys else [*keys, own]

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
    problems: list[str] = []
    settings: S | None = None
    try:
        settings = factory()
    except SettingsError as err:  # a JSON value that does not parse
        problems.append(str(err))
    except ValidationError as err:
        prefix = _env_prefix(err.title, factory)
        for e in err.errors():
            message = e["msg"].removeprefix("Value error, ")  # pydantic's, not the user's
            if e["loc"]:
                message = f"{(prefix + '_'.join(str(p) for p in e['loc'])).upper()}: {message}"
            problems.append(message)
    if issubclass(factory, Settings):  # the Temporal profile's problems in the same list
        try:
            profile = load_profile()
        except InvalidProfile as bad:
            problems = bad.problems + problems
        else:
            if isinstance(settings, Settings):
                settings.__dict__["temporal"] = profile  # the cached_property's value
    if problems or settings is None:
        raise InvalidSettings(problems)
    return settings


def _env_prefix(title: str, factory: type[BaseSettings]) -> str:
    """The variable prefix of the settings class a validation error is about."""
    for cls in (factory, Settings):
        if cls.__name__ == title:
            return str(cls.model_config.get("env_prefix", ""))
    return ""
