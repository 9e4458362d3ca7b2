"""Sending: claim a delivery, call the platform, settle the result — never twice, never lost.

A delivery is claimed (status ``sending``, owner, lease) and committed *before* the
platform call, and its result is committed after. A crash in between leaves a stale
``sending`` row; :func:`bot.reconcile.reconcile` asks the platform whether the post is there (found:
``sent``; not found: retry; cannot tell: retry later) before anything is sent again.
A retry after a failed attempt (a lost answer may hide a post that was made) looks on the
platform first too, and one that still cannot tell after N attempts is ``uncertain``, for
a human. Errors from the adapters decide what happens next:

* ``AlreadyPosted`` — the platform has it: recorded as sent.
* ``RateLimited`` — wait what the platform says; the account is held until then.
* ``AuthError`` — the account is paused (no retry storm) until ``bot accounts resume``.
* ``Rejected`` — content refused: dead, shown in ``bot status``.
* ``Transient`` — retry with exponential backoff and jitter; dead after N attempts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, utcnow
from bot.config import Account, Settings
from bot.errors import (
    AlreadyPosted,
    AuthError,
    BotError,
    ConfigError,
    RateLimited,
    Rejected,
    RenderError,
)
from bot.failpoints import failpoint
from bot.policy import backoff_delay, day_start, in_window, lookup_since, rate_limit_delay
from bot.previews import hold_before_live
from bot.store import post_of
from bot.waits import log_wait

if TYPE_CHECKING:
    from bot.adapters.base import Adapter, PublishResult
    from bot.models import Post
    from bot.store import DeliveryRow, Store

log = logging.getLogger("bot.dispatch")


# --------------------------------------------------------------------------- outcomes
@dataclass
class Outcome:
    """What happened to one delivery in one attempt."""

    account: str
    platform: str
    status: str
    """sent, already_sent, awaiting_human, dry_run, retry, rate_limited, paused, dead, uncertain,
    busy, held (queued in dry run, now previewed: waiting for a decision)"""
    delivery_id: int | None = None
    url: str | None = None
    remote_id: str | None = None
    error: str | None = None
    earlier_url: str | None = None
    """Posted again on purpose (``--force``): the earlier post's URL, kept in its history."""

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "already_sent", "awaiting_human", "dry_run")

    def summary(self) -> str:
        words = {
            "sent": "sent",
            "already_sent": "already posted, not sent again",
            "awaiting_human": "waiting for a human to paste it (bot youtube pending)",
            "dry_run": "dry run: nothing sent",
            "retry": "failed for now",
            "rate_limited": "rate limited",
            "paused": "account paused",
            "dead": "failed for good",
            "uncertain": "uncertain: check the platform",
            "busy": "being sent by another process",
            "held": "not sent: queued in dry run, waiting for a decision",
        }
        text = words.get(self.status, self.status)
        if self.url:
            text += f" · {self.url}"
        if self.error and not self.ok:
            text += f" · {self.error}"
        if self.earlier_url:
            text += f" (posted before: {self.earlier_url}, kept in its history)"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "delivery_id": self.delivery_id,
            "url": self.url,
            "remote_id": self.remote_id,
            "error": self.error,
            "earlier_url": self.earlier_url,
        }


# --------------------------------------------------------------------------- sending
def deliver(
    settings: Settings,
    store: Store,
    account: Account,
    row: DeliveryRow,
    *,
    owner: str,
    adapter: Adapter | None = None,
    clock: Clock = utcnow,
) -> Outcome:
    """Send one claimed delivery and settle it in the ledger. Never raises PublishError.

    An adapter made here is closed before this returns (one passed in stays the caller's);
    every time written to the ledger comes from ``clock``.
    """
    attempt = _Attempt(settings, store, account, row, owner=owner, clock=clock)
    post = post_of(row)
    if post is None:
        return attempt.dead("no rendered post stored for this delivery",
                            short="no rendered post stored")
    held = hold_before_live(settings, store, account, row, post, owner=owner, now=clock())
    if held is not None:  # a sample article, or queued while in dry run: not sent
        return attempt.settled_elsewhere(*held)
    try:
        result, used = attempt.send(post, adapter)
    except AlreadyPosted as exc:
        return attempt.already_posted(exc)
    except RateLimited as exc:
        return attempt.rate_limited(exc)
    except AuthError as exc:
        return attempt.paused(exc)
    except (Rejected, RenderError, ConfigError) as exc:
        return attempt.dead(str(exc))
    except BotError as exc:  # Transient and every other PublishError
        return attempt.retry_or_die(str(exc))
    except Exception as exc:  # an adapter bug must not lose the delivery
        log.exception("%s: unexpected error while sending", account.name, extra=attempt.extra)
        return attempt.retry_or_die(f"unexpected {exc.__class__.__name__}")
    failpoint("after_publish")  # fault tests only (bot/failpoints.py): die before the commit
    return attempt.published(result, used)


class _Attempt:
    """One attempt at one claimed delivery: the platform call, then the ledger update that
    the answer (or the error) calls for. Each ``settle`` method returns the Outcome."""

    def __init__(self, settings: Settings, store: Store, account: Account, row: DeliveryRow,
                 *, owner: str, clock: Clock) -> None:
        self.settings, self.store, self.account, self.row = settings, store, account, row
        self.owner, self.clock = owner, clock
        self.in_doubt = False
        """True while asking the platform whether an earlier attempt got through."""
        self.extra = {"account": account.name, "delivery": row.id, "article": row.article_id}
        self.out = Outcome(account=account.name, platform=account.platform, status="",
                           delivery_id=row.id)

    def send(self, post: Post, adapter: Adapter | None) -> tuple[PublishResult, Adapter]:
        """Publish ``post`` (after looking on the platform when an earlier attempt may have
        reached it); returns the result and the adapter used."""
        from bot.adapters.auth import keep_refreshed
        from bot.adapters.registry import get_adapter

        own = adapter is None
        used = adapter or get_adapter(self.account, self.settings)
        try:
            return self._publish(post, used), used
        finally:
            keep_refreshed(self.settings, self.account.name, used)  # whatever the outcome
            if own:
                used.close()

    def _publish(self, post: Post, adapter: Adapter) -> PublishResult:
        dry = self.settings.is_dry_run(self.account)
        if not post.link and not dry:
            raise Rejected("the post has no link; a live post needs the article's URL")
        if (self.row.attempts > 1 or self.row.last_error) and post.link and not dry:
            # An earlier attempt (this run's, or one before a `bot retry`) may have reached
            # the platform, its answer lost or the process killed: look before sending
            # again. Cannot tell: retry later.
            self.in_doubt = True
            since = lookup_since(self.store.first_claim_at(self.row.id), self.row.created_at,
                                 self.settings.scheduler)
            found = adapter.find_existing(post.link, since=since)
            self.in_doubt = False
            if found is not None:
                raise AlreadyPosted("an earlier attempt reached the platform",
                                    remote_id=found.remote_id, remote_url=found.url)
        return adapter.publish(post, delivery_id=self.row.id)

    # -- settling ----------------------------------------------------------------------
    def _settled(self, status: str, error: str | None = None) -> Outcome:
        self.out.status, self.out.error = status, error
        return self.out

    def settled_elsewhere(self, status: str, reason: str) -> Outcome:
        """The outcome of a delivery the go-live guard settled (:mod:`bot.previews`)."""
        return self._settled(status, reason)

    def already_posted(self, exc: AlreadyPosted) -> Outcome:
        self.store.mark_sent(self.row.id, remote_id=exc.remote_id, remote_url=exc.remote_url,
                             now=self.clock(), owner=self.owner)
        log.info("%s: already on the platform, recorded as sent", self.account.name,
                 extra=self.extra)
        self.out.remote_id, self.out.url = exc.remote_id, exc.remote_url
        return self._settled("already_sent")

    def rate_limited(self, exc: RateLimited) -> Outcome:
        now = self.clock()
        until = now + timedelta(seconds=rate_limit_delay(exc.retry_after, self.settings.scheduler))
        self.store.release(self.row.id, next_attempt_at=until, now=now, owner=self.owner,
                           error=str(exc))
        self.store.pause_account(self.account.name, reason=f"rate limited: {exc}", until=until,
                                 now=now)
        log.warning("%s: rate limited, next try at %s", self.account.name,
                    until.isoformat(timespec="seconds"), extra=self.extra)
        return self._settled("rate_limited", str(exc))

    def paused(self, exc: AuthError) -> Outcome:
        now = self.clock()
        self.store.release(self.row.id, next_attempt_at=now, now=now, owner=self.owner,
                           error=str(exc))
        self.store.pause_account(self.account.name, reason=f"auth: {exc}", until=None, now=now)
        log.error("%s: credentials refused, account paused until `bot accounts resume %s`: %s",
                  self.account.name, self.account.name, exc, extra=self.extra)
        return self._settled("paused", str(exc))

    def dead(self, error: str, *, short: str | None = None) -> Outcome:
        self.store.mark_dead(self.row.id, error=error, now=self.clock(), owner=self.owner)
        log.error("%s: refused for good: %s", self.account.name, error, extra=self.extra)
        return self._settled("dead", short or error)

    def retry_or_die(self, error: str) -> Outcome:
        """Back to the queue with a backoff; after max_attempts dead, or uncertain when the
        last attempt could not tell whether an earlier one is on the platform."""
        row, now = self.row, self.clock()
        if row.attempts >= self.settings.scheduler.max_attempts:
            if self.in_doubt:
                self.store.mark_uncertain(
                    row.id, error=f"gave up after {row.attempts} attempts; an earlier one may "
                    f"have been posted: {error}", now=now, owner=self.owner)
                log.error("%s: giving up after %d attempts, unsure whether it was posted: %s",
                          self.account.name, row.attempts, error, extra=self.extra)
                return self._settled("uncertain", error)
            self.store.mark_dead(row.id, error=f"gave up after {row.attempts} attempts: {error}",
                                 now=now, owner=self.owner)
            log.error("%s: giving up after %d attempts: %s", self.account.name, row.attempts,
                      error, extra=self.extra)
            return self._settled("dead", error)
        delay = backoff_delay(row.attempts, self.settings.scheduler)
        self.store.mark_retry(row.id, error=error, next_attempt_at=now + timedelta(seconds=delay),
                              now=now, owner=self.owner)
        log.warning("%s: attempt %d failed (%s); retrying in %.0f s", self.account.name,
                    row.attempts, error, delay, extra=self.extra)
        return self._settled("retry", error)

    def published(self, result: PublishResult, adapter: Adapter) -> Outcome:
        row, now, name = self.row, self.clock(), self.account.name
        self.out.remote_id, self.out.url = result.remote_id, result.url
        if result.status == "awaiting_human":
            self.store.mark_awaiting_human(row.id, now=now, owner=self.owner)
            log.info("%s: community post ready for a human (delivery %s)", name, row.id,
                     extra=self.extra)
            return self._settled("awaiting_human")
        if result.status == "dry_run":
            self.store.mark_previewed(row.id, now=now, owner=self.owner)
            return self._settled("dry_run")  # the dry-run adapter has logged the exact text
        self.store.mark_sent(row.id, remote_id=result.remote_id, remote_url=result.url, now=now,
                             owner=self.owner)
        log.info("%s: posted %s", name, result.url or result.remote_id, extra=self.extra)
        self._pause_if_used_up(adapter, now)
        return self._settled("sent")

    def _pause_if_used_up(self, adapter: Adapter, now: datetime) -> None:
        """When the platform's answer said no post is left in its window, hold the account
        until the window resets: the next claim waits for the reset instead of earning a 429."""
        until = adapter.paused_until(now.timestamp())
        if until is None:
            return
        when = datetime.fromtimestamp(until, UTC)
        self.store.pause_account(self.account.name,
                                 reason="rate limit used up until the platform's reset",
                                 until=when, now=now)
        log.info("%s: rate limit used up, next post at %s", self.account.name,
                 when.isoformat(timespec="seconds"), extra=self.extra)


def dispatch_account(
    settings: Settings,
    store: Store,
    account: Account,
    *,
    owner: str,
    clock: Clock = utcnow,
    limit: int = 1,
) -> list[Outcome]:
    """Send up to ``limit`` due deliveries of one account, honouring window, spacing and cap."""
    outcomes: list[Outcome] = []
    for _ in range(limit):
        t = clock()
        if not in_window(account, t):
            break
        row = store.claim_next(
            account.name,
            owner=owner,
            now=t,
            lease_seconds=settings.scheduler.lease_seconds,
            min_spacing_seconds=account.min_spacing_minutes * 60,
            daily_cap=account.daily_cap,
            day_start=day_start(account, t),
        )
        if row is None:
            break
        outcomes.append(deliver(settings, store, account, row, owner=owner, clock=clock))
    if not outcomes:
        log_wait(store, account, clock())  # says why queued posts wait, once per change
    return outcomes
