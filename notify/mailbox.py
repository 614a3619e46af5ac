"""A mailbox folder: each notification as delivered, one JSON file (development, demos, tests).

The embedded stack (`onboard dev`) delivers here instead of a mail server, so people can
read what the onboarding sent, customer admins' personal links included; treat the
folder like an inbox (files are mode 0600). Not for production: use SMTP or a webhook.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from pathlib import Path

from notify.senders import DeliveryFailed
from onboarding.notifications import Notification


class MailboxSender:
    """Writes each notification to `<dir>/<created>-<key digest>.json`."""

    channel = "mailbox"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, n: Notification) -> str:
        """Write the notification (in a thread) and return `mailbox:<file name>`.

        Raises:
            DeliveryFailed: The folder cannot be written.
        """
        return await asyncio.to_thread(self._write, n)

    def _write(self, n: Notification) -> str:
        digest = hashlib.sha256(n.key.encode()).hexdigest()[:16]
        name = f"{n.created_at:%Y%m%dT%H%M%S}-{digest}.json"
        message = n.model_dump(mode="json", exclude={"link"})
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = self.directory / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(message, out, indent=2, sort_keys=True)
        except OSError as err:
            raise DeliveryFailed(f"mailbox folder not writable ({err.strerror})") from None
        return f"mailbox:{name}"


def read_mailbox(directory: Path) -> list[dict[str, object]]:
    """Every notification in a mailbox folder, oldest first."""
    if not directory.is_dir():
        return []
    found: list[dict[str, object]] = []
    for path in sorted(directory.glob("*.json")):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a file being written right now
    return found


def personal_link(directory: Path, admin: str, gate: str) -> str | None:
    """The newest personal link a mailbox holds for an admin at a gate, if any."""
    found: str | None = None
    for message in read_mailbox(directory):
        recipients = message.get("recipients")
        if message.get("gate") != gate or not isinstance(recipients, list):
            continue
        if admin.lower() not in recipients:
            continue
        body = str(message.get("body") or "")
        for word in body.split():
            if "/l/" in word and word.startswith(("http://", "https://")):
                found = word
    return found
