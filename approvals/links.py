"""The `customer_links` table: one row per personal link, marked when it is used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from approvals.tokens import link_id_for
from records.models import CustomerLink
from records.times import as_utc


@dataclass(frozen=True)
class LinkGrant:
    """What a link lets its admin do: one input, at one gate, of one onboarding."""

    notification_key: str
    tenant_id: str
    workflow_id: str
    gate: str
    input: str
    admin: str
    expires_at: datetime


class LinkStore:
    """Issues, finds and uses links. Methods block: call them from a thread in async code."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def issue(self, grant: LinkGrant, now: datetime) -> CustomerLink:
        """Record a link once per invite (a resent invite gets the same link back)."""
        link_id = link_id_for(grant.notification_key)
        if (found := self.find(link_id)) is not None:
            return found
        row = CustomerLink(
            link_id=link_id,
            notification_key=grant.notification_key,
            tenant_id=grant.tenant_id,
            workflow_id=grant.workflow_id,
            gate=grant.gate,
            input=grant.input,
            admin=grant.admin,
            created_at=as_utc(now),
            expires_at=as_utc(grant.expires_at),
        )
        try:
            with Session(self._engine, expire_on_commit=False) as session, session.begin():
                session.add(row)
            return row
        except IntegrityError:
            found = self.find(link_id)
            if found is None:
                raise
            return found

    def find(self, link_id: str) -> CustomerLink | None:
        with Session(self._engine, expire_on_commit=False) as session:
            return session.scalars(
                select(CustomerLink).where(CustomerLink.link_id == link_id)
            ).one_or_none()

    def mark_used(self, link_id: str, receipt: dict[str, Any], at: datetime) -> bool:
        """Mark a link used, once: False if it was used already (by a concurrent redeem)."""
        with Session(self._engine) as session, session.begin():
            done = session.execute(
                update(CustomerLink)
                .where(CustomerLink.link_id == link_id, CustomerLink.used_at.is_(None))
                .values(used_at=as_utc(at), receipt=receipt)
            )
            return bool(getattr(done, "rowcount", 0))
