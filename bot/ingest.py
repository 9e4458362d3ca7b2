"""Feeds in, deliveries recorded: the ingest half of the pipeline.

A poll reads one feed, decides for each item whether it is new, already known (by GUID,
then link, then content hash), edited after it was seen, filtered out or too old, and
queues one delivery per routed account for each article worth posting. The first poll of
a feed only records what is already there (unless a backfill asks for the newest N).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.config import Account, Feed, Settings
from bot.dispatch import utcnow
from bot.errors import BotError, ConfigError
from bot.models import Article

log = logging.getLogger("bot.ingest")

if TYPE_CHECKING:
    from bot.store import Store


@dataclass
class IngestReport:
    """What one poll of one feed did."""

    feed: str
    status: str = "ok"
    """ok, not_modified, error, skipped (another replica holds this poll)"""
    seen: int = 0
    new: int = 0
    queued: int = 0
    recorded_only: int = 0
    duplicates: int = 0
    filtered: int = 0
    too_old: int = 0
    edited: int = 0
    failed: int = 0
    deliveries: int = 0
    error: str | None = None
    warning: str | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- ingest
_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(settings: Settings) -> Any:
    """One pooled HTTP client per HTTP configuration, shared by every poll of this process."""
    from bot.sources.feeds import shared_client

    h = settings.http
    key = (h.timeout_seconds, h.max_redirects, h.user_agent, h.concurrency, h.max_bytes)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = shared_client(h, h.concurrency)
        return _CLIENTS[key]
def routed_accounts(settings: Settings, feed: Feed) -> list[Account]:
    names = feed.accounts
    return [a for a in settings.accounts if a.enabled and (names is None or a.name in names)]


def poll_feed(
    settings: Settings,
    store: Store,
    feed: Feed,
    *,
    owner: str,
    backfill: int | None = None,
    now: datetime | None = None,
    force: bool = False,
    client: Any = None,
) -> IngestReport:
    """Poll one feed (once per interval across replicas) and queue deliveries for new items."""
    from bot.sources.feeds import poll_feed as fetch_feed

    now = now or utcnow()
    report = IngestReport(feed=feed.name)
    hold = max(1.0, feed.interval_seconds * 0.8)
    if not force and not store.claim_feed_poll(
        feed.name, feed.url, owner=owner, now=now, hold_seconds=hold
    ):
        report.status = "skipped"
        return report
    state = store.get_feed(feed.name)
    first_run = state is None or not state.initialized
    result = fetch_feed(
        feed,
        settings.http,
        etag=None if (state is None or backfill) else state.etag,
        last_modified=None if (state is None or backfill) else state.last_modified,
        client=client if client is not None else _client(settings),
    )
    report.warning = result.warning
    if result.status == "error":
        report.status, report.error = "error", result.error
        store.save_feed_check(feed.name, feed.url, checked_at=now, ok=False, error=result.error)
        log.warning("feed %s: %s", feed.name, result.error, extra={"feed": feed.name})
        return report
    if result.status == "not_modified":
        report.status = "not_modified"
        store.save_feed_check(feed.name, feed.url, checked_at=now, ok=True)
        return report
    n_backfill = feed.backfill if backfill is None else backfill
    _ingest_items(
        settings,
        store,
        feed,
        result.items,
        report,
        first_run=first_run,
        backfill=n_backfill if (first_run or backfill is not None) else 0,
        now=now,
    )
    store.save_feed_check(
        feed.name,
        feed.url,
        checked_at=now,
        ok=True,
        etag=result.etag,
        last_modified=result.last_modified,
        initialized=True,
    )
    if first_run:
        log.info(
            "feed %s: first run, recorded %d existing items, queued %d (backfill %d)",
            feed.name,
            report.recorded_only,
            report.queued,
            n_backfill,
            extra={"feed": feed.name},
        )
    elif report.queued:
        log.info(
            "feed %s: %d new articles queued", feed.name, report.queued, extra={"feed": feed.name}
        )
    return report


def _article_key(item: Any) -> str:
    if item.link:
        return str(item.link)
    if item.guid:
        return f"guid:{item.guid}"
    return f"sha256:{item.content_hash[:32]}"


def _ingest_items(
    settings: Settings,
    store: Store,
    feed: Feed,
    items: list[Any],
    report: IngestReport,
    *,
    first_run: bool,
    backfill: int,
    now: datetime,
) -> None:
    from bot.sources.feeds import item_matches, too_old

    report.seen = len(items)
    newest = sorted(
        items, key=lambda i: i.published or datetime.min.replace(tzinfo=UTC), reverse=True
    )
    backfill_keys = {_article_key(i) for i in newest[:backfill]} if backfill else set()
    for item in items:
        key = _article_key(item)
        existing = (
            (item.guid and store.find_article(guid=item.guid))
            or (item.link and store.find_article(url=item.link))
            or store.find_article(content_hash=item.content_hash)
        )
        if existing:
            report.duplicates += 1
            if existing.content_hash != item.content_hash or existing.title != item.title:
                if not existing.edited:
                    log.info(
                        "feed %s: %r changed after it was first seen; not posting again",
                        feed.name,
                        item.title,
                        extra={"feed": feed.name},
                    )
                store.mark_article_edited(
                    existing.id, title=item.title, content_hash=item.content_hash, now=now
                )
                report.edited += 1
            if key in backfill_keys and not first_run:
                _queue(settings, store, feed, item, existing.id, report, now)
            continue
        report.new += 1
        store.add_article(
            id=key,
            feed=feed.name,
            guid=item.guid,
            url=item.link,
            title=item.title,
            content_hash=item.content_hash,
            published_at=item.published,
            payload={},
            now=now,
        )
        if first_run and key not in backfill_keys:
            report.recorded_only += 1
            continue
        reason = item_matches(feed, item)
        if reason:
            report.filtered += 1
            log.info(
                "feed %s: skipping %r: %s", feed.name, item.title, reason, extra={"feed": feed.name}
            )
            continue
        if too_old(feed, item, now):
            report.too_old += 1
            continue
        _queue(settings, store, feed, item, key, report, now)


def _queue(
    settings: Settings,
    store: Store,
    feed: Feed,
    item: Any,
    article_id: str,
    report: IngestReport,
    now: datetime,
) -> None:
    """Extract, render and record one delivery per routed account."""
    from bot.extract.feeditem import article_from_item
    from bot.pipeline import prepare_article

    accounts = routed_accounts(settings, feed)
    if not accounts:
        return
    try:
        article = article_from_item(item, feed, settings)
        prepared = prepare_article(article, settings, accounts)
    except ConfigError:
        raise
    except BotError as exc:
        report.failed += 1
        report.notes.append(f"{item.title}: {exc}")
        log.error(
            "feed %s: cannot prepare %r: %s", feed.name, item.title, exc, extra={"feed": feed.name}
        )
        for acc in accounts:
            row = store.add_delivery(
                article_id=article_id,
                account=acc.name,
                platform=acc.platform,
                text="",
                link=item.link,
                payload={"error": str(exc)},
                next_attempt_at=now,
                now=now,
            )
            if row is not None:
                store.mark_dead(row.id, error=f"could not prepare the post: {exc}", now=now)
        return
    report.queued += 1
    for post in prepared.posts:
        acc = settings.account(post.account)
        row = store.add_delivery(
            article_id=article_id,
            account=acc.name,
            platform=acc.platform,
            text=post.text,
            link=post.link,
            payload={"post": post.model_dump(mode="json"), "article": _article_payload(article)},
            next_attempt_at=now,
            now=now,
        )
        if row is not None:
            report.deliveries += 1


def _article_payload(article: Article) -> dict[str, Any]:
    return article.model_dump(mode="json", exclude={"text"})
