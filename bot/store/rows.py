"""Plain, frozen snapshots of ledger rows: what the Store hands out (never live ORM objects)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.store.schema import AccountState, ArticleRecord, Delivery, DeliveryStatus, FeedState


@dataclass(frozen=True, slots=True)
class FeedStateRow:
    name: str
    url: str
    etag: str | None
    last_modified: str | None
    last_checked_at: datetime | None
    last_success_at: datetime | None
    consecutive_errors: int
    last_error: str | None
    initialized: bool
    poll_owner: str | None
    poll_claimed_until: datetime | None

    @classmethod
    def of(cls, r: FeedState) -> FeedStateRow:
        return cls(
            name=r.name, url=r.url, etag=r.etag, last_modified=r.last_modified,
            last_checked_at=r.last_checked_at, last_success_at=r.last_success_at,
            consecutive_errors=r.consecutive_errors or 0, last_error=r.last_error,
            initialized=bool(r.initialized), poll_owner=r.poll_owner,
            poll_claimed_until=r.poll_claimed_until,
        )


@dataclass(frozen=True, slots=True)
class ArticleRow:
    id: str
    feed: str | None
    guid: str | None
    url: str | None
    title: str
    content_hash: str
    first_seen_at: datetime
    published_at: datetime | None
    updated_at: datetime
    edited: bool
    payload: dict[str, Any]
    """Ingest bookkeeping: ``queue_for`` lists the accounts a feed article is owed a delivery
    to (see ``bot.ingest``); empty for articles posted by hand."""

    @classmethod
    def of(cls, r: ArticleRecord) -> ArticleRow:
        return cls(
            id=r.id, feed=r.feed, guid=r.guid, url=r.url, title=r.title,
            content_hash=r.content_hash, first_seen_at=r.first_seen_at,
            published_at=r.published_at, updated_at=r.updated_at, edited=bool(r.edited),
            payload=dict(r.payload or {}),
        )


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: int
    article_id: str
    account: str
    platform: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    text: str
    link: str | None
    payload: dict[str, Any]
    remote_id: str | None
    remote_url: str | None
    last_error: str | None
    owner: str | None
    lease_expires_at: datetime | None
    claimed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None
    version: int
    """Goes up with every change: an editor's compare-and-set compares it."""

    @classmethod
    def of(cls, r: Delivery) -> DeliveryRow:
        return cls(
            id=r.id, article_id=r.article_id, account=r.account, platform=r.platform,
            status=DeliveryStatus(r.status), attempts=r.attempts or 0,
            next_attempt_at=r.next_attempt_at, text=r.text, link=r.link,
            payload=dict(r.payload or {}), remote_id=r.remote_id, remote_url=r.remote_url,
            last_error=r.last_error, owner=r.owner, lease_expires_at=r.lease_expires_at,
            claimed_at=r.claimed_at, created_at=r.created_at, updated_at=r.updated_at,
            sent_at=r.sent_at, version=r.version,
        )


@dataclass(frozen=True, slots=True)
class AccountStateRow:
    account: str
    paused: bool
    paused_reason: str | None
    paused_until: datetime | None
    last_claim_at: datetime | None
    last_sent_at: datetime | None
    last_verified_at: datetime | None
    identity: str | None
    token_expires_at: datetime | None

    def is_paused(self, now: datetime) -> bool:
        """Paused with no end, or until a time still to come."""
        return self.paused and (self.paused_until is None or self.paused_until > now)

    @classmethod
    def of(cls, r: AccountState) -> AccountStateRow:
        return cls(
            account=r.account, paused=bool(r.paused), paused_reason=r.paused_reason,
            paused_until=r.paused_until, last_claim_at=r.last_claim_at,
            last_sent_at=r.last_sent_at, last_verified_at=r.last_verified_at,
            identity=r.identity, token_expires_at=r.token_expires_at,
        )
