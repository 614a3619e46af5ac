"""The notification activities: enqueue once, deliver once, fail over, retry; batches of
them, and each delivery recorded once in the onboarding's records."""

from __future__ import annotations

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.notify import KEY_CONFLICT, NOT_DELIVERED, NotifyActivities
from notify.outbox import OutboxStore
from notify.senders import DeliveryFailed, WebhookSender
from onboarding.notifications import (
    KEY_MAX_LENGTH,
    Notification,
    NotificationBatch,
    NotificationKind,
)
from records.errors import UnknownTenant
from records.kinds import EntryKind
from records.models import Entry
from records.outbox import OutboxStatus
from records.signing import RecordsSigner
from records.store import RecordsStore
from tests.helpers import make_contract
from tests.identities import key_of
from tests.notify.builders import T0, make_notification
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


# ------------------------------------------------------------------- the batch activity


class PickySender(FakeSender):
    """Fails the notifications whose keys it is told to, delivers the others."""

    def __init__(self, channel: str, failing: set[str]) -> None:
        super().__init__(channel)
        self.failing = failing
        self.tried: list[str] = []

    async def send(self, n: Notification) -> str:
        self.tried.append(n.key)
        if n.key in self.failing:
            raise DeliveryFailed(f"{self.channel} refused {n.key}")
        return await super().send(n)


def _batch(*notifications: Notification) -> NotificationBatch:
    return NotificationBatch(notifications=list(notifications))


async def test_a_batch_delivers_each_notification_once(outbox: OutboxStore, tenant: str) -> None:
    sender = FakeSender("webhook")
    acts = NotifyActivities(outbox, [sender])
    batch = _batch(*(make_notification(tenant) for _ in range(3)))
    env = ActivityEnvironment()

    first = await env.run(acts.send_notifications, batch)
    again = await env.run(acts.send_notifications, batch)

    assert first == again == ["webhook-ref-1", "webhook-ref-2", "webhook-ref-3"]
    assert sender.sent == [n.key for n in batch.notifications]
    for n in batch.notifications:
        row = outbox.get(n.key)
        assert row is not None and (row.status, row.attempts) == (OutboxStatus.SENT, 1)


async def test_a_batch_tries_all_then_retries_only_the_undelivered(
    outbox: OutboxStore, tenant: str
) -> None:
    a, b, c = (make_notification(tenant) for _ in range(3))
    sender = PickySender("webhook", failing={b.key})
    acts = NotifyActivities(outbox, [sender])
    env = ActivityEnvironment()

    with pytest.raises(ApplicationError) as raised:
        await env.run(acts.send_notifications, _batch(a, b, c))

    error = raised.value
    assert error.type == NOT_DELIVERED and not error.non_retryable
    assert b.key in str(error) and a.key not in str(error) and c.key not in str(error)
    assert sender.tried == [a.key, b.key, c.key]  # c was tried after b failed
    assert sender.sent == [a.key, c.key]
    assert [r.key for r in outbox.pending(tenant)] == [b.key]

    sender.failing.clear()  # the receiver is back: Temporal retries the batch
    references = await env.run(acts.send_notifications, _batch(a, b, c))

    assert references == ["webhook-ref-1", "webhook-ref-3", "webhook-ref-2"]
    assert sender.tried == [a.key, b.key, c.key, b.key]
    assert sender.sent == [a.key, c.key, b.key]
    assert outbox.pending(tenant) == []
    row = outbox.get(b.key)
    assert row is not None and (row.status, row.attempts) == (OutboxStatus.SENT, 2)


async def test_a_batch_skips_a_reused_key_and_delivers_the_rest(
    outbox: OutboxStore, tenant: str
) -> None:
    sender = FakeSender("webhook")
    acts = NotifyActivities(outbox, [sender])
    env = ActivityEnvironment()
    taken = make_notification(tenant)
    await env.run(acts.send_notification, taken)
    a, b = make_notification(tenant), make_notification(tenant)
    reused = taken.model_copy(update={"kind": NotificationKind.ESCALATION})

    references = await env.run(acts.send_notifications, _batch(a, reused, b))

    assert references == ["webhook-ref-2", "", "webhook-ref-3"]
    assert sender.sent == [taken.key, a.key, b.key]
    row = outbox.get(taken.key)
    assert row is not None and row.kind == NotificationKind.REMINDER.value


# ------------------------------------------------------------------- records


@pytest.fixture
def records(outbox: OutboxStore) -> RecordsStore:
    """The records store in the outbox's database."""
    return RecordsStore(outbox.engine, RecordsSigner(key_of("records")))


def _open(records: RecordsStore, tenant: str) -> None:
    records.ensure_onboarding(
        tenant,
        f"onboarding-{tenant}",
        make_contract(tenant).model_dump(mode="json"),
        T0,
        "ops.lead@localizevideos.example",
    )


def _notification_entries(records: RecordsStore, tenant: str) -> list[Entry]:
    return records.entries(tenant, kinds=[EntryKind.NOTIFICATION])


async def test_a_delivery_is_recorded_once(
    outbox: OutboxStore, records: RecordsStore, tenant: str
) -> None:
    _open(records, tenant)
    sender = FakeSender("smtp")
    acts = NotifyActivities(outbox, [sender], records)
    n = make_notification(tenant, gate="sign-off:support")
    env = ActivityEnvironment()

    assert await env.run(acts.send_notifications, _batch(n)) == ["smtp-ref-1"]
    assert await env.run(acts.send_notification, n) == "smtp-ref-1"  # already sent
    assert await env.run(acts.send_notifications, _batch(n)) == ["smtp-ref-1"]

    assert sender.sent == [n.key]
    entries = _notification_entries(records, tenant)
    assert len(entries) == 1
    entry = entries[0]
    assert entry.actor == "system:notify" and entry.step is None
    assert entry.idempotency_key == n.key
    assert entry.payload["channel"] == "smtp"
    assert entry.payload["recipients"] == list(n.recipients)
    assert entry.payload["subject"] == n.subject
    assert entry.payload["notification"] == "reminder"
    assert entry.payload["gate"] == "sign-off:support"
    assert entry.payload["key"] == n.key
    assert entry.payload["reference"] == "smtp-ref-1"
    row = outbox.get(n.key)
    assert row is not None and row.sent_at is not None
    assert entry.occurred_at == row.sent_at
    assert records.verify(tenant).ok


async def test_the_already_sent_path_records_a_delivery_not_recorded_yet(
    outbox: OutboxStore, records: RecordsStore, tenant: str
) -> None:
    """Delivered by a worker without records (or one that crashed before recording it):
    the next attempt records it from the outbox row, without sending it again."""
    _open(records, tenant)
    sender = FakeSender("webhook")
    n = make_notification(tenant)
    env = ActivityEnvironment()
    await env.run(NotifyActivities(outbox, [sender]).send_notification, n)
    assert _notification_entries(records, tenant) == []

    acts = NotifyActivities(outbox, [sender], records)
    assert await env.run(acts.send_notifications, _batch(n)) == ["webhook-ref-1"]
    assert await env.run(acts.send_notifications, _batch(n)) == ["webhook-ref-1"]

    assert sender.sent == [n.key]
    entries = _notification_entries(records, tenant)
    assert [(e.payload["key"], e.payload["channel"]) for e in entries] == [(n.key, "webhook")]


async def test_a_batch_records_each_delivery_of_its_own(
    outbox: OutboxStore, records: RecordsStore, tenant: str
) -> None:
    _open(records, tenant)
    a, b = make_notification(tenant), make_notification(tenant, recipients=["ada@x.example"])
    sender = PickySender("webhook", failing={b.key})
    acts = NotifyActivities(outbox, [sender], records)
    env = ActivityEnvironment()

    with pytest.raises(ApplicationError):
        await env.run(acts.send_notifications, _batch(a, b))
    assert [e.payload["key"] for e in _notification_entries(records, tenant)] == [a.key]

    sender.failing.clear()
    await env.run(acts.send_notifications, _batch(a, b))

    entries = _notification_entries(records, tenant)
    assert [(e.payload["key"], e.payload["recipients"]) for e in entries] == [
        (a.key, list(a.recipients)),
        (b.key, ["ada@x.example"]),
    ]


async def test_delivery_succeeds_while_the_onboarding_is_not_recorded(
    outbox: OutboxStore, records: RecordsStore, tenant: str
) -> None:
    sender = FakeSender("webhook")
    acts = NotifyActivities(outbox, [sender], records)
    n = make_notification(tenant)
    env = ActivityEnvironment()

    assert await env.run(acts.send_notifications, _batch(n)) == ["webhook-ref-1"]
    assert await env.run(acts.send_notification, n) == "webhook-ref-1"

    assert sender.sent == [n.key]
    row = outbox.get(n.key)
    assert row is not None and row.status == OutboxStatus.SENT
    with pytest.raises(UnknownTenant):
        records.entries(tenant)


async def test_a_notification_with_the_longest_key_is_delivered_and_recorded(
    outbox: OutboxStore, records: RecordsStore, tenant: str
) -> None:
    """The outbox takes keys of up to KEY_MAX_LENGTH characters; recording one must not
    turn a delivered notification into an activity that fails on every retry."""
    _open(records, tenant)
    sender = FakeSender("webhook")
    acts = NotifyActivities(outbox, [sender], records)
    prefix = f"onboarding-{tenant}:sign-off:support:reminder:"
    longest = make_notification(tenant, key=prefix + "9" * (KEY_MAX_LENGTH - len(prefix)))
    other = make_notification(tenant)
    env = ActivityEnvironment()

    references = await env.run(acts.send_notifications, _batch(longest, other))

    assert references == ["webhook-ref-1", "webhook-ref-2"]
    assert sender.sent == [longest.key, other.key]
    entries = _notification_entries(records, tenant)
    assert sorted(e.payload["key"] for e in entries) == sorted([longest.key, other.key])
