"""Previewed, awaiting_review and over_budget deliveries; a version counter; the history.

* Three new statuses: ``previewed`` (a dry run, nothing sent), ``awaiting_review`` (an editor
  approves first) and ``over_budget`` (held by the account's monthly budget).
* ``deliveries.version``: bumped by every change of a row, for compare-and-set.
* ``delivery_events``: one row per change of a delivery.
* Ledgers written before this recorded dry runs as ``sent`` with remote id ``dry-run``: those
  become ``previewed`` (nothing was ever sent for them), with an event saying so.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = (
    "pending", "scheduled", "sending", "sent", "failed", "dead", "awaiting_human", "skipped",
    "uncertain",
)
NEW = (*OLD, "previewed", "awaiting_review", "over_budget")


def _check(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{s}'" for s in statuses) + ")"


# 0001 named its check with the prefix twice (the naming convention added it again); this
# revision gives it the name the models' convention makes, and the downgrade restores the old.
OLD_NAME = "ck_deliveries_ck_deliveries_status"
NEW_NAME = "ck_deliveries_status"


def upgrade() -> None:
    with op.batch_alter_table("deliveries", recreate="auto") as batch:
        batch.drop_constraint(op.f(OLD_NAME), type_="check")
        batch.create_check_constraint(op.f(NEW_NAME), _check(NEW))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))

    op.create_table(
        "delivery_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_delivery_events"),
        sa.ForeignKeyConstraint(
            ["delivery_id"], ["deliveries.id"], name="fk_delivery_events_delivery_id_deliveries",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_delivery_events_delivery_id", "delivery_events", ["delivery_id"])

    _dry_runs_become_previewed()


def _dry_runs_become_previewed() -> None:
    conn = op.get_bind()
    deliveries = sa.table(
        "deliveries", sa.column("id", sa.Integer()), sa.column("status", sa.String()),
        sa.column("remote_id", sa.String()), sa.column("sent_at", sa.DateTime(timezone=True)),
    )
    events = sa.table(
        "delivery_events", sa.column("delivery_id", sa.Integer()),
        sa.column("at", sa.DateTime(timezone=True)), sa.column("kind", sa.String()),
        sa.column("status", sa.String()), sa.column("actor", sa.String()),
        sa.column("detail", sa.JSON()),
    )
    was_dry = sa.and_(deliveries.c.status == "sent", deliveries.c.remote_id == "dry-run")
    ids = [row[0] for row in conn.execute(sa.select(deliveries.c.id).where(was_dry))]
    if not ids:
        return
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # the ledger's UTC text form on SQLite
    conn.execute(events.insert(), [
        {"delivery_id": i, "at": now, "kind": "migrated", "status": "previewed",
         "actor": "migration 0002",
         "detail": {"note": "recorded as sent by a dry run before; nothing was sent"}}
        for i in ids
    ])
    conn.execute(
        deliveries.update().where(was_dry)
        .values(status="previewed", remote_id=None, sent_at=None)
    )


def downgrade() -> None:
    conn = op.get_bind()
    conn.execute(sa.text(
        "UPDATE deliveries SET status = 'sent', remote_id = 'dry-run' WHERE status = 'previewed'"
    ))
    conn.execute(sa.text(
        "UPDATE deliveries SET status = 'pending' "
        "WHERE status IN ('awaiting_review', 'over_budget')"
    ))
    op.drop_index("ix_delivery_events_delivery_id", table_name="delivery_events")
    op.drop_table("delivery_events")
    with op.batch_alter_table("deliveries", recreate="auto") as batch:
        batch.drop_column("version")
        batch.drop_constraint(op.f(NEW_NAME), type_="check")
        batch.create_check_constraint(op.f(OLD_NAME), _check(OLD))
