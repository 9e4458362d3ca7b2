"""Work done by hand through the ledger: `bot post` live, and `bot retry`.

Both go through the same delivery rows as the daemon, so a post made by hand is never made
again by the daemon (or by a second `bot post`), and a retried delivery follows the same
claim → publish → settle path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.config import Account, Settings
from bot.dispatch import Outcome, deliver
from bot.errors import ConfigError
from bot.models import Article, Post
from bot.previews import decided
from bot.store import add_post_delivery, delivery_payload, make_owner, open_store, post_of

if TYPE_CHECKING:
    from bot.pipeline import Prepared
    from bot.store import Store


# --------------------------------------------------------------------------- by hand
def publish_by_hand(
    prepared: Prepared, settings: Settings, *, force: bool = False, store: Store | None = None
) -> list[Outcome]:
    """`bot post` live: one delivery per account through the ledger; skips what was sent."""
    live = [p for p in prepared.posts if not settings.is_dry_run(settings.account(p.account))]
    if not live:
        raise ConfigError(
            "no live account configured: every selected account is in dry run (no credentials); "
            "add credentials (README, 'Platform setup') or use --dry-run"
        )
    article = prepared.article
    if not article.url:
        raise ConfigError("a live post needs the article's link: pass --url")
    own = store is None
    store = store or open_store(settings)
    owner = make_owner()
    now = utcnow()
    try:
        existing = store.find_article(url=article.url)
        article_id = existing.id if existing else article.id
        if existing is None:
            store.add_article(
                id=article_id,
                feed=None,
                guid=None,
                url=article.url,
                title=article.title,
                content_hash=article.content_hash,
                published_at=article.published,
                payload={},
                now=now,
            )
        outcomes: list[Outcome] = []
        for post in prepared.posts:
            account = settings.account(post.account)
            outcomes.append(
                _by_hand_one(settings, store, account, post, article_id, owner, force, prepared)
            )
        return outcomes
    finally:
        if own:
            store.close()


def _by_hand_one(
    settings: Settings,
    store: Store,
    account: Account,
    post: Post,
    article_id: str,
    owner: str,
    force: bool,
    prepared: Prepared,
) -> Outcome:
    from bot.store import DeliveryStatus as S

    base = Outcome(account=account.name, platform=account.platform, status="")
    if settings.is_dry_run(account):
        base.status = "dry_run"
        return base
    now = utcnow()
    row = store.find_delivery(article_id, account.name)
    if row is not None and row.status in (S.SENT, S.AWAITING_HUMAN) and not force:
        waiting = row.status == S.AWAITING_HUMAN
        base.status = "awaiting_human" if waiting else "already_sent"
        base.url, base.delivery_id = row.remote_url, row.id
        return base
    lease = settings.scheduler.lease_seconds
    if row is None:
        row = add_post_delivery(store, article_id=article_id, account=account, post=post,
                                article=prepared.article, now=now)
        row = row or store.find_delivery(article_id, account.name)
        assert row is not None
        claimed = store.claim_specific(row.id, owner=owner, now=now, lease_seconds=lease)
    else:  # previewed, failed, queued …: re-opened and claimed at once (no daemon in between)
        claimed = store.reopen_and_claim(row.id, owner=owner, now=now, lease_seconds=lease,
                                         force=force, text=post.text,
                                         payload=delivery_payload(post, prepared.article))
    if claimed is None:
        base.status, base.delivery_id = "busy", row.id
        return base
    out = deliver(settings, store, account, claimed, owner=owner)
    if force and row.status in (S.SENT, S.AWAITING_HUMAN):
        out.earlier_url = row.remote_url  # also in the delivery's history (a `forced` event)
    return out


# --------------------------------------------------------------------------- by hand: retry
def requeue(settings: Settings, store: Store, delivery_id: int) -> str:
    """`bot retry ID`: queue a delivery again, rendering it afresh when it never had a post
    (its template failed at ingest and may be fixed now). Returns a one-line note."""
    row = store.get_delivery(delivery_id)
    if row is None:
        raise ConfigError(f"no delivery with id {delivery_id}")
    now = utcnow()
    keep = (row.payload or {}).get("rerender")
    if post_of(row) is None and keep:
        from bot.pipeline import prepare_article

        account = settings.account(row.account)
        article = Article.model_validate(keep)
        (post,) = prepare_article(article, settings, [account]).posts  # RenderError: exit 2
        store.retry(delivery_id, now=now, text=post.text, payload=delivery_payload(post, article))
        return f"delivery {delivery_id} rendered again and queued"
    if post_of(row) is None:
        raise ConfigError(
            f"delivery {delivery_id} has no post to send (the article could not be read); "
            "it cannot be retried"
        )
    store.retry(delivery_id, now=now, payload=decided(row.payload))
    return f"delivery {delivery_id} queued again"


# --------------------------------------------------------------------------- by hand: send
def send_now(settings: Settings, store: Store, delivery_id: int) -> Outcome:
    """`bot send ID`: send one delivery now from this process (a preview waiting for a
    decision, a failed, dead, skipped or queued one), whatever the account's window,
    spacing or cap — as `bot post` does. One attempt: a failure is left to the daemon's
    retries or to another `bot send`."""
    from bot.store import DeliveryStatus as S

    row = store.get_delivery(delivery_id)
    if row is None:
        raise ConfigError(f"no delivery with id {delivery_id}")
    account = settings.account(row.account)
    if not account.enabled:
        raise ConfigError(f"account {account.name!r} is disabled (enabled: false)")
    if settings.is_dry_run(account):
        raise ConfigError(
            f"account {account.name!r} is in dry run: add its credentials (README, 'Platform "
            f"setup') before sending delivery {delivery_id}")
    if row.status in (S.SENT, S.AWAITING_HUMAN):
        raise ConfigError(f"delivery {delivery_id} is already {row.status}; "
                          "`bot post ARTICLE --force` posts it again on purpose")
    if row.status == S.SENDING:
        raise ConfigError(f"delivery {delivery_id} is being sent right now")
    if post_of(row) is None:  # its template failed at ingest: render it again first
        requeue(settings, store, delivery_id)
    owner = make_owner()
    claimed = store.reopen_and_claim(delivery_id, owner=owner, now=utcnow(),
                                     lease_seconds=settings.scheduler.lease_seconds,
                                     payload=decided(row.payload))
    if claimed is None:
        return Outcome(account=account.name, platform=account.platform, status="busy",
                       delivery_id=delivery_id)
    return deliver(settings, store, account, claimed, owner=owner)
