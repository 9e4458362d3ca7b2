"""The initial ledger: feeds, articles, deliveries, account_state, daemon_lock.

Revision ID: 0001
Revises:
Create Date: 2025-01-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = (
    "pending", "scheduled", "sending", "sent", "failed", "dead", "awaiting_human", "skipped",
    "uncertain",
)


def ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.String(100), nullable=True),
        ts("last_checked_at"),
        ts("last_success_at"),
        sa.Column("consecutive_errors", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("initialized", sa.Boolean(), nullable=False),
        sa.Column("poll_owner", sa.String(200), nullable=True),
        ts("poll_claimed_until"),
        sa.PrimaryKeyConstraint("name", name="pk_feeds"),
    )

    op.create_table(
        "articles",
        sa.Column("id", sa.String(2048), nullable=False),
        sa.Column("feed", sa.String(100), nullable=True),
        sa.Column("guid", sa.String(2048), nullable=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        ts("first_seen_at", nullable=False),
        ts("published_at"),
        ts("updated_at", nullable=False),
        sa.Column("edited", sa.Boolean(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )
    op.create_index("ix_articles_guid", "articles", ["guid"])
    op.create_index("ix_articles_url", "articles", ["url"])
    op.create_index("ix_articles_content_hash", "articles", ["content_hash"])

    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("article_id", sa.String(2048), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        ts("next_attempt_at", nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("remote_id", sa.String(200), nullable=True),
        sa.Column("remote_url", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        ts("lease_expires_at"),
        ts("claimed_at"),
        ts("created_at", nullable=False),
        ts("updated_at", nullable=False),
        ts("sent_at"),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_deliveries_article_id_articles",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("article_id", "account", name="uq_deliveries_article_id_account"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
            name="ck_deliveries_status",
        ),
    )
    op.create_index("ix_deliveries_due", "deliveries", ["account", "status", "next_attempt_at"])

    op.create_table(
        "account_state",
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        ts("paused_until"),
        ts("last_claim_at"),
        ts("last_sent_at"),
        ts("last_verified_at"),
        sa.Column("identity", sa.Text(), nullable=True),
        ts("token_expires_at"),
        sa.PrimaryKeyConstraint("account", name="pk_account_state"),
    )

    op.create_table(
        "daemon_lock",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        ts("acquired_at", nullable=False),
        ts("heartbeat_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_daemon_lock"),
    )


def downgrade() -> None:
    op.drop_table("daemon_lock")
    op.drop_table("account_state")
    op.drop_index("ix_deliveries_due", table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index("ix_articles_content_hash", table_name="articles")
    op.drop_index("ix_articles_url", table_name="articles")
    op.drop_index("ix_articles_guid", table_name="articles")
    op.drop_table("articles")
    op.drop_table("feeds")
