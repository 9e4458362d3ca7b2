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

from bot.config import Settings
from bot.dispatch import _backoff, utcnow
from bot.errors import AuthError, BotError, ConfigError, PublishError

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("bot.dispatch")


def reconcile(settings: Settings, store: Store, *, owner: str, now: datetime | None = None) -> int:
    """Settle deliveries left in ``sending`` by a crash: ask the platform before any retry."""
    from bot.adapters.registry import get_adapter
    from bot.budget import found_spend, look_up

    now = now or utcnow()
    settled = 0
    for stale in store.stale_sending(now=now):
        row = store.take_over_stale(
            stale.id, owner=owner, now=now, lease_seconds=settings.scheduler.lease_seconds
        )
        if row is None:
            continue
        extra = {"account": row.account, "delivery": row.id}
        try:
            account = settings.account(row.account)
            adapter = get_adapter(account, settings)
            found = look_up(store, account, adapter, row, row.created_at, now)  # reads billed
        except ConfigError:
            store.mark_uncertain(row.id, error="account no longer configured", now=now, owner=owner)
            continue
        except (PublishError, BotError) as exc:
            # Cannot tell yet. Hand it back to the dispatcher with a backoff: a retry looks
            # on the platform before it sends (deliver), and one that still cannot tell
            # after max_attempts is left uncertain for a human.
            if isinstance(exc, AuthError):
                store.mark_uncertain(
                    row.id,
                    error=f"crashed while sending; platform check failed: {exc}",
                    now=now,
                    owner=owner,
                )
                log.warning(
                    "delivery %s: left uncertain (%s); a human must check", row.id, exc,
                    extra=extra,
                )
                settled += 1
            else:
                store.mark_retry(
                    row.id,
                    error=f"crashed while sending; cannot check the platform yet: {exc}",
                    next_attempt_at=now + timedelta(seconds=_backoff(settings, row.attempts)),
                    now=now,
                    owner=owner,
                )
                log.warning(
                    "delivery %s: cannot check the platform yet (%s); it will look again "
                    "before sending", row.id, exc, extra=extra,
                )
            continue
        if found is not None:
            store.mark_sent(
                row.id, remote_id=found.remote_id, remote_url=found.url, now=now, owner=owner,
                cost=found_spend(account, row),
            )
            log.info(
                "delivery %s: found on the platform after a crash; recorded as sent",
                row.id,
                extra=extra,
            )
        else:
            store.release(
                row.id,
                next_attempt_at=now,
                now=now,
                owner=owner,
                error="crashed while sending; not on the platform, will retry",
            )
            log.info(
                "delivery %s: not on the platform after a crash; will retry", row.id, extra=extra
            )
        settled += 1
    return settled
