"""The records schema: one row per onboarding and its append-only entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from records.times import UtcDateTime

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Constraint names, so migrations can refer to them on every database."""

TENANT_ID_LENGTH = 64
WORKFLOW_ID_LENGTH = 200
KIND_LENGTH = 40
STEP_LENGTH = 64
ACTOR_LENGTH = 254
IDEMPOTENCY_KEY_LENGTH = 255
HASH_LENGTH = 64
SIGNATURE_LENGTH = 128
KEY_ID_LENGTH = 40

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a bigint.
_ID = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base of the records schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class Onboarding(Base):
    """One tenant's onboarding: at most one per tenant, ever."""

    __tablename__ = "onboardings"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID_LENGTH), unique=True)
    workflow_id: Mapped[str] = mapped_column(String(WORKFLOW_ID_LENGTH))
    contract: Mapped[dict[str, Any]]
    """Contract summary (the validated contract as JSON); also in entry 1, under the chain."""
    created_at: Mapped[datetime]
    head_seq: Mapped[int] = mapped_column(Integer, default=0)
    """Seq of the newest entry: lets `verify` notice entries removed from the end."""
    head_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH), default=None)
    """Hash of the newest entry."""
    head_signature: Mapped[str | None] = mapped_column(String(SIGNATURE_LENGTH), default=None)
    """The records key's signature over the head (`records.signing.head_message`)."""
    head_key_id: Mapped[str | None] = mapped_column(String(KEY_ID_LENGTH), default=None)

    def __repr__(self) -> str:
        return f"Onboarding(tenant_id={self.tenant_id!r}, head_seq={self.head_seq})"


class Entry(Base):
    """One append-only record line, chained to the previous one of its onboarding."""

    __tablename__ = "entries"
    __table_args__ = (UniqueConstraint("onboarding_id", "seq"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    onboarding_id: Mapped[int] = mapped_column(
        _ID, ForeignKey("onboardings.id", ondelete="RESTRICT")
    )
    seq: Mapped[int] = mapped_column(Integer)
    """1, 2, 3, ... within the onboarding, without gaps."""
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    """An `EntryKind` value."""
    step: Mapped[str | None] = mapped_column(String(STEP_LENGTH))
    actor: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    """Who did it: an e-mail address, or `system:<component>` for the worker."""
    occurred_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]]
    idempotency_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    signature: Mapped[str | None] = mapped_column(String(SIGNATURE_LENGTH), default=None)
    """The records key's signature over the entry (`records.signing.entry_message`)."""
    key_id: Mapped[str | None] = mapped_column(String(KEY_ID_LENGTH), default=None)
    """Which records key signed it (its fingerprint)."""

    def __repr__(self) -> str:
        return f"Entry(seq={self.seq}, kind={self.kind!r}, step={self.step!r})"


class CustomerLink(Base):
    """A personal one-time link sent to a customer admin for one gate.

    The link itself is never stored: it is derived from `link_id` with the link key
    (`approvals.tokens`), so reading this table does not let anyone redeem a link.
    """

    __tablename__ = "customer_links"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    link_id: Mapped[str] = mapped_column(String(32), unique=True)
    notification_key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), unique=True)
    tenant_id: Mapped[str] = mapped_column(String(TENANT_ID_LENGTH))
    workflow_id: Mapped[str] = mapped_column(String(WORKFLOW_ID_LENGTH))
    gate: Mapped[str] = mapped_column(String(STEP_LENGTH))
    input: Mapped[str] = mapped_column(String(STEP_LENGTH))
    admin: Mapped[str] = mapped_column(String(ACTOR_LENGTH))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)
    receipt: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    """What redeeming it recorded (the workflow's receipt), once used."""
