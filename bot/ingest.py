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

from bot import review
from bot.clock import utcnow
from bot.config import Account, Feed, Settings, mask_url
from bot.errors import BotError
from bot.failpoints import failpoint
from bot.models import Article, Post
from bot.previews import queue_marks

log = logging.getLogger("bot.ingest")

if TYPE_CHECKING:
    from bot.store import ArticleRow, Store

QUEUE_FOR = "queue_for"
"""Article payload key: the accounts a new article is owed a delivery to."""


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
    resumed: int = 0
    """Articles recorded by an interrupted poll whose missing deliveries were queued now."""
    deliveries: int = 0
    error: str | None = None
    warning: str | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- ingest
_CLIENTS: dict[tuple[Any, ...], Any] = {}
_CLIENTS_LOCK = threading.Lock()


def _client(settings: Settings) -> Any:
    """One pooled HTTP client per HTTP configuration, shared by every poll of this process
    until :func:`close_clients`."""
    from bot.sources.feeds import shared_client

    h = settings.http
    key = (h.timeout_seconds, h.max_redirects, h.user_agent, h.concurrency, h.max_bytes)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _CLIENTS[key] = shared_client(h, h.concurrency)
        return _CLIENTS[key]


def close_clients() -> None:
    """Close the shared feed clients (at shutdown); a later poll opens a new one."""
    with _CLIENTS_LOCK:
        clients = list(_CLIENTS.values())
        _CLIENTS.clear()
    for client in clients:
        client.close()


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
        feed.name, mask_url(feed.url), owner=owner, now=now, hold_seconds=hold
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
        store.save_feed_check(
            feed.name, mask_url(feed.url), checked_at=now, ok=False, error=result.error
        )
        log.warning("feed %s: %s", feed.name, result.error, extra={"feed": feed.name})
        return report
    if result.status == "not_modified":
        report.status = "not_modified"
        store.save_feed_check(feed.name, mask_url(feed.url), checked_at=now, ok=True)
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
        mask_url(feed.url),
        checked_at=now,
        ok=True,
        etag=result.etag,
        last_modified=result.last_modified,
        initialized=True,
    )
    if first_run:
        old = (f", {report.too_old} older than max_age_hours {feed.max_age_hours:g} never posted"
               if report.too_old else "")
        log.info(
            "feed %s: first run, recorded %d existing items, queued %d (backfill %d)%s",
            feed.name,
            report.recorded_only,
            report.queued,
            n_backfill,
            old,
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
            _seen_again(settings, store, feed, item, existing, report, now,
                        backfill=key in backfill_keys and not first_run)
        else:
            _first_seen(settings, store, feed, item, key, report, now,
                        record_only=first_run and key not in backfill_keys)


def _seen_again(
    settings: Settings,
    store: Store,
    feed: Feed,
    item: Any,
    existing: ArticleRow,
    report: IngestReport,
    now: datetime,
    *,
    backfill: bool,
) -> None:
    """An item already in the ledger: note an edit (never posted again); queue what a
    backfill asks for, or what an interrupted poll left unqueued."""
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
    if backfill:
        lacking = [a for a in routed_accounts(settings, feed)
                   if store.find_delivery(existing.id, a.name) is None]
        if lacking:
            _queue(settings, store, feed, item, existing.id, report, now, accounts=lacking)
    elif existing.payload.get(QUEUE_FOR):
        _resume(settings, store, feed, item, existing, report, now)


def _first_seen(
    settings: Settings,
    store: Store,
    feed: Feed,
    item: Any,
    key: str,
    report: IngestReport,
    now: datetime,
    *,
    record_only: bool,
) -> None:
    """A new item: record it, then queue its deliveries unless it is only recorded (first
    run), filtered out or too old."""
    from bot.sources.feeds import item_matches, too_old

    report.new += 1
    # Decide before recording: the article row then says which accounts it is owed to,
    # so a crash between it and its deliveries is repaired by the next poll (_resume).
    skip, reason = "", None
    if record_only:
        skip = "recorded_only"
    elif reason := item_matches(feed, item):
        skip = "filtered"
    elif too_old(feed, item, now):
        skip = "too_old"
    owed = [] if skip else [a.name for a in routed_accounts(settings, feed)]
    store.add_article(
        id=key,
        feed=feed.name,
        guid=item.guid,
        url=item.link,
        title=item.title,
        content_hash=item.content_hash,
        published_at=item.published,
        payload={QUEUE_FOR: owed} if owed else {},
        now=now,
    )
    failpoint("after_article")  # fault tests only (bot/failpoints.py)
    if skip == "recorded_only":
        report.recorded_only += 1
    elif skip == "filtered":
        report.filtered += 1
        log.info(
            "feed %s: skipping %r: %s", feed.name, item.title, reason, extra={"feed": feed.name}
        )
    elif skip == "too_old":
        report.too_old += 1
    else:
        _queue(settings, store, feed, item, key, report, now)


def _resume(
    settings: Settings,
    store: Store,
    feed: Feed,
    item: Any,
    existing: ArticleRow,
    report: IngestReport,
    now: datetime,
) -> None:
    """Queue the deliveries an article is owed but lacks (the poll that recorded it died
    before queueing them all). Only accounts named when it was first seen, still routed."""
    owed = set(existing.payload.get(QUEUE_FOR) or [])
    missing = [
        a
        for a in routed_accounts(settings, feed)
        if a.name in owed and store.find_delivery(existing.id, a.name) is None
    ]
    if not missing:
        return
    log.warning(
        "feed %s: %r was recorded but not queued for %s (interrupted poll); queueing it now",
        feed.name,
        item.title,
        ", ".join(a.name for a in missing),
        extra={"feed": feed.name},
    )
    report.resumed += 1
    _queue(settings, store, feed, item, existing.id, report, now, accounts=missing)


def _queue(
    settings: Settings,
    store: Store,
    feed: Feed,
    item: Any,
    article_id: str,
    report: IngestReport,
    now: datetime,
    *,
    accounts: list[Account] | None = None,
) -> None:
    """Extract, render and record one delivery per routed account (or per ``accounts``).

    The article is already in the ledger, so nothing here may raise for it: an item that
    cannot be extracted or rendered (even a template broken for every article, a
    ConfigError) leaves one dead delivery per account with the one-line reason, in
    ``bot status``. A template that fails for one account does not spoil the others.
    """
    from bot.extract.feeditem import article_from_item
    from bot.pipeline import prepare_article
    from bot.store import add_post_delivery

    if accounts is None:
        accounts = routed_accounts(settings, feed)
    if not accounts:
        return
    try:
        article = article_from_item(item, feed, settings)
    except BotError as exc:
        _dead(store, feed, item, article_id, [(a, exc) for a in accounts], report, now)
        return
    posts: list[Post] = []
    broken: list[tuple[Account, BotError]] = []
    try:
        posts = prepare_article(article, settings, accounts).posts
    except BotError:
        for acc in accounts:  # find the account(s) at fault; render the others alone
            try:
                posts += prepare_article(article, settings, [acc]).posts
            except BotError as exc:
                broken.append((acc, exc))
    if broken:
        _dead(store, feed, item, article_id, broken, report, now, article=article)
    if not posts:
        return
    added = 0
    for post in posts:
        acc = settings.account(post.account)
        row = add_post_delivery(store, article_id=article_id, account=acc, post=post,
                                article=article, now=now,
                                status=review.initial_status(acc, feed),
                                marks=queue_marks(dry_run=settings.is_dry_run(acc)))
        if row is not None:
            added += 1
            review.announce(settings, acc, row)
    report.deliveries += added
    if added:
        report.queued += 1


def _dead(
    store: Store,
    feed: Feed,
    item: Any,
    article_id: str,
    failures: list[tuple[Account, BotError]],
    report: IngestReport,
    now: datetime,
    *,
    article: Article | None = None,
) -> None:
    """Record a dead delivery with its one-line reason for each (account, error).

    When the article itself was read (only rendering failed, e.g. a broken template), it is
    kept in the payload so that `bot retry` can render it again once the cause is fixed.
    """
    report.failed += 1
    for text in dict.fromkeys(str(exc) for _, exc in failures):
        report.notes.append(f"{item.title}: {text}")
        log.error(
            "feed %s: cannot prepare %r: %s", feed.name, item.title, text, extra={"feed": feed.name}
        )
    for acc, exc in failures:
        row = store.add_delivery(
            article_id=article_id,
            account=acc.name,
            platform=acc.platform,
            text="",
            link=item.link,
            payload={"error": str(exc)}
            | ({"rerender": article.model_dump(mode="json")} if article is not None else {}),
            next_attempt_at=now,
            now=now,
        )
        if row is not None:
            store.mark_dead(row.id, error=f"could not prepare the post: {exc}", now=now)
