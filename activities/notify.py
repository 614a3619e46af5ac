"""The notification activity: puts a notification in the outbox and delivers it once.

Delivery is at least once: a notification is never sent again after the outbox records
it as sent, but a crash between a sender's success and that record means a retry sends
it again. Senders help receivers drop such duplicates (the webhook's `Idempotency-Key`
header, a Message-ID derived from the key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.evidence import activity_logger
from notify.outbox import OutboxConflict, OutboxStore
from notify.senders import DeliveryFailed, Sender
from onboarding.notifications import Notification
from records.outbox import OutboxStatus

NOT_DELIVERED = "NotificationNotDelivered"
"""ApplicationError type of a failed delivery (retryable: Temporal retries with backoff)."""
KEY_CONFLICT = "NotificationKeyConflict"
"""ApplicationError type of a key reused for another notification (not retryable)."""


class NotifyActivities:
    """Holds the outbox and the senders, tried in order until one delivers."""

    def __init__(self, outbox: OutboxStore, senders: Sequence[Sender]) -> None:
        """Deliver through `senders` (at least one; see `notify.settings.build_senders`).

        Raises:
            ValueError: No sender was given.
        """
        if not senders:
            raise ValueError("give at least one sender (build_senders falls back to the log)")
        self._outbox = outbox
        self._senders = tuple(senders)

    @activity.defn(name="send_notification")
    async def send_notification(self, n: Notification) -> str:
        """Enqueue the notification (once per key) and deliver it unless already sent.

        Args:
            n: The notification.

        Returns:
            The delivery reference: of this delivery, or of the earlier one if the outbox
            already records the notification as sent (nothing is sent then).

        Raises:
            ApplicationError: `NotificationNotDelivered` (retryable) when every sender
                failed, after recording the attempt and its error in the outbox;
                `NotificationKeyConflict` (not retryable) when the key belongs to another
                notification.
        """
        log = _logger(n)
        try:
            row = await asyncio.to_thread(self._outbox.enqueue, n)
        except OutboxConflict as conflict:
            raise ApplicationError(str(conflict), type=KEY_CONFLICT, non_retryable=True) from None
        if row.status == OutboxStatus.SENT:
            log.info("notification already sent", channel=row.channel)
            return row.reference or ""
        errors: list[str] = []
        for sender in self._senders:
            try:
                reference = await sender.send(n)
            except DeliveryFailed as failed:
                errors.append(f"{sender.channel}: {failed}")
            except Exception as unexpected:
                # A sender's bug; its message might hold anything, so only its type is kept.
                errors.append(f"{sender.channel}: unexpected {type(unexpected).__name__}")
            else:
                sent = await asyncio.to_thread(
                    self._outbox.mark_sent, n.key, reference, sender.channel
                )
                log.info("notification sent", channel=sender.channel, reference=reference)
                return sent.reference or reference
            log.warning("notification sender failed", error=errors[-1])
        summary = "; ".join(errors)
        failed_row = await asyncio.to_thread(self._outbox.mark_failed, n.key, summary)
        raise ApplicationError(
            f"notification {n.key} not delivered (attempt {failed_row.attempts}): {summary}",
            type=NOT_DELIVERED,
        )


def _logger(n: Notification) -> Any:
    return activity_logger(key=n.key, tenant_id=n.tenant_id, kind=n.kind.value, gate=n.gate)
