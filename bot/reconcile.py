"""Settle deliveries a crash left in ``sending``: ask the platform before anything is resent.

A delivery is committed as ``sending`` (with an owner and a lease) before the platform call.
If the process dies before the result is committed, the row stays ``sending`` until its lease
runs out; then :func:`reconcile` takes it over and asks the platform whether the post exists:
found → ``sent`` with its id; not found → back to the queue; cannot tell → back to the queue
with a backoff (the retry looks again before it sends, see :func:`bot.dispatch.deliver`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.clock import utcnow
from bot.config import Settings
from bot.errors import AuthError, BotError, ConfigError
from bot.policy import backoff_delay, lookup_since

if TYPE_CHECKING:
    from bot.adapters.base import PublishResult
    from bot.store import DeliveryRow, Store

log = logging.getLogger("bot.dispatch")


def reconcile(settings: Settings, store: Store, *, owner: str, now: datetime | None = None) -> int:
    """Settle deliveries left in ``sending`` by a crash: ask the platform before any retry.
    Returns how many were settled (sent, back in the queue, or uncertain for a human)."""
    now = now or utcnow()
    settled = 0
    for stale in store.stale_sending(now=now):
        row = store.take_over_stale(
            stale.id, owner=owner, now=now, lease_seconds=settings.scheduler.lease_seconds
        )
        if row is not None and _settle(settings, store, row, owner=owner, now=now):
            settled += 1
    return settled


def _look(settings: Settings, store: Store, row: DeliveryRow, now: datetime
          ) -> PublishResult | None:
    """The post of ``row`` on its platform (None: not there). Raises when it cannot tell."""
    from bot.adapters.auth import keep_refreshed
    from bot.adapters.registry import get_adapter
    from bot.budget import record_reads

    account = settings.account(row.account)  # ConfigError: no longer configured
    with get_adapter(account, settings) as adapter:
        try:
            if not row.link:
                return None
            since = lookup_since(store.first_claim_at(row.id), row.created_at,
                                 settings.scheduler)
            return adapter.find_existing(row.link, since=since)
        finally:
            keep_refreshed(settings, account.name, adapter)
            record_reads(store, account, adapter, row.id, now)  # X bills each post read


def _settle(settings: Settings, store: Store, row: DeliveryRow, *, owner: str,
            now: datetime) -> bool:
    """Settle one taken-over delivery; False when the platform cannot tell yet."""
    extra = {"account": row.account, "delivery": row.id}
    try:
        found = _look(settings, store, row, now)
    except ConfigError:
        store.mark_uncertain(row.id, error="account no longer configured", now=now, owner=owner)
        return False
    except AuthError as exc:
        store.mark_uncertain(row.id, error=f"crashed while sending; platform check failed: {exc}",
                             now=now, owner=owner)
        log.warning("delivery %s: left uncertain (%s); a human must check", row.id, exc,
                    extra=extra)
        return True
    except BotError as exc:
        # Cannot tell yet. Hand it back to the dispatcher with a backoff: a retry looks on
        # the platform before it sends (deliver), and one that still cannot tell after
        # max_attempts is left uncertain for a human.
        store.mark_retry(
            row.id,
            error=f"crashed while sending; cannot check the platform yet: {exc}",
            next_attempt_at=now + timedelta(
                seconds=backoff_delay(row.attempts, settings.scheduler)),
            now=now,
            owner=owner,
        )
        log.warning("delivery %s: cannot check the platform yet (%s); it will look again "
                    "before sending", row.id, exc, extra=extra)
        return False
    if found is not None:
        from bot.budget import found_spend

        store.mark_sent(row.id, remote_id=found.remote_id, remote_url=found.url, now=now,
                        owner=owner, cost=found_spend(settings.account(row.account), row))
        log.info("delivery %s: found on the platform after a crash; recorded as sent", row.id,
                 extra=extra)
    else:
        store.release(row.id, next_attempt_at=now, now=now, owner=owner,
                      error="crashed while sending; not on the platform, will retry")
        log.info("delivery %s: not on the platform after a crash; will retry", row.id,
                 extra=extra)
    return True
