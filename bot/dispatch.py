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
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.config import Account, Settings
from bot.errors import (
    AlreadyPosted,
    AuthError,
    BotError,
    ConfigError,
    PublishError,
    RateLimited,
    Rejected,
    RenderError,
    Transient,
)
from bot.failpoints import failpoint
from bot.models import Article, Post

if TYPE_CHECKING:
    from bot.adapters.base import Adapter
    from bot.store import DeliveryRow, Store

log = logging.getLogger("bot.dispatch")


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_owner() -> str:
    """A name for this process in leases and locks: host, pid and a random tail."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def open_store(settings: Settings) -> Store:
    """Open the ledger and bring its schema up to date."""
    from bot.store import Store

    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.upgrade()
    return store


# --------------------------------------------------------------------------- outcomes
@dataclass
class Outcome:
    """What happened to one delivery in one attempt."""

    account: str
    platform: str
    status: str
    """sent, already_sent, awaiting_human, dry_run, retry, rate_limited, paused, dead, uncertain,
    busy, over_budget"""
    delivery_id: int | None = None
    url: str | None = None
    remote_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "already_sent", "awaiting_human", "dry_run")

    def summary(self) -> str:
        words = {
            "sent": "sent",
            "already_sent": "already posted, not sent again",
            "awaiting_human": "waiting for a human to paste it (bot youtube pending)",
            "dry_run": "dry run: nothing sent",
            "retry": "failed, will retry",
            "rate_limited": "rate limited, will retry",
            "paused": "account paused",
            "dead": "failed for good",
            "uncertain": "uncertain: check the platform",
            "busy": "being sent by another process",
            "over_budget": "held: over the account's monthly budget",
        }
        text = words.get(self.status, self.status)
        if self.url:
            text += f" · {self.url}"
        if self.error and not self.ok:
            text += f" · {self.error}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "delivery_id": self.delivery_id,
            "url": self.url,
            "remote_id": self.remote_id,
            "error": self.error,
        }


# --------------------------------------------------------------------------- sending
def _backoff(settings: Settings, attempts: int) -> float:
    from bot.scheduler.policy import backoff_delay

    return backoff_delay(attempts, settings.scheduler)


def _rate_delay(settings: Settings, retry_after: float | None) -> float:
    from bot.scheduler.policy import rate_limit_delay

    return rate_limit_delay(retry_after, settings.scheduler)


def delivery_payload(post: Post, article: Article) -> dict[str, Any]:
    """What a delivery row keeps: the post exactly as it will be sent, and the article's
    metadata (its text is left out: the post holds what matters)."""
    return {"post": post.model_dump(mode="json"),
            "article": article.model_dump(mode="json", exclude={"text"})}


def post_of(row: DeliveryRow) -> Post | None:
    data = (row.payload or {}).get("post")
    return Post.model_validate(data) if data else None


def deliver(
    settings: Settings,
    store: Store,
    account: Account,
    row: DeliveryRow,
    *,
    owner: str,
    adapter: Adapter | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Send one claimed delivery and settle it in the ledger. Never raises PublishError."""
    from bot.adapters.registry import get_adapter

    now = now or utcnow()
    out = Outcome(account=account.name, platform=account.platform, status="", delivery_id=row.id)
    post = post_of(row)
    if post is None:
        store.mark_dead(
            row.id, error="no rendered post stored for this delivery", now=now, owner=owner
        )
        out.status, out.error = "dead", "no rendered post stored"
        return out
    extra = {"account": account.name, "delivery": row.id, "article": row.article_id}
    from bot.budget import hold_if_over, post_spend, record_reads

    held = hold_if_over(settings, store, account, row, post, owner=owner, now=now)
    if held is not None:  # nothing is sent or read for it (bot/budget.py)
        out.status, out.error = "over_budget", held
        return out
    in_doubt = False
    try:
        adapter = adapter or get_adapter(account, settings)
        if not post.link and not settings.is_dry_run(account):
            raise Rejected("the post has no link; a live post needs the article's URL")
        if (row.attempts > 1 or row.last_error) and post.link and not settings.is_dry_run(account):
            # An earlier attempt (this run's, or one before a `bot retry`) may have reached
            # the platform, its answer lost or the process killed: look before sending
            # again. Cannot tell: retry later.
            in_doubt = True
            found = adapter.find_existing(post.link, since=row.created_at)
            in_doubt = False
            if found is not None:
                raise AlreadyPosted("an earlier attempt reached the platform",
                                    remote_id=found.remote_id, remote_url=found.url)
        result = adapter.publish(post, delivery_id=row.id)
    except AlreadyPosted as exc:
        store.mark_sent(
            row.id, remote_id=exc.remote_id, remote_url=exc.remote_url, now=utcnow(), owner=owner,
            cost=post_spend(account, post, once=True),
        )
        log.info("%s: already on the platform, recorded as sent", account.name, extra=extra)
        out.status, out.remote_id, out.url = "already_sent", exc.remote_id, exc.remote_url
        return out
    except RateLimited as exc:
        delay = _rate_delay(settings, exc.retry_after)
        until = utcnow() + timedelta(seconds=delay)
        store.release(row.id, next_attempt_at=until, now=utcnow(), owner=owner, error=str(exc))
        store.pause_account(account.name, reason=f"rate limited: {exc}", until=until, now=utcnow())
        log.warning(
            "%s: rate limited, next try at %s",
            account.name,
            until.isoformat(timespec="seconds"),
            extra=extra,
        )
        out.status, out.error = "rate_limited", str(exc)
        return out
    except AuthError as exc:
        store.release(row.id, next_attempt_at=utcnow(), now=utcnow(), owner=owner, error=str(exc))
        store.pause_account(account.name, reason=f"auth: {exc}", until=None, now=utcnow())
        log.error(
            "%s: credentials refused, account paused until `bot accounts resume %s`: %s",
            account.name,
            account.name,
            exc,
            extra=extra,
        )
        out.status, out.error = "paused", str(exc)
        return out
    except (Rejected, RenderError, ConfigError) as exc:
        store.mark_dead(row.id, error=str(exc), now=utcnow(), owner=owner)
        log.error("%s: refused for good: %s", account.name, exc, extra=extra)
        out.status, out.error = "dead", str(exc)
        return out
    except (Transient, PublishError, BotError) as exc:
        return _retry_or_die(settings, store, account, row, owner, str(exc), out, extra,
                             in_doubt=in_doubt)
    except Exception as exc:  # an adapter bug must not lose the delivery
        log.exception("%s: unexpected error while sending", account.name, extra=extra)
        msg = f"unexpected {exc.__class__.__name__}"
        return _retry_or_die(settings, store, account, row, owner, msg, out, extra,
                             in_doubt=in_doubt)
    finally:
        if adapter is not None:  # a refreshed token must be kept whatever the outcome
            _keep_refreshed(settings, account, adapter)
            record_reads(store, account, adapter, row.id, utcnow())  # X bills each post read
    failpoint("after_publish")  # fault tests only (bot/failpoints.py): die before the commit
    out.remote_id, out.url = result.remote_id, result.url
    if result.status == "awaiting_human":
        store.mark_awaiting_human(row.id, now=utcnow(), owner=owner)
        out.status = "awaiting_human"
        log.info(
            "%s: community post ready for a human (delivery %s)", account.name, row.id, extra=extra
        )
    elif result.status == "dry_run":
        store.mark_previewed(row.id, now=utcnow(), owner=owner)
        out.status = "dry_run"  # the dry-run adapter has logged the exact text
    else:
        store.mark_sent(
            row.id, remote_id=result.remote_id, remote_url=result.url, now=utcnow(), owner=owner,
            cost=post_spend(account, post, result),
        )
        out.status = "sent"
        log.info("%s: posted %s", account.name, result.url or result.remote_id, extra=extra)
        _pause_if_used_up(store, account, adapter, extra)
    return out


def _pause_if_used_up(store: Store, account: Account, adapter: Adapter, extra: dict[str, Any]
                      ) -> None:
    """When the platform's answer said no post is left in its window, hold the account until
    the window resets: the next claim waits for the reset instead of earning a 429."""
    paused_until = getattr(adapter, "paused_until", None)
    until = paused_until() if callable(paused_until) else None
    if not isinstance(until, (int, float)):
        return
    when = datetime.fromtimestamp(until, UTC)
    store.pause_account(
        account.name, reason="rate limit used up until the platform's reset", until=when,
        now=utcnow(),
    )
    log.info("%s: rate limit used up, next post at %s", account.name,
             when.isoformat(timespec="seconds"), extra=extra)


def _keep_refreshed(settings: Settings, account: Account, adapter: Adapter) -> None:
    from bot.adapters.auth import persist_refreshed

    try:
        persist_refreshed(settings, account.name, adapter)
    except (OSError, BotError) as exc:  # the post is out; do not turn this into a failure
        log.error("%s: could not store refreshed credentials: %s", account.name, exc)


def _retry_or_die(
    settings: Settings,
    store: Store,
    account: Account,
    row: DeliveryRow,
    owner: str,
    error: str,
    out: Outcome,
    extra: dict[str, Any],
    *,
    in_doubt: bool = False,
) -> Outcome:
    if row.attempts >= settings.scheduler.max_attempts and in_doubt:
        # Giving up without knowing whether an earlier attempt is on the platform.
        store.mark_uncertain(
            row.id,
            error=f"gave up after {row.attempts} attempts; an earlier one may have been "
            f"posted: {error}",
            now=utcnow(),
            owner=owner,
        )
        log.error("%s: giving up after %d attempts, unsure whether it was posted: %s",
                  account.name, row.attempts, error, extra=extra)
        out.status, out.error = "uncertain", error
        return out
    if row.attempts >= settings.scheduler.max_attempts:
        store.mark_dead(
            row.id,
            error=f"gave up after {row.attempts} attempts: {error}",
            now=utcnow(),
            owner=owner,
        )
        log.error(
            "%s: giving up after %d attempts: %s", account.name, row.attempts, error, extra=extra
        )
        out.status, out.error = "dead", error
        return out
    delay = _backoff(settings, row.attempts)
    store.mark_retry(
        row.id,
        error=error,
        next_attempt_at=utcnow() + timedelta(seconds=delay),
        now=utcnow(),
        owner=owner,
    )
    log.warning(
        "%s: attempt %d failed (%s); retrying in %.0f s",
        account.name,
        row.attempts,
        error,
        delay,
        extra=extra,
    )
    out.status, out.error = "retry", error
    return out


def dispatch_account(
    settings: Settings,
    store: Store,
    account: Account,
    *,
    owner: str,
    now: datetime | None = None,
    limit: int = 1,
) -> list[Outcome]:
    """Send up to ``limit`` due deliveries of one account, honouring window, spacing and cap."""
    from bot.budget import release_fitting
    from bot.scheduler.policy import day_start, in_window

    outcomes: list[Outcome] = []
    release_fitting(settings, store, account, now=now or utcnow(), actor=owner)  # month, budget
    for _ in range(limit):
        t = now or utcnow()
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
        outcomes.append(deliver(settings, store, account, row, owner=owner))
    return outcomes
