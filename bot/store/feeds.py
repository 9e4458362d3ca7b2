"""Feed poll state and the articles seen in feeds (dedupe: GUID, then link, then content)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from bot.errors import StoreError
from bot.store.base import StoreBase, check_aware, rowcount, seconds
from bot.store.rows import ArticleRow, FeedStateRow
from bot.store.schema import ArticleRecord, FeedState


class FeedsMixin(StoreBase):
    # -- feeds -----------------------------------------------------------------------------
    def get_feed(self, name: str) -> FeedStateRow | None:
        with self._session("read feed state", write=False) as s:
            r = s.get(FeedState, name)
            return FeedStateRow.of(r) if r else None

    def list_feeds(self) -> list[FeedStateRow]:
        with self._session("list feeds", write=False) as s:
            rows = s.scalars(select(FeedState).order_by(FeedState.name))
            return [FeedStateRow.of(r) for r in rows]

    def _feed_row(self, s: Session, name: str, url: str) -> FeedState:
        """The feed's row, created if missing, locked for this transaction."""
        self._insert_ignore(s, FeedState, name=name, url=url, consecutive_errors=0,
                            initialized=False)
        row = s.scalars(select(FeedState).where(FeedState.name == name).with_for_update()).one()
        row.url = url
        return row

    def save_feed_check(
        self, name: str, url: str, *, checked_at: datetime, ok: bool, etag: str | None = None,
        last_modified: str | None = None, error: str | None = None,
        initialized: bool | None = None,
    ) -> None:
        """Record one poll. A success resets the error count; a 304 keeps etag/last_modified."""
        check_aware(checked_at)
        with self._session(f"save the check of feed {name!r}") as s:
            row = self._feed_row(s, name, url)
            row.last_checked_at = checked_at
            if ok:
                row.consecutive_errors = 0
                row.last_success_at = checked_at
                row.last_error = None
            else:
                row.consecutive_errors = (row.consecutive_errors or 0) + 1
                row.last_error = error or "unknown error"
            if etag is not None:
                row.etag = etag
            if last_modified is not None:
                row.last_modified = last_modified
            if initialized is not None:
                row.initialized = initialized

    def claim_feed_poll(
        self, name: str, url: str, *, owner: str, now: datetime, hold_seconds: float
    ) -> bool:
        """True for exactly one caller per hold window, across processes and replicas."""
        check_aware(now)
        with self._session(f"claim the poll of feed {name!r}") as s:
            self._insert_ignore(s, FeedState, name=name, url=url, consecutive_errors=0,
                                initialized=False)
            stmt: Any = (
                update(FeedState)
                .where(FeedState.name == name)
                .where(or_(FeedState.poll_claimed_until.is_(None),
                           FeedState.poll_claimed_until <= now))
                .values(poll_owner=owner, poll_claimed_until=now + seconds(hold_seconds), url=url)
                .execution_options(synchronize_session=False)
            )
            return bool(rowcount(s, stmt))

    # -- articles --------------------------------------------------------------------------
    def find_article(
        self, *, guid: str | None = None, url: str | None = None,
        content_hash: str | None = None, feed: str | None = None,
    ) -> ArticleRow | None:
        """The article already seen: by GUID (within ``feed`` when given, since GUIDs are
        only unique per feed), else by link (article id or url), else by content hash;
        link and content are matched across all feeds so one story is never posted twice."""
        base = select(ArticleRecord).order_by(ArticleRecord.first_seen_at, ArticleRecord.id)
        queries = []
        if guid:
            q = base.where(ArticleRecord.guid == guid)
            queries.append(q.where(ArticleRecord.feed == feed) if feed else q)
        if url:
            queries.append(base.where(or_(ArticleRecord.id == url, ArticleRecord.url == url)))
        if content_hash:
            queries.append(base.where(ArticleRecord.content_hash == content_hash))
        with self._session("look up an article", write=False) as s:
            for q in queries:
                r = s.scalars(q.limit(1)).first()
                if r is not None:
                    return ArticleRow.of(r)
        return None

    def get_article(self, article_id: str) -> ArticleRow | None:
        with self._session("read an article", write=False) as s:
            r = s.get(ArticleRecord, article_id)
            return ArticleRow.of(r) if r else None

    def add_article(
        self, *, id: str, feed: str | None, guid: str | None, url: str | None, title: str,
        content_hash: str, published_at: datetime | None, payload: dict[str, Any],
        now: datetime,
    ) -> ArticleRow:
        """Record an article; an id already there returns the stored row unchanged."""
        check_aware(now, published_at)
        with self._session("save an article") as s:
            self._insert_ignore(
                s, ArticleRecord, id=id, feed=feed, guid=guid, url=url, title=title,
                content_hash=content_hash, first_seen_at=now, published_at=published_at,
                updated_at=now, edited=False, payload=payload,
            )
            return ArticleRow.of(s.get_one(ArticleRecord, id))

    def mark_article_edited(
        self, article_id: str, *, title: str, content_hash: str, now: datetime
    ) -> None:
        """Note that the article changed after we saw it (it is logged, never reposted)."""
        check_aware(now)
        with self._session("mark an article edited") as s:
            r = s.get(ArticleRecord, article_id, with_for_update=True)
            if r is None:
                raise StoreError(f"no article {article_id!r} in the ledger")
            r.title = title
            r.content_hash = content_hash
            r.edited = True
            r.updated_at = now
