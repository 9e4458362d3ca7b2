"""Why a post waits: the account's next slot after windows, spacing, caps and pauses.

``bot status`` shows it per account ("next due") and the daemon logs it once each time it
changes (``x: next post at 09:00 Europe/Istanbul (posting window)``), in the account's own
time zone.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Account
from bot.policy import Wait, day_start, next_post

if TYPE_CHECKING:
    from bot.store import Store

log = logging.getLogger("bot.dispatch")


def account_wait(store: Store, account: Account, now: datetime) -> Wait:
    """When the account's next queued delivery may go, and why not before."""
    due = store.next_due(account.name)
    if due is None:
        return Wait(None, "nothing queued")
    st = store.get_account_state(account.name)
    used = store.cap_used(account.name, since=day_start(account, now)) if account.daily_cap else 0
    paused = bool(st and st.is_paused(now))
    return next_post(
        account, now, due_at=due, last_claim_at=st.last_claim_at if st else None,
        cap_used=used, paused=paused, paused_until=st.paused_until if st and paused else None,
    )


def local_time(t: datetime, account: Account, now: datetime | None = None) -> str:
    """``09:00 Europe/Istanbul`` today (local), ``2026-12-01 09:00 Europe/Istanbul`` on
    another day."""
    here = t.astimezone(account.tz)
    today = (now or t).astimezone(account.tz).date()
    day = "" if here.date() == today else f"{here:%Y-%m-%d} "
    return f"{day}{here:%H:%M} {account.timezone}"


def describe(wait: Wait, account: Account, now: datetime) -> str:
    """One line: ``next post at 09:00 Europe/Istanbul (posting window)``."""
    if wait.at is None:
        if wait.reason == "paused":
            return f"paused until `bot accounts resume {account.name}`"
        return wait.reason
    if wait.reason == "due":
        return "due now"
    return f"next post at {local_time(wait.at, account, now)} ({wait.reason})"


_LAST: dict[str, tuple[datetime | None, str]] = {}
_LAST_LOCK = threading.Lock()


def log_wait(store: Store, account: Account, now: datetime) -> Wait:
    """Log why the account's queued posts wait, once each time the answer changes."""
    wait = account_wait(store, account, now)
    key = (wait.at, wait.reason)
    with _LAST_LOCK:
        changed = _LAST.get(account.name) != key
        _LAST[account.name] = key
    if changed and wait.reason not in ("due", "nothing queued"):
        log.info("%s: %s", account.name, describe(wait, account, now),
                 extra={"account": account.name})
    return wait
