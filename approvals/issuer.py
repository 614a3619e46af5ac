"""Making an invite's personal link, as the notification activity sends it."""

from __future__ import annotations

import asyncio
from datetime import datetime

from approvals.links import LinkGrant, LinkStore
from approvals.tokens import link_url, token_for
from onboarding.notifications import Notification


class LinkIssuer:
    """Holds the link key and the link table; adds each invite's link to its body."""

    def __init__(self, store: LinkStore, link_key: bytes, portal_url: str) -> None:
        self._store = store
        self._key = link_key
        self._portal_url = portal_url

    async def with_link(self, n: Notification, now: datetime) -> Notification:
        """The notification to deliver: for an invite, its body with the personal link.

        The link is made here, never stored (only its id is), and never returned to the
        workflow; the outbox keeps the notification without it.
        """
        if n.link is None:
            return n
        grant = LinkGrant(
            notification_key=n.key,
            tenant_id=n.tenant_id,
            workflow_id=n.link.workflow_id,
            gate=n.link.gate,
            input=n.link.input,
            admin=n.link.admin,
            expires_at=n.link.expires_at,
        )
        row = await asyncio.to_thread(self._store.issue, grant, now)
        url = link_url(self._portal_url, token_for(self._key, row.link_id))
        return n.model_copy(update={"body": f"{n.body}\n\nYour personal link: {url}\n"})
