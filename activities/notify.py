"""The notification activity: puts notifications in the outbox and delivers each once.

The workflow hands over the reminders and escalations one wake-up produced as one batch
(`send_notifications`), which keeps its history small. Each delivery is also recorded in
the onboarding's records (kind `notification`), so the audit trail shows who was chased.

Delivery is at least once: a notification is never sent again after the outbox records
it as sent, but a crash between a sender's success and that record means a retry sends
it again. Senders help receivers drop such duplicates (the webhook's `Idempotency-Key`
header, a Message-ID derived from the key).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.evidence import activity_logger
from approvals.issuer import LinkIssuer
from notify.outbox import OutboxConflict, OutboxStore
from notify.senders import DeliveryFailed, Sender
from onboarding.notifications import Notification, NotificationBatch
from records.errors import UnknownTenant
from records.kinds import EntryKind
from records.outbox import Outbox, OutboxStatus
from records.store import RecordsStore
from records.times import as_utc

NOT_DELIVERED = "NotificationNotDelivered"
"""ApplicationError type of a failed delivery (retryable: Temporal retries with backoff)."""
KEY_CONFLICT = "NotificationKeyConflict"
"""ApplicationError type of a key reused for another notification (not retryable)."""


class NotifyActivities:
    """Holds the outbox and the senders, tried in order until one delivers."""

    def __init__(
        self,
        outbox: OutboxStore,
        senders: Sequence[Sender],
        records: RecordsStore | None = None,
        links: LinkIssuer | None = None,
    ) -> None:
        """Deliver through `senders` (at least one; see `notify.settings.build_senders`),
        record each delivery in `records` when given, and add each invite's personal
        link with `links`.

        Raises:
            ValueError: No sender was given.
        """
        if not senders:
            raise ValueError("give at least one sender (build_senders falls back to the log)")
        self._outbox = outbox
        self._senders = tuple(senders)
        self._records = records
        self._links = links

    @activity.defn(name="send_notifications")
    async def send_notifications(self, batch: NotificationBatch) -> list[str]:
        """Deliver every notification of a batch that is not delivered yet.

        Returns:
            The delivery references, in the batch's order ("" for one refused outright).

        Raises:
            ApplicationError: `NotificationNotDelivered` (retryable) when any of them could
                not be delivered, after trying them all; the retry sends only those.
        """
        references: list[str] = []
        failures: list[str] = []
        for n in batch.notifications:
            try:
                references.append(await self.send_notification(n))
            except ApplicationError as err:
                if err.non_retryable:  # a reused key: retrying cannot help, so say so
                    _logger(n).error("notification refused", error=str(err))
                    references.append("")
                else:
                    failures.append(str(err))
        if failures:
            raise ApplicationError("; ".join(failures), type=NOT_DELIVERED)
        return references

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
            await self._record(n, row)
            return row.reference or ""
        errors: list[str] = []
        outgoing = await self._with_link(n)
        for sender in self._senders:
            try:
                reference = await sender.send(outgoing)
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
                await self._record(n, sent)
                return sent.reference or reference
            log.warning("notification sender failed", error=errors[-1])
        summary = "; ".join(errors)
        failed_row = await asyncio.to_thread(self._outbox.mark_failed, n.key, summary)
        raise ApplicationError(
            f"notification {n.key} not delivered (attempt {failed_row.attempts}): {summary}",
            type=NOT_DELIVERED,
        )

    async def _with_link(self, n: Notification) -> Notification:
        """The notification as delivered: an invite gets its admin's personal link."""
        if n.link is None:
            return n
        if self._links is None:
            raise ApplicationError(
                f"invite {n.key} needs a personal link, but this worker has no link key "
                "(ONBOARDING_LINK_KEY_FILE); it is retried once one is configured",
                type=NOT_DELIVERED,
            )
        return await self._links.with_link(n, datetime.now(UTC))

    async def _record(self, n: Notification, row: Outbox) -> None:
        """Put the delivery in the onboarding's records, once per notification key."""
        if self._records is None:
            return
        payload = {
            "channel": row.channel or "unknown",
            "recipients": list(n.recipients),
            "subject": n.subject,
            "notification": n.kind.value,
            "gate": n.gate,
            "key": n.key,
            "reference": row.reference,
        }
        try:
            await asyncio.to_thread(
                self._records.append,
                n.tenant_id,
                EntryKind.NOTIFICATION,
                None,
                "system:notify",
                as_utc(row.sent_at) if row.sent_at else datetime.now(UTC),
                payload,
                n.key,  # never an audit entry's key: those end in a number after the id
            )
        except UnknownTenant:
            # Delivered before the onboarding's record was opened (its first audit batch
            # is still retrying): the outbox row is the record of it.
            _logger(n).warning("notification not in the records: onboarding not recorded yet")


def _logger(n: Notification) -> Any:
    return activity_logger(key=n.key, tenant_id=n.tenant_id, kind=n.kind.value, gate=n.gate)
