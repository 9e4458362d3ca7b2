"""Spend: what a platform billed for each post and each look-up (X bills both).

One row per post created or look-up made, in micro-dollars, summed per account and month for
``budget_usd_per_month``, ``bot status`` and ``/metrics``. Rows outlive their delivery
(``ON DELETE SET NULL``): money spent stays spent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spend",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("micro_usd", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spend"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_spend_delivery_id_deliveries",
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_spend_account_at", "spend", ["account", "at"])
    op.create_index("ix_spend_delivery_id", "spend", ["delivery_id"])


def downgrade() -> None:
    op.drop_index("ix_spend_delivery_id", table_name="spend")
    op.drop_index("ix_spend_account_at", table_name="spend")
    op.drop_table("spend")
