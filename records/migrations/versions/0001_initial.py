"""Create the onboardings and entries tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables of the records store."""
    op.create_table(
        "onboardings",
        sa.Column("id", _ID, nullable=False, autoincrement=True),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(200), nullable=False),
        sa.Column("contract", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("head_seq", sa.Integer(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_onboardings"),
        sa.UniqueConstraint("tenant_id", name="uq_onboardings_tenant_id"),
    )
    op.create_table(
        "entries",
        sa.Column("id", _ID, nullable=False, autoincrement=True),
        sa.Column("onboarding_id", _ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("step", sa.String(64), nullable=True),
        sa.Column("actor", sa.String(254), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entries"),
        sa.ForeignKeyConstraint(
            ["onboarding_id"],
            ["onboardings.id"],
            name="fk_entries_onboarding_id_onboardings",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("onboarding_id", "seq", name="uq_entries_onboarding_id_seq"),
        sa.UniqueConstraint("idempotency_key", name="uq_entries_idempotency_key"),
    )


def downgrade() -> None:
    """Drop the tables of the records store (and everything recorded in them)."""
    op.drop_table("entries")
    op.drop_table("onboardings")
