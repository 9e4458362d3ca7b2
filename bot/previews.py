"""Going live: what an account only previewed in dry run waits for a decision.

A dry run records each delivery as ``previewed`` (rendered, nothing sent). When the account
gets its credentials (it becomes live), nothing it only previewed is sent by itself — it is
handled like a feed's first run, not blasted out:

* ``previewed`` deliveries stay previewed; ``bot status`` lists them as waiting for a
  decision: ``bot send ID`` posts one now, ``bot retry ID`` queues it (the daemon sends it at
  the account's next slot), ``bot skip ID`` drops it. The daemon skips those whose article is
  older than its feed's ``max_age_hours`` (:func:`expire_previews`; both sweeps:
  :func:`settle_previews`).
* Deliveries queued while the account was in dry run but not dispatched before it went live
  (a window, spacing or a cap held them, or no daemon ran) carry a mark from ingest
  (:func:`queue_marks`); the daemon's sweep holds them as previewed (:func:`hold_queued`,
  at start and then every reconcile interval), and should a dispatcher claim one first,
  :func:`hold_before_live` holds it instead of sending it.
* A bundled sample article (the demo feed) is never sent live, whatever the configuration.

Deliveries queued while the account is live are sent as usual, and ``bot post ARTICLE``
posts live whatever was previewed before.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import Account, Feed, Settings
from bot.demo import SAMPLE_REFUSED, is_sample_link

if TYPE_CHECKING:
    from bot.models import Post
    from bot.store import DeliveryRow, Store

log = logging.getLogger("bot.previews")

QUEUED_IN_DRY_RUN = "queued_in_dry_run"
"""Delivery payload key: the account was in dry run when this delivery was queued."""
HELD = "queued while the account was in dry run: waiting for a decision"
DEFAULT_MAX_AGE_HOURS = float(Feed.model_fields["max_age_hours"].default)
"""For a previewed article whose feed is no longer configured."""


def queue_marks(*, dry_run: bool) -> dict[str, Any]:
    """What a new delivery's payload keeps beside its post: a mark when its account is in
    dry run."""
    return {QUEUED_IN_DRY_RUN: True} if dry_run else {}


def decided(payload: dict[str, Any]) -> dict[str, Any] | None:
    """The payload without the dry-run mark once a human asked to send it (None: no mark)."""
    if not payload.get(QUEUED_IN_DRY_RUN):
        return None
    return {k: v for k, v in payload.items() if k != QUEUED_IN_DRY_RUN}


def hold_before_live(
    settings: Settings, store: Store, account: Account, row: DeliveryRow, post: Post, *,
    owner: str, now: datetime,
) -> tuple[str, str] | None:
    """Before a claimed delivery is sent live: ``(outcome status, reason)`` when it must not be
    sent (the row is settled here), None when it may go.

    A sample article is refused for good (dead: it shows in ``bot status``). A delivery
    queued while the account was in dry run is held as previewed, waiting for a decision.
    """
    if settings.is_dry_run(account):
        return None
    extra = {"account": account.name, "delivery": row.id, "article": row.article_id}
    if is_sample_link(post.link or row.link):
        store.mark_dead(row.id, error=SAMPLE_REFUSED, now=now, owner=owner)
        log.error("%s: delivery %s not sent: %s", account.name, row.id, SAMPLE_REFUSED,
                  extra=extra)
        return "dead", SAMPLE_REFUSED
    if row.payload.get(QUEUED_IN_DRY_RUN):
        store.mark_previewed(row.id, now=now, owner=owner, reason=HELD)
        log.info("%s: delivery %s was queued while the account was in dry run; it waits for "
                 "a decision: `bot send %s` posts it, `bot skip %s` drops it", account.name,
                 row.id, row.id, row.id, extra=extra)
        return "held", HELD
    return None


# --------------------------------------------------------------------------- waiting previews
@dataclass(frozen=True)
class Waiting:
    """A previewed delivery of a live account, waiting for a decision."""

    row: DeliveryRow
    title: str
    expires_at: datetime | None
    """When the daemon skips it (its article older than the feed's max age)."""
    sample: bool


def _live(settings: Settings) -> list[Account]:
    return [a for a in settings.accounts if a.enabled and not settings.is_dry_run(a)]


def max_age_hours(settings: Settings, feed: str | None) -> float:
    for f in settings.feeds:
        if f.name == feed:
            return f.max_age_hours
    return DEFAULT_MAX_AGE_HOURS


def waiting_for_decision(settings: Settings, store: Store, *, limit: int = 10_000
                         ) -> list[Waiting]:
    """Previewed deliveries of every enabled live account, oldest article first."""
    from bot.store import DeliveryStatus

    rows = [row for account in _live(settings)
            for row in store.list_deliveries(status=DeliveryStatus.PREVIEWED,
                                             account=account.name, limit=limit)]
    articles = store.get_articles([r.article_id for r in rows])
    out: list[Waiting] = []
    for row in rows:
        article = articles.get(row.article_id)
        born = (article.published_at or article.first_seen_at) if article else None
        hours = max_age_hours(settings, article.feed if article else None)
        out.append(Waiting(
            row=row, title=article.title if article else row.article_id,
            expires_at=born + timedelta(hours=hours) if born else None,
            sample=is_sample_link(row.link),
        ))
    out.sort(key=lambda w: (w.expires_at is None, w.expires_at or w.row.created_at, w.row.id))
    return out


_SAID: dict[str, int] = {}
_SAID_LOCK = threading.Lock()


def settle_previews(settings: Settings, store: Store, *, now: datetime,
                    actor: str | None = None) -> tuple[int, int]:
    """The daemon's sweep for live accounts (at start, then with reconcile): hold what was
    queued in dry run and not sent yet, skip previews past their feed's max age (and sample
    articles), and log once per change how many wait. Returns (held, skipped)."""
    held = hold_queued(settings, store, now=now, actor=actor)
    return held, expire_previews(settings, store, now=now, actor=actor)


def hold_queued(settings: Settings, store: Store, *, now: datetime,
                actor: str | None = None) -> int:
    """Deliveries queued while their account was in dry run and still waiting to be sent:
    previewed now that the account is live, before a dispatcher's turn comes (a claim would
    also count against the account's spacing). Returns how many were held."""
    from bot.store import DUE_STATUSES

    held = 0
    for account in _live(settings):
        for row in store.list_deliveries(status=DUE_STATUSES, account=account.name,
                                         limit=100_000):
            if row.payload.get(QUEUED_IN_DRY_RUN) and store.hold_for_decision(
                    row.id, now=now, reason=HELD, actor=actor):
                held += 1
    if held:
        log.info("held %d deliveries queued while their account was in dry run: they wait for "
                 "a decision (`bot status`)", held)
    return held


def expire_previews(settings: Settings, store: Store, *, now: datetime,
                    actor: str | None = None) -> int:
    """Skip the previews of live accounts whose article is past its feed's max age (and the
    sample articles); log once per change how many still wait. Returns how many it skipped."""
    skipped = 0
    left: dict[str, int] = {a.name: 0 for a in _live(settings)}
    for w in waiting_for_decision(settings, store):
        reason = None
        if w.sample:
            reason = SAMPLE_REFUSED
        elif w.expires_at is not None and w.expires_at <= now:
            reason = ("previewed in dry run; its article is older than the feed's "
                      "max_age_hours now that the account is live")
        if reason is None:
            left[w.row.account] = left.get(w.row.account, 0) + 1
            continue
        if store.expire_preview(w.row.id, now=now, reason=reason, actor=actor):
            skipped += 1
            log.info("%s: skipped delivery %s (%s): %s", w.row.account, w.row.id, w.title,
                     reason, extra={"account": w.row.account, "delivery": w.row.id})
    for name, n in left.items():
        with _SAID_LOCK:
            changed = _SAID.get(name) != n
            _SAID[name] = n
        if changed and n:
            log.warning("%s: %d deliveries previewed in dry run wait for a decision (the account "
                        "is live now): `bot status` lists them, `bot send ID` posts one, "
                        "`bot skip ID` drops it", name, n, extra={"account": name})
    return skipped
