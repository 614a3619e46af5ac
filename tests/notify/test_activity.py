"""The send_notification activity: enqueue once, deliver once, fail over, retry."""

from __future__ import annotations

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import KEY_CONFLICT, NOT_DELIVERED, NotifyActivities
from notify.outbox import OutboxStore
from notify.senders import DeliveryFailed, WebhookSender
from onboarding.notifications import Notification, NotificationKind
from records.outbox import OutboxStatus
from tests.notify.builders import make_notification
from tests.notify.stubs import webhook_stub


class FakeSender:
    """Delivers (or fails) in memory and counts its calls."""

    def __init__(self, channel: str, *, fail: Exception | None = None) -> None:
        self.channel = channel
        self.fail = fail
        self.sent: list[str] = []

    async def send(self, n: Notification) -> str:
        if self.fail is not None:
            raise self.fail
        self.sent.append(n.key)
        return f"{self.channel}-ref-{len(self.sent)}"


async def test_success_marks_the_notification_sent(outbox: OutboxStore, tenant: str) -> None:
    sender = FakeSender("webhook")
    n = make_notification(tenant)

    reference = await ActivityEnvironment().run(
        NotifyActivities(outbox, [sender]).send_notification, n
    )

    assert reference == "webhook-ref-1" and sender.sent == [n.key]
    row = outbox.get(n.key)
    assert row is not None
    assert (row.status, row.attempts, row.channel, row.reference) == (
        OutboxStatus.SENT,
        1,
        "webhook",
        "webhook-ref-1",
    )
    assert row.sent_at is not None and row.last_error is None


async def test_a_second_call_after_success_sends_nothing(outbox: OutboxStore, tenant: str) -> None:
    sender = FakeSender("smtp")
    acts = NotifyActivities(outbox, [sender])
    n = make_notification(tenant)
    env = ActivityEnvironment()

    first = await env.run(acts.send_notification, n)
    again = await env.run(acts.send_notification, n)  # a retry, or a replayed workflow

    assert first == again == "smtp-ref-1"
    assert sender.sent == [n.key]
    row = outbox.get(n.key)
    assert row is not None and row.attempts == 1


async def test_failing_senders_raise_a_retryable_error_and_record_it(
    outbox: OutboxStore, tenant: str
) -> None:
    broken = FakeSender(
        "webhook", fail=DeliveryFailed("webhook https://hooks.example answered HTTP 503")
    )
    buggy = FakeSender("smtp", fail=RuntimeError("password=hunter2 leaked by a bug"))
    acts = NotifyActivities(outbox, [broken, buggy])
    n = make_notification(tenant)
    env = ActivityEnvironment()

    for attempt in (1, 2):
        with pytest.raises(ApplicationError) as raised:
            await env.run(acts.send_notification, n)
        error = raised.value
        assert error.type == NOT_DELIVERED and not error.non_retryable
        assert f"(attempt {attempt})" in str(error)

    expected = (
        "webhook: webhook https://hooks.example answered HTTP 503; smtp: unexpected RuntimeError"
    )
    assert str(error).endswith(expected)
    assert "hunter2" not in str(error) and error.__cause__ is None
    row = outbox.get(n.key)
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.FAILED, 2, expected)
    assert [r.key for r in outbox.pending(tenant)] == [n.key]


async def test_the_next_sender_takes_over(outbox: OutboxStore, tenant: str) -> None:
    broken = FakeSender("webhook", fail=DeliveryFailed("webhook unreachable: ConnectError"))
    smtp = FakeSender("smtp")
    n = make_notification(tenant)

    reference = await ActivityEnvironment().run(
        NotifyActivities(outbox, [broken, smtp]).send_notification, n
    )

    assert reference == "smtp-ref-1"
    row = outbox.get(n.key)
    assert row is not None and (row.status, row.channel) == (OutboxStatus.SENT, "smtp")
    assert outbox.pending(tenant) == []


async def test_recovers_on_retry_after_a_failure(outbox: OutboxStore, tenant: str) -> None:
    sender = FakeSender("webhook", fail=DeliveryFailed("webhook answered HTTP 502"))
    acts = NotifyActivities(outbox, [sender])
    n = make_notification(tenant)
    env = ActivityEnvironment()
    with pytest.raises(ApplicationError):
        await env.run(acts.send_notification, n)

    sender.fail = None  # the receiver is back
    assert await env.run(acts.send_notification, n) == "webhook-ref-1"
    row = outbox.get(n.key)
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.SENT,
        2,
        "webhook: webhook answered HTTP 502",
    )


async def test_a_reused_key_is_not_retried(outbox: OutboxStore, tenant: str) -> None:
    sender = FakeSender("webhook")
    acts = NotifyActivities(outbox, [sender])
    n = make_notification(tenant)
    env = ActivityEnvironment()
    await env.run(acts.send_notification, n)

    with pytest.raises(ApplicationError) as raised:
        await env.run(
            acts.send_notification, n.model_copy(update={"kind": NotificationKind.ESCALATION})
        )
    assert raised.value.type == KEY_CONFLICT and raised.value.non_retryable
    assert sender.sent == [n.key]


async def test_with_the_webhook_sender_end_to_end(outbox: OutboxStore, tenant: str) -> None:
    n = make_notification(tenant)
    with webhook_stub() as hook:
        async with httpx.AsyncClient() as http:
            acts = NotifyActivities(outbox, [WebhookSender(f"{hook.base_url}/hook", http)])
            env = ActivityEnvironment()
            assert await env.run(acts.send_notification, n) == "hook-msg-1"
            assert await env.run(acts.send_notification, n) == "hook-msg-1"
    assert [r.body["key"] for r in hook.requests] == [n.key]


def test_at_least_one_sender_is_needed(outbox: OutboxStore) -> None:
    with pytest.raises(ValueError, match="at least one sender"):
        NotifyActivities(outbox, [])
