"""Settings of notification delivery (ONBOARDING_NOTIFY_* variables), and the senders
they configure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from notify.mailbox import MailboxSender
from notify.outbound import HOSTS_VARIABLE, HostList, OutboundRefused, check_outbound, parse_hosts
from notify.senders import DEFAULT_TIMEOUT_SECONDS, LogSender, Sender, SmtpSender, WebhookSender


class NotifySettings(BaseSettings):
    """Where notifications go; every field is an `ONBOARDING_NOTIFY_*` variable.

    With neither a webhook nor an SMTP host, notifications are only logged (see
    `build_senders`).
    """

    model_config = SettingsConfigDict(
        env_prefix="ONBOARDING_NOTIFY_", extra="ignore", populate_by_name=True
    )

    webhook_url: SecretStr | None = None
    """Webhook that receives each notification as JSON (`ONBOARDING_NOTIFY_WEBHOOK_URL`);
    kept secret because such URLs often hold a token."""
    webhook_token: SecretStr | None = None
    """Bearer token sent to the webhook, if it wants one."""
    smtp_host: str | None = None
    """SMTP server; e-mail is sent only if set."""
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_from: str | None = None
    """The `From` address; required with `smtp_host`."""
    smtp_username: SecretStr | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    """Upgrade to TLS with STARTTLS (certificate verified) before logging in and sending."""
    timeout_seconds: float = Field(default=DEFAULT_TIMEOUT_SECONDS, gt=0, le=300)
    """Timeout of each delivery attempt's network operations."""
    mailbox_dir: Path | None = None
    """A folder that receives each notification as a JSON file (`onboard dev` sets it;
    development and tests only)."""
    outbound_hosts: HostList = Field(
        default_factory=list,
        validation_alias=HOSTS_VARIABLE,
    )
    """The outbound allow-list (`ONBOARDING_OUTBOUND_HOSTS`, shared with `onboard export
    --webhook`): the webhook's host must be on it unless it is loopback."""

    @field_validator("outbound_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: Any) -> list[str]:
        try:
            return parse_hosts(value)
        except ValueError as error:
            raise ValueError(f"{HOSTS_VARIABLE}: {error}") from None

    @field_validator(
        "webhook_url",
        "webhook_token",
        "smtp_host",
        "smtp_from",
        "smtp_username",
        "smtp_password",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # An exported but empty variable means "not set", as for TEMPORAL_API_KEY.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _complete(self) -> NotifySettings:
        if self.webhook_url is not None:
            try:
                check_outbound(
                    self.webhook_url.get_secret_value(),
                    self.outbound_hosts,
                    what="the webhook URL",
                    setting="ONBOARDING_NOTIFY_WEBHOOK_URL",
                )
            except OutboundRefused as refused:
                raise ValueError(str(refused)) from None
        if self.smtp_host and not self.smtp_from:
            raise ValueError("ONBOARDING_NOTIFY_SMTP_FROM is required with an SMTP host")
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError(
                "set both ONBOARDING_NOTIFY_SMTP_USERNAME and ONBOARDING_NOTIFY_SMTP_PASSWORD,"
                " or neither"
            )
        return self


def build_senders(settings: NotifySettings, http: httpx.AsyncClient) -> list[Sender]:
    """Return the configured senders, in the order they are tried.

    The webhook comes first, SMTP second (a fallback when both are set). With neither
    configured, the mailbox folder stands in for a mail server (`onboard dev` sets one:
    customers' links land there), else a `LogSender`, so development and demos work
    without one. The mailbox is never a fallback of a real channel: a failing webhook is
    retried until it delivers, not quietly written to a local folder.

    Args:
        settings: The notification settings.
        http: The client the webhook sender borrows (the caller closes it).

    Raises:
        ValueError: The webhook URL or the SMTP sender address is malformed.
    """
    senders: list[Sender] = []
    if settings.webhook_url is not None:
        senders.append(
            WebhookSender(
                settings.webhook_url,
                http,
                token=settings.webhook_token,
                timeout=settings.timeout_seconds,
                allowed_hosts=settings.outbound_hosts,
            )
        )
    if settings.smtp_host:
        assert settings.smtp_from is not None  # checked by the settings' validator
        senders.append(
            SmtpSender(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_from,
                username=settings.smtp_username,
                password=settings.smtp_password,
                starttls=settings.smtp_starttls,
                timeout=settings.timeout_seconds,
            )
        )
    if not senders and settings.mailbox_dir is not None:
        senders.append(MailboxSender(settings.mailbox_dir))
    return senders or [LogSender()]
