"""NotifySettings from ONBOARDING_NOTIFY_* variables, and the senders they build."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from notify.mailbox import MailboxSender
from notify.senders import LogSender, SmtpSender, WebhookSender
from notify.settings import NotifySettings, build_senders


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith(("ONBOARDING_NOTIFY_", "ONBOARDING_OUTBOUND_")):
            monkeypatch.delenv(name)


async def test_nothing_configured_means_log_only() -> None:
    settings = NotifySettings()
    async with httpx.AsyncClient() as http:
        senders = build_senders(settings, http)
    assert [type(s) for s in senders] == [LogSender]


async def test_webhook_then_smtp_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "ONBOARDING_NOTIFY_WEBHOOK_URL": "https://hooks.example/services/S3CR3T",
        "ONBOARDING_NOTIFY_WEBHOOK_TOKEN": "tok-secret",
        "ONBOARDING_NOTIFY_SMTP_HOST": "smtp.example",
        "ONBOARDING_NOTIFY_SMTP_PORT": "2525",
        "ONBOARDING_NOTIFY_SMTP_FROM": "onboarding@localizevideos.example",
        "ONBOARDING_NOTIFY_SMTP_USERNAME": "bot",
        "ONBOARDING_NOTIFY_SMTP_PASSWORD": "pw-secret",
        "ONBOARDING_NOTIFY_SMTP_STARTTLS": "false",
        "ONBOARDING_NOTIFY_TIMEOUT_SECONDS": "3.5",
        "ONBOARDING_OUTBOUND_HOSTS": "tickets.example, hooks.example",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = NotifySettings()
    assert (settings.smtp_port, settings.smtp_starttls, settings.timeout_seconds) == (
        2525,
        False,
        3.5,
    )
    shown = repr(settings) + str(settings.model_dump())
    assert not any(secret in shown for secret in ("S3CR3T", "tok-secret", "pw-secret"))

    async with httpx.AsyncClient() as http:
        webhook, smtp = build_senders(settings, http)
    assert isinstance(webhook, WebhookSender) and webhook.where == "https://hooks.example"
    assert isinstance(smtp, SmtpSender) and (smtp.host, smtp.port) == ("smtp.example", 2525)
    assert "S3CR3T" not in repr(webhook) and "pw-secret" not in repr(smtp)


async def test_the_mailbox_stands_in_for_a_mail_server_never_for_a_failing_webhook(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ONBOARDING_NOTIFY_MAILBOX_DIR", str(tmp_path))
    async with httpx.AsyncClient() as http:
        assert [type(s) for s in build_senders(NotifySettings(), http)] == [MailboxSender]
        monkeypatch.setenv("ONBOARDING_NOTIFY_WEBHOOK_URL", "http://127.0.0.1:9/hook")
        # A webhook that fails is retried until it delivers; nothing goes to the folder.
        assert [type(s) for s in build_senders(NotifySettings(), http)] == [WebhookSender]


def test_empty_variables_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARDING_NOTIFY_WEBHOOK_URL", "")
    monkeypatch.setenv("ONBOARDING_NOTIFY_SMTP_HOST", " ")
    settings = NotifySettings()
    assert settings.webhook_url is None and settings.smtp_host is None
    assert settings.smtp_port == 587 and settings.smtp_starttls is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"smtp_host": "smtp.example"}, "SMTP_FROM is required"),
        (
            {"smtp_host": "h", "smtp_from": "a@b.io", "smtp_username": "bot"},
            "USERNAME and ONBOARDING_NOTIFY_SMTP_PASSWORD",
        ),
        ({"smtp_port": 0}, "greater than 0"),
    ],
)
def test_incomplete_settings_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        NotifySettings.model_validate(fields)
