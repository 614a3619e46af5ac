"""Senders: the ways a notification leaves the worker (a webhook, SMTP, the log).

Every sender raises `DeliveryFailed` when it cannot deliver, with a message that is safe
to log and to put in the outbox: no password, token or webhook URL path ever appears in
it (webhook URLs often carry a token in the path), and the original exception is not
chained.
"""

from __future__ import annotations

import asyncio
import hashlib
import smtplib
import ssl
from collections.abc import Iterable
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol, runtime_checkable

import httpx
import structlog
from pydantic import SecretStr

from notify.outbound import (
    OutboundRefused,
    check_outbound,
    read_reply,
    reply_reference,
    where,
)
from onboarding.notifications import Notification

REFERENCE_MAX_LENGTH = 255
"""Delivery references longer than this are cut (the outbox column's length)."""
DEFAULT_TIMEOUT_SECONDS = 10.0

_log = structlog.get_logger("notify")


class DeliveryFailed(Exception):
    """A sender could not deliver a notification; the message holds no secret."""


@runtime_checkable
class Sender(Protocol):
    """A way to deliver notifications."""

    @property
    def channel(self) -> str:
        """Short name of the channel (`webhook`, `smtp`, ...), recorded in the outbox."""
        ...

    async def send(self, n: Notification) -> str:
        """Deliver one notification.

        Args:
            n: The notification.

        Returns:
            A delivery reference (the receiver's id, a Message-ID, ...).

        Raises:
            DeliveryFailed: It was not delivered; the message is safe to log.
        """
        ...


def _reference(value: str) -> str:
    return value[:REFERENCE_MAX_LENGTH]


class WebhookSender:
    """POSTs each notification as JSON to a URL.

    The body is `Notification.model_dump(mode="json")` (without its link request: an
    invite's link is already in its body); the request carries an
    `Idempotency-Key` header (the notification's key), so a receiver can drop the
    duplicate of a retried delivery, and `Authorization: Bearer <token>` if a token is
    set. Any 2xx answer is a delivery; its reference is the `id` of a JSON object
    answer, else the `X-Request-Id` header, if it looks like an id, else
    `webhook:<key>`. Redirects are not followed, and at most 64 KiB of a reply is read.
    """

    channel = "webhook"

    def __init__(
        self,
        url: str | SecretStr,
        client: httpx.AsyncClient,
        *,
        token: SecretStr | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        """Prepare a sender; the client is borrowed (the caller closes it).

        Args:
            url: The webhook's `https://` URL (plain `http://` only to loopback); may hold
                a secret, so it is kept as one.
            client: The HTTP client to send with.
            token: A bearer token for the `Authorization` header.
            timeout: Seconds to wait for the whole request.
            allowed_hosts: The outbound allow-list (`ONBOARDING_OUTBOUND_HOSTS`); the
                URL's host must be on it unless it is loopback.

        Raises:
            ValueError: The URL is not allowed by the outbound rules (`check_outbound`;
                the URL is not quoted).
        """
        secret = url if isinstance(url, SecretStr) else SecretStr(url)
        try:
            parsed = check_outbound(
                secret.get_secret_value(),
                allowed_hosts,
                what="the webhook URL",
                setting="ONBOARDING_NOTIFY_WEBHOOK_URL",
            )
        except OutboundRefused as refused:
            raise ValueError(str(refused)) from None
        self._url = secret
        self._client = client
        self._token = token
        self._timeout = timeout
        self.where = where(parsed)
        """Where it sends, for messages: scheme, host and port only."""

    def __repr__(self) -> str:
        return f"WebhookSender({self.where!r})"

    async def send(self, n: Notification) -> str:
        """POST the notification; see the class for the request and the reference.

        Raises:
            DeliveryFailed: Transport error, timeout or a non-2xx answer.
        """
        headers = {"Idempotency-Key": n.key}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        try:
            async with self._client.stream(
                "POST",
                self._url.get_secret_value(),
                json=n.model_dump(mode="json", exclude={"link"}),
                headers=headers,
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                if not response.is_success:
                    raise DeliveryFailed(
                        f"webhook {self.where} answered HTTP {response.status_code}"
                    )
                body = await read_reply(response)
        except httpx.HTTPError as error:
            raise DeliveryFailed(
                f"webhook {self.where} unreachable: {type(error).__name__}"
            ) from None
        return _reference(reply_reference(body, response.headers) or f"webhook:{n.key}")


class SmtpSender:
    """Sends each notification as a plain-text e-mail through an SMTP server.

    The message's `Message-ID` is derived from the notification's key, so a retried
    delivery carries the same id (mail clients show duplicates once); it is also the
    delivery reference. smtplib blocks, so every delivery runs in a thread.
    """

    channel = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        sender_address: str,
        *,
        username: SecretStr | None = None,
        password: SecretStr | None = None,
        starttls: bool = True,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        """Prepare a sender (nothing connects until `send`).

        Args:
            host: The SMTP server's host name.
            port: Its port (587 for submission with STARTTLS, 25 for relays).
            sender_address: The `From` address.
            username: Log in with this user (needs `password`).
            password: The user's password.
            starttls: Upgrade the connection with STARTTLS (certificate verified) before
                logging in and sending; a server without STARTTLS then fails delivery.
            timeout: Seconds to wait for each network operation.

        Raises:
            ValueError: The sender address is not an e-mail address, or only one of
                username and password is given.
        """
        local, at, domain = sender_address.strip().rpartition("@")
        if not (local and at and domain) or any(c.isspace() for c in sender_address.strip()):
            raise ValueError("the SMTP sender address is not an e-mail address")
        if (username is None) != (password is None):
            raise ValueError("give both the SMTP username and password, or neither")
        self.host = host
        self.port = port
        self.sender_address = sender_address.strip()
        self._domain = domain
        self._username = username
        self._password = password
        self._starttls = starttls
        self._timeout = timeout

    def __repr__(self) -> str:
        return f"SmtpSender({self.host!r}, {self.port}, starttls={self._starttls})"

    def message_id(self, n: Notification) -> str:
        """Return the `Message-ID` of the notification's e-mail (stable per key)."""
        digest = hashlib.sha256(n.key.encode()).hexdigest()[:32]
        return f"<{digest}@{self._domain}>"

    def message(self, n: Notification) -> EmailMessage:
        """Return the e-mail that `send` delivers for the notification."""
        msg = EmailMessage()
        msg["From"] = self.sender_address
        msg["To"] = ", ".join(n.recipients)
        msg["Subject"] = n.subject
        msg["Date"] = format_datetime(n.created_at)
        msg["Message-ID"] = self.message_id(n)
        msg["X-Onboarding-Key"] = n.key
        msg["X-Onboarding-Tenant"] = n.tenant_id
        msg["X-Onboarding-Kind"] = n.kind.value
        if n.gate is not None:
            msg["X-Onboarding-Gate"] = n.gate
        msg.set_content(n.body)
        return msg

    async def send(self, n: Notification) -> str:
        """Deliver the e-mail (in a thread) and return its Message-ID.

        Raises:
            DeliveryFailed: Connection, TLS, login or the server refused the message or
                every recipient.
        """
        msg = self.message(n)
        await asyncio.to_thread(self._deliver, msg, n.key)
        return _reference(self.message_id(n))

    def _deliver(self, msg: EmailMessage, key: str) -> None:
        where = f"SMTP {self.host}:{self.port}"
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username is not None and self._password is not None:
                    smtp.login(self._username.get_secret_value(), self._password.get_secret_value())
                refused = smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryFailed(
                f"{where} refused all {len(error.recipients)} recipient(s)"
            ) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryFailed(
                f"{where} failed: {type(error).__name__} (code {error.smtp_code})"
            ) from None
        except (smtplib.SMTPException, OSError) as error:
            # OSError covers refused connections, timeouts and TLS errors (ssl.SSLError).
            raise DeliveryFailed(f"{where} failed: {type(error).__name__}") from None
        if refused:
            _log.warning("smtp recipients refused", key=key, refused=len(refused), host=self.host)


class LogSender:
    """Writes each notification to the log instead of sending it (development, demos).

    The log line holds the key, tenant, kind, gate, subject and the number of
    recipients; never the body or the addresses.
    """

    channel = "log"

    async def send(self, n: Notification) -> str:
        """Log the notification and return `log:<key>`."""
        _log.info(
            "notification (log only)",
            key=n.key,
            tenant_id=n.tenant_id,
            kind=n.kind.value,
            gate=n.gate,
            subject=n.subject,
            recipients=len(n.recipients),
        )
        return _reference(f"log:{n.key}")
