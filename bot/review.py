"""Review policy: which deliveries wait for an editor, who is told, what a timeout does.

An account or a feed with ``review: required`` queues its deliveries as ``awaiting_review``
(the stricter of the two wins: a feed that requires review holds its articles on every
account, an account that requires it holds every feed's). An editor approves them
(:mod:`bot.desk`), which puts them back on the normal due path: the account's window,
spacing and daily cap still decide when they go. Each new item is announced on the
account's Slack-compatible ``webhook_url`` (the hand-off hook).

``review_timeout_hours`` (the feed's when it sets one, else the account's) bounds the wait:
``review_on_timeout: hold`` keeps the delivery waiting and records that its review is
overdue, ``approve`` approves it (``actor`` ``review-timeout``). Either happens once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from bot.config import Account, Feed, Settings

if TYPE_CHECKING:
    from bot.store import DeliveryRow, DeliveryStatus, Store

log = logging.getLogger("bot.review")


@dataclass(frozen=True)
class ReviewPolicy:
    required: bool
    timeout_hours: float | None
    on_timeout: Literal["hold", "approve"]


def policy_for(account: Account, feed: Feed | None) -> ReviewPolicy:
    """The review policy of ``account``'s deliveries from ``feed`` (None: posted by hand)."""
    required = account.review == "required" or (feed is not None and feed.review == "required")
    timeout = account.review_timeout_hours
    action = account.review_on_timeout
    if feed is not None:
        if feed.review_timeout_hours is not None:
            timeout = feed.review_timeout_hours
        if feed.review_on_timeout is not None:
            action = feed.review_on_timeout
    return ReviewPolicy(required=required, timeout_hours=timeout, on_timeout=action)


def initial_status(account: Account, feed: Feed | None) -> DeliveryStatus:
    """``awaiting_review`` when the policy requires a review, else ``pending``."""
    from bot.store import DeliveryStatus

    if policy_for(account, feed).required:
        return DeliveryStatus.AWAITING_REVIEW
    return DeliveryStatus.PENDING


def desk_link(settings: Settings, delivery_id: int) -> str | None:
    base = settings.web.public_url
    return f"{base.rstrip('/')}/d/{delivery_id}" if base else None


def announce(settings: Settings, account: Account, row: DeliveryRow) -> bool:
    """Tell the account's webhook that ``row`` waits for review (when it does); False when
    it does not, there is no hook or the hook failed (logged, never raised)."""
    from bot.adapters.webhook import send_webhook

    if row.status != "awaiting_review":
        return False
    hook = settings.creds(account.name).webhook_url
    url = hook.get_secret_value() if hook is not None else ""
    if not url:
        return False
    article = (row.payload or {}).get("article") or {}
    lines = [f"*Review needed* for account '{account.name}' ({account.platform}): "
             f"delivery {row.id}"]
    if article.get("title"):
        lines.append(f"*Title:* {article['title']}")
    if row.link:
        lines.append(f"*Link:* {row.link}")
    lines += ["```", row.text, "```", f"Approve: `bot approve {row.id}`"]
    if link := desk_link(settings, row.id):
        lines[-1] += f" or {link}"
    trouble = send_webhook(url, "\n".join(lines), timeout=settings.http.timeout_seconds)
    if trouble:
        log.warning("account %r: review webhook %s; the delivery still waits for review",
                    account.name, trouble, extra={"account": account.name})
        return False
    return True


def expire_reviews(settings: Settings, store: Store, *, now: datetime) -> int:
    """Apply each review timeout that has run out; returns how many."""
    accounts = {a.name: a for a in settings.accounts}
    feeds = {f.name: f for f in settings.feeds}
    hours = [h for h in [*(a.review_timeout_hours for a in settings.accounts),
                         *(f.review_timeout_hours for f in settings.feeds)] if h is not None]
    if not hours:
        return 0
    done = 0
    for row in store.awaiting_review(created_before=now - timedelta(hours=min(hours))):
        account = accounts.get(row.account)
        if account is None:
            continue  # an account no longer configured: an editor decides
        article = store.get_article(row.article_id)
        feed = feeds.get(article.feed) if article is not None and article.feed else None
        policy = policy_for(account, feed)
        if policy.timeout_hours is None:
            continue
        if row.created_at + timedelta(hours=policy.timeout_hours) > now:
            continue
        approve = policy.on_timeout == "approve"
        if store.review_timed_out(row.id, approve=approve, now=now):
            done += 1
            log.info("delivery %s: review timed out after %g h: %s", row.id,
                     policy.timeout_hours, "approved" if approve else "still held",
                     extra={"account": row.account, "delivery": row.id})
    return done

