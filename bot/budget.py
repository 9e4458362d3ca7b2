"""What the platforms cost, and the monthly budget that caps it (``budget_usd_per_month``).

Every post X accepts is recorded with its price (:func:`post_spend`, written with
``mark_sent``), and every look-up with the posts it read (:func:`record_reads`). Before a
post is sent, :func:`hold_if_over` compares this month's spend (UTC calendar month), the
posts in flight and the post's own price with the account's budget: a post that would
exceed it goes ``over_budget`` (a warning in the log, a message to the account's
``webhook_url`` when it is the first one waiting) and nothing is sent or read for it.
:func:`release_fitting`, run before every claim, puts held posts back in the queue, oldest
first, as far as the budget allows: at the next month's start, or once the budget is raised.

Reads are never held: a look-up before a resend is what keeps a post from going out twice,
so its reads count in the spend but a budget never stops one halfway.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.adapters.pricing import dollars, micros, post_cost, prices_for, read_cost
from bot.config import Account, Settings
from bot.errors import StoreError
from bot.models import Post
from bot.store import DUE_STATUSES, Cost, DeliveryStatus, post_of

if TYPE_CHECKING:
    from bot.adapters.base import Adapter, PublishResult
    from bot.store import DeliveryRow, Store

log = logging.getLogger("bot.budget")

S = DeliveryStatus


def month_start(now: datetime) -> datetime:
    """The start of ``now``'s calendar month in UTC (budgets and reports count from it)."""
    t = now.astimezone(UTC)
    return datetime(t.year, t.month, 1, tzinfo=UTC)


def next_month(now: datetime) -> datetime:
    t = month_start(now)
    return datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=UTC)


def post_spend(account: Account, post: Post, result: PublishResult | None = None, *,
               once: bool = False) -> Cost | None:
    """What a post that went out cost (its thread: as far as it got), or None when the
    platform does not bill. ``once``: a post found on the platform, paid for once."""
    if prices_for(account) is None:
        return None
    # found on the platform (no result): the head is certain, a thread is not
    made = 1 if result is None else len(result.thread_ids) or 1 + len(post.thread)
    return Cost(micro_usd=post_cost(account, post, made=made), units=made, once=once)


def record_reads(store: Store, account: Account, adapter: Adapter | None,
                 delivery_id: int | None, now: datetime) -> None:
    """Record what the adapter's look-ups read since the last call (X bills each post)."""
    if adapter is None or adapter.posts_read <= 0:
        return
    n, adapter.posts_read = adapter.posts_read, 0  # counted once
    cost = read_cost(account, n)
    if cost:
        try:
            store.record_spend(account.name, Cost(micro_usd=cost, units=n, kind="read"),
                               now=now, delivery_id=delivery_id)
        except StoreError as exc:  # the outcome of the delivery matters more
            log.error("%s: could not record the cost of %d posts read: %s", account.name, n,
                      exc, extra={"account": account.name})
            return
        log.info("%s: a look-up read %d posts (%s)", account.name, n, dollars(cost),
                 extra={"account": account.name, "delivery": delivery_id, "posts_read": n})


def found_spend(account: Account, row: DeliveryRow) -> Cost | None:
    """The cost of ``row``'s post, found on the platform after a crash (paid for once)."""
    post = post_of(row)
    return post_spend(account, post, once=True) if post is not None else None


def _row_cost(account: Account, row: DeliveryRow) -> int:
    post = post_of(row)
    return post_cost(account, post) if post is not None else 0


def hold_if_over(settings: Settings, store: Store, account: Account, row: DeliveryRow,
                 post: Post, *, owner: str, now: datetime) -> str | None:
    """Hold the claimed ``row`` as ``over_budget`` when sending it would exceed the account's
    budget this month; returns the reason (None: it may go)."""
    budget = account.budget_usd_per_month
    if budget is None or prices_for(account) is None or settings.is_dry_run(account):
        return None
    cost = post_cost(account, post)
    spent = store.spend_since(account.name, month_start(now))
    in_flight = sum(_row_cost(account, r) for r in store.list_deliveries(
        status=S.SENDING, account=account.name, limit=1000) if r.id != row.id)
    limit = micros(budget)
    if spent + in_flight + cost <= limit:
        return None
    first = not store.list_deliveries(status=S.OVER_BUDGET, account=account.name, limit=1)
    store.hold_over_budget(row.id, now=now, owner=owner, cost_usd=cost / 1e6,
                           spent_usd=spent / 1e6, in_flight_usd=in_flight / 1e6,
                           budget_usd=budget)
    resume = next_month(now).date().isoformat()
    reason = (f"over budget: this post costs {dollars(cost)}, {dollars(spent)} of "
              f"{dollars(limit)} is spent this month (UTC)"
              + (f" and {dollars(in_flight)} is being sent" if in_flight else "")
              + f"; it waits until {resume} or a higher budget_usd_per_month")
    log.warning("%s: %s (delivery %s)", account.name, reason, row.id,
                extra={"account": account.name, "delivery": row.id, "article": row.article_id})
    if first:
        _notify(settings, account, row, reason)
    return reason


def _notify(settings: Settings, account: Account, row: DeliveryRow, reason: str) -> None:
    from bot.adapters.webhook import send_webhook

    secret = settings.creds(account.name).webhook_url
    url = secret.get_secret_value() if secret is not None else ""
    if not url:
        return
    text = (f"*{account.platform} account '{account.name}' reached its monthly budget*\n"
            f"{reason}.\nWaiting posts: `bot status` (status over_budget); the first is "
            f"delivery {row.id} ({row.link or row.article_id}).")
    trouble = send_webhook(url, text, timeout=settings.http.timeout_seconds)
    if trouble:
        log.warning("%s: budget webhook %s", account.name, trouble,
                    extra={"account": account.name})


def release_fitting(settings: Settings, store: Store, account: Account, *,
                    now: datetime, actor: str | None = None) -> int:
    """Put held posts back in the queue as far as this month's budget allows, walking the
    queue in its order (a held post keeps its place): the posts due before a held one spend
    the room first. All of them when the account has no budget any more. Returns how many."""
    if prices_for(account) is None:
        return 0
    held = store.list_deliveries(status=S.OVER_BUDGET, account=account.name, limit=10_000)
    if not held:
        return 0
    budget = account.budget_usd_per_month
    if budget is None:
        chosen = [r.id for r in held]
    else:
        room = micros(budget) - store.spend_since(account.name, month_start(now))
        due = store.list_deliveries(status=list(DUE_STATUSES), account=account.name,
                                    limit=10_000)
        chosen = []
        for r in sorted([*held, *due], key=lambda r: (r.next_attempt_at, r.id)):
            room -= _row_cost(account, r)
            if room < 0:
                break
            if r.status == S.OVER_BUDGET:
                chosen.append(r.id)
    n = store.release_over_budget(chosen, now=now, actor=actor)
    if n:
        log.info("%s: the budget allows %d held post(s) again (%d still wait)", account.name,
                 n, len(held) - n, extra={"account": account.name})
    return n
