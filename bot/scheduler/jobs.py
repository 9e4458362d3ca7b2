"""The job functions the daemon runs: thin wrappers over the stateful modules.

Each takes the settings, the store and the daemon's owner name, and returns the real report
type of its module (:class:`bot.ingest.IngestReport`, :class:`bot.dispatch.Outcome`, …),
which :mod:`bot.scheduler.metrics` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.accounts import AccountCheck, check_accounts
from bot.clock import utcnow
from bot.config import Account, Feed, Settings
from bot.dispatch import Outcome, dispatch_account
from bot.ingest import IngestReport, close_clients, poll_feed
from bot.previews import settle_previews
from bot.reconcile import reconcile

if TYPE_CHECKING:
    from bot.store import Store

DISPATCH_BATCH = 5
"""Deliveries one dispatch run sends per account at most (window, spacing and cap permitting)."""


def poll_feed_job(settings: Settings, store: Store, feed: Feed, *, owner: str) -> IngestReport:
    """Poll one feed and queue deliveries for its new articles."""
    return poll_feed(settings, store, feed, owner=owner)


def dispatch_account_job(
    settings: Settings, store: Store, account: Account, *, owner: str
) -> list[Outcome]:
    """Send the due deliveries of one account (window, spacing and cap permitting)."""
    return dispatch_account(settings, store, account, owner=owner, limit=DISPATCH_BATCH)


def reconcile_job(settings: Settings, store: Store, *, owner: str) -> int:
    """Settle deliveries a crash left in 'sending'; hold what live accounts queued in dry run
    and skip their previews past the feed's max age (:mod:`bot.previews`)."""
    settled = reconcile(settings, store, owner=owner)
    settle_previews(settings, store, now=utcnow(), actor=owner)
    return settled


def check_accounts_job(settings: Settings, store: Store) -> list[AccountCheck]:
    """verify() every enabled account; warn before a known token expiry."""
    return check_accounts(settings, store)


def close_jobs() -> None:
    """Release what the jobs keep between runs (the shared feed HTTP clients)."""
    close_clients()
