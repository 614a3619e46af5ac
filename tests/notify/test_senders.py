"""The webhook and SMTP senders against local stand-ins of their servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from notify.senders import DeliveryFailed, LogSender, Sender, SmtpSender, WebhookSender
from tests.notify.builders import make_notification
from tests.notify.stubs import closed_port, smtp_stub, webhook_stub

HOOK_SECRET = "T0K3N-in-the-path"
PASSWORD = "hunter2-smtp-password"
FROM = "onboarding@localizevideos.example"


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


# --- webhook ---------------------------------------------------------------------------


async def test_webhook_posts_the_notification_as_json(http: httpx.AsyncClient) -> None:
    n = make_notification()
    with webhook_stub() as hook:
        sender = WebhookSender(
            f"{hook.base_url}/hooks/{HOOK_SECRET}", http, token=SecretStr("bearer-secret")
        )
        reference = await sender.send(n)

    assert reference == "hook-msg-1"
    [request] = hook.requests
    assert request.path == f"/hooks/{HOOK_SECRET}"
    assert request.body == {
        "key": n.key,
        "tenant_id": "acme",
        "kind": "reminder",
        "gate": "owner_assignment",
        "recipients": ["olivia@localizevideos.example", "csm@localizevideos.example"],
        "subject": "Reminder: assign an onboarding owner for acme",
        "body": "The owner-assignment gate is open.\nDue 2026-12-04T09:00:00Z.\n",
        "created_at": "2026-11-27T09:00:00Z",
    }
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == n.key
    assert request.headers["authorization"] == "Bearer bearer-secret"
    assert isinstance(sender, Sender) and sender.channel == "webhook"
    assert HOOK_SECRET not in repr(sender)


@pytest.mark.parametrize(
    ("reply", "headers", "expected"),
    [
        (b'{"id": 42}', {}, "42"),
        (b"accepted", {"X-Request-Id": "req-7"}, "req-7"),
        (b"", {}, "webhook:{key}"),
        (b'{"id": true}', {}, "webhook:{key}"),
    ],
)
async def test_webhook_reference(
    http: httpx.AsyncClient, reply: bytes, headers: dict[str, str], expected: str
) -> None:
    n = make_notification()
    with webhook_stub() as hook:
        hook.status, hook.reply, hook.reply_headers = 202, reply, headers
        reference = await WebhookSender(hook.base_url, http).send(n)
    assert reference == expected.format(key=n.key)


async def test_webhook_non_2xx_fails_without_the_url_secret(http: httpx.AsyncClient) -> None:
    with webhook_stub() as hook:
        hook.status, hook.reply = 503, b"down"
        sender = WebhookSender(SecretStr(f"{hook.base_url}/hooks/{HOOK_SECRET}"), http)
        with pytest.raises(DeliveryFailed) as failed:
            await sender.send(make_notification())
    assert str(failed.value) == f"webhook {hook.base_url} answered HTTP 503"
    assert failed.value.__cause__ is None and failed.value.__context__ is None


async def test_webhook_transport_error_fails(http: httpx.AsyncClient) -> None:
    sender = WebhookSender(f"http://127.0.0.1:{closed_port()}/hooks/{HOOK_SECRET}", http)
    with pytest.raises(DeliveryFailed, match="unreachable: ConnectError") as failed:
        await sender.send(make_notification())
    assert HOOK_SECRET not in str(failed.value)


@pytest.mark.parametrize("url", ["ftp://host/S3CR3T", "/relative/S3CR3T", "https:///S3CR3T"])
def test_webhook_url_must_be_absolute_http(http: httpx.AsyncClient, url: str) -> None:
    with pytest.raises(ValueError, match="webhook URL") as error:
        WebhookSender(url, http)
    assert "S3CR3T" not in str(error.value)


# --- SMTP ------------------------------------------------------------------------------


async def test_smtp_delivers_the_message() -> None:
    n = make_notification()
    with smtp_stub() as server:
        sender = SmtpSender(
            server.host,
            server.port,
            FROM,
            username=SecretStr("bot"),
            password=SecretStr(PASSWORD),
            starttls=False,
        )
        reference = await sender.send(n)

    assert server.logins == [f"bot:{PASSWORD}"]
    [mail] = server.mails
    assert mail.mail_from == FROM
    assert mail.rcpt_to == n.recipients
    message = mail.message
    assert message["Subject"] == n.subject
    assert message["From"] == FROM
    assert [a.addr_spec for a in message["To"].addresses] == n.recipients
    assert message["Message-ID"] == reference == sender.message_id(n)
    assert reference.endswith("@localizevideos.example>")
    assert message["X-Onboarding-Key"] == n.key
    assert message["X-Onboarding-Gate"] == "owner_assignment"
    assert message.get_content() == n.body
    assert sender.channel == "smtp" and isinstance(sender, Sender)
    assert PASSWORD not in repr(sender)


async def test_smtp_message_id_is_stable_per_key() -> None:
    sender = SmtpSender("mail.example", 25, FROM, starttls=False)
    n = make_notification()
    assert sender.message_id(n) == sender.message_id(n.model_copy(update={"body": "other"}))
    assert sender.message_id(n) != sender.message_id(make_notification())


async def test_smtp_refused_recipients_fail() -> None:
    with smtp_stub() as server:
        server.reject_recipients = True
        sender = SmtpSender(server.host, server.port, FROM, starttls=False)
        with pytest.raises(DeliveryFailed, match=r"refused all 2 recipient\(s\)"):
            await sender.send(make_notification())
    assert server.mails == []


async def test_smtp_bad_login_fails_without_the_password() -> None:
    with smtp_stub() as server:
        server.accept_login = False
        sender = SmtpSender(
            server.host,
            server.port,
            FROM,
            username=SecretStr("bot"),
            password=SecretStr(PASSWORD),
            starttls=False,
        )
        with pytest.raises(DeliveryFailed) as failed:
            await sender.send(make_notification())
    assert str(failed.value) == (
        f"SMTP 127.0.0.1:{server.port} failed: SMTPAuthenticationError (code 535)"
    )
    assert failed.value.__cause__ is None and failed.value.__suppress_context__


async def test_smtp_starttls_required_but_not_offered_fails() -> None:
    with smtp_stub() as server:
        sender = SmtpSender(server.host, server.port, FROM, starttls=True)
        with pytest.raises(DeliveryFailed, match="SMTPNotSupportedError"):
            await sender.send(make_notification())
    assert server.mails == []


async def test_smtp_unreachable_fails() -> None:
    sender = SmtpSender("127.0.0.1", closed_port(), FROM, starttls=False, timeout=2)
    with pytest.raises(DeliveryFailed, match="ConnectionRefusedError"):
        await sender.send(make_notification())


@pytest.mark.parametrize(
    ("address", "credentials"),
    [
        ("not an address", {}),
        ("nobody", {}),
        (FROM, {"username": SecretStr("bot")}),
        (FROM, {"password": SecretStr(PASSWORD)}),
    ],
)
def test_smtp_settings_are_checked(address: str, credentials: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as error:
        SmtpSender("mail.example", 587, address, **credentials)
    assert PASSWORD not in str(error.value)


async def test_log_sender() -> None:
    n = make_notification()
    assert await LogSender().send(n) == f"log:{n.key}"
