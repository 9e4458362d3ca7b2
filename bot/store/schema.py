"""The ledger's tables (SQLAlchemy 2.x declarative) and the delivery status values.

``bot/store/migrations/versions`` must create exactly this schema: a test compares the
migrated database with this metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class DeliveryStatus(StrEnum):
    """Where one post for one account stands."""

    PENDING = "pending"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    """Failed for now; will be retried at ``next_attempt_at``."""
    DEAD = "dead"
    """Gave up."""
    AWAITING_HUMAN = "awaiting_human"
    SKIPPED = "skipped"
    UNCERTAIN = "uncertain"
    """The process died while sending and the platform could not tell: a human decides."""
    PREVIEWED = "previewed"
    """A dry run rendered it and sent nothing; the rendered text is kept. Never counts as
    sent and never blocks a live delivery: ``bot retry``/``bot post`` send it for real."""
    AWAITING_REVIEW = "awaiting_review"
    """Held for an editor's approval (``review: required``)."""
    OVER_BUDGET = "over_budget"
    """Held because sending it would exceed the account's monthly budget."""


DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED, DeliveryStatus.FAILED)
"""Statuses a dispatcher may claim once ``next_attempt_at`` has come."""
CAP_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.SENDING, DeliveryStatus.AWAITING_HUMAN)
"""Statuses that count against an account's daily cap."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite stores the UTC wall time as fixed-width text
    (so comparisons stay correct) and gets its ``tzinfo`` back on load. Naive datetimes are
    refused: they are a bug waiting for a server in another time zone.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("timestamps must be timezone-aware (UTC)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class FeedState(Base):
    __tablename__ = "feeds"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    initialized: Mapped[bool] = mapped_column(Boolean, default=False)
    poll_owner: Mapped[str | None] = mapped_column(String(200))
    poll_claimed_until: Mapped[datetime | None]


class ArticleRecord(Base):
    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(2048), primary_key=True)
    feed: Mapped[str | None] = mapped_column(String(100))
    guid: Mapped[str | None] = mapped_column(String(2048), index=True)
    url: Mapped[str | None] = mapped_column(String(2048), index=True)
    title: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    first_seen_at: Mapped[datetime]
    published_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    edited: Mapped[bool] = mapped_column(Boolean, default=False)
    payload: Mapped[dict[str, Any]]


class Delivery(Base):
    """One post of one article for one account.

    ``version`` goes up with every change of the row (SQLAlchemy's version counter: an
    UPDATE of a stale copy fails), so an editor's approve/edit/skip and a dispatcher's claim
    can compare-and-set; bulk UPDATEs must bump it themselves.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("article_id", "account"),
        Index("ix_deliveries_due", "account", "status", "next_attempt_at"),
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s.value}'" for s in DeliveryStatus) + ")",
            name="status",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    article_id: Mapped[str] = mapped_column(
        String(2048), ForeignKey("articles.id", ondelete="CASCADE")
    )
    account: Mapped[str] = mapped_column(String(100))
    platform: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any]]
    remote_id: Mapped[str | None] = mapped_column(String(200))
    remote_url: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}


class DeliveryEvent(Base):
    """The history of a delivery: one row per change (queued, claimed, sent, failed, edited,
    forced …), written in the same transaction as the change itself."""

    __tablename__ = "delivery_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    """The delivery's status after the event."""
    actor: Mapped[str | None] = mapped_column(String(200))
    """Who did it: a process (owner) or a person (``cli:alice``, ``web:editor``)."""
    detail: Mapped[dict[str, Any]]


class SpendRecord(Base):
    """What a platform billed for one post or one look-up (X bills both). Never updated or
    deleted: summed per account and month for budgets, ``bot status`` and ``/metrics``."""

    __tablename__ = "spend"
    __table_args__ = (Index("ix_spend_account_at", "account", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(100))
    delivery_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("deliveries.id", ondelete="SET NULL"), index=True
    )
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))
    """``post`` (posts created) or ``read`` (posts a look-up returned)."""
    units: Mapped[int] = mapped_column(Integer)
    """How many posts were created or read."""
    micro_usd: Mapped[int] = mapped_column(Integer)
    """The price in millionths of a dollar (exact sums)."""


class AccountState(Base):
    __tablename__ = "account_state"

    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    paused_until: Mapped[datetime | None]
    last_claim_at: Mapped[datetime | None]
    last_sent_at: Mapped[datetime | None]
    last_verified_at: Mapped[datetime | None]
    identity: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]


class DaemonLock(Base):
    """One row (id 1) naming the daemon that owns a SQLite database."""

    __tablename__ = "daemon_lock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    owner: Mapped[str] = mapped_column(String(200))
    pid: Mapped[int] = mapped_column(Integer)
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]
