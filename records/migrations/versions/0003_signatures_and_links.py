"""Sign entries and chain heads with the records key; customers' one-time links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


_OLD_KINDS = "kind IN ('reminder', 'escalation', 'info')"
_NEW_KINDS = "kind IN ('reminder', 'escalation', 'info', 'invite')"
_KIND_CHECK = "ck_outbox_ck_outbox_kind"
"""The name 0002's check got (its name and the naming convention, both applied)."""


def upgrade() -> None:
    """Add the signature columns, the `customer_links` table, and the `invite` kind."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f(_KIND_CHECK), type_="check")
        batch.create_check_constraint(op.f(_KIND_CHECK), _NEW_KINDS)
    with op.batch_alter_table("entries") as batch:
        batch.add_column(sa.Column("signature", sa.String(128), nullable=True))
        batch.add_column(sa.Column("key_id", sa.String(40), nullable=True))
    with op.batch_alter_table("onboardings") as batch:
        batch.add_column(sa.Column("head_signature", sa.String(128), nullable=True))
        batch.add_column(sa.Column("head_key_id", sa.String(40), nullable=True))
    op.create_table(
        "customer_links",
        sa.Column("id", _ID, nullable=False, autoincrement=True),
        sa.Column("link_id", sa.String(32), nullable=False),
        sa.Column("notification_key", sa.String(255), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("gate", sa.String(64), nullable=False),
        sa.Column("input", sa.String(64), nullable=False),
        sa.Column("admin", sa.String(254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("receipt", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_links")),
        sa.UniqueConstraint("link_id", name=op.f("uq_customer_links_link_id")),
        sa.UniqueConstraint("notification_key", name=op.f("uq_customer_links_notification_key")),
    )


def downgrade() -> None:
    """Drop them again (invites left in the outbox must be removed first)."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint(op.f(_KIND_CHECK), type_="check")
        batch.create_check_constraint(op.f(_KIND_CHECK), _OLD_KINDS)
    op.drop_table("customer_links")
    with op.batch_alter_table("onboardings") as batch:
        batch.drop_column("head_key_id")
        batch.drop_column("head_signature")
    with op.batch_alter_table("entries") as batch:
        batch.drop_column("key_id")
        batch.drop_column("signature")
