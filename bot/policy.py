"""When an account may post and how long to wait after a failure: pure functions.

Everything here takes ``now`` explicitly and returns timezone-aware UTC datetimes, so the
rules can be tested across daylight-saving changes without touching the clock.

Posting windows are local wall-clock hours in the account's IANA time zone. A window
whose end is earlier than its start runs over midnight (22:00-02:00); a window whose
start equals its end is open all day. Each local day's window is turned into a pair of
real instants:

* a start or end that does not exist that day (the spring-forward gap) becomes the
  first real instant after it, i.e. the moment the clocks jump;
* an ambiguous one (the fall-back fold) means its first occurrence.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import Account, Scheduler

RATE_LIMIT_MARGIN_FRACTION = 0.05
"""Extra wait on top of the platform's Retry-After, as a fraction of it."""
RATE_LIMIT_MARGIN_MIN_SECONDS = 1.0
"""Smallest extra wait on top of the platform's Retry-After (clock skew, rounding)."""


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("policy functions need a timezone-aware datetime")
    return now.astimezone(UTC)


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The real (UTC) instant at which the local clock in ``tz`` shows ``day`` ``wall``.

    Ambiguous wall times resolve to their first occurrence; wall times skipped by a
    DST gap resolve to the end of the gap (the first valid instant after them).
    """
    naive = datetime.combine(day, wall.replace(tzinfo=None))
    first = naive.replace(tzinfo=tz, fold=0)
    utc_first = first.astimezone(UTC)
    if utc_first.astimezone(tz).replace(tzinfo=None) == naive:
        return utc_first  # exists (fold=0 is the first occurrence when ambiguous)
    # In a gap: fold=0 reads the time with the offset before the jump (an instant after
    # the transition), fold=1 with the offset after it (an instant before the transition).
    lo = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = utc_first
    if lo > hi:  # defensive: never expected for a gap
        lo, hi = hi, lo
    after = hi.astimezone(tz).utcoffset()
    # Binary search, to the second, for the first instant that uses the new offset.
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            break
        if mid.astimezone(tz).utcoffset() == after:
            hi = mid
        else:
            lo = mid
    return hi


def _local_date(now_utc: datetime, tz: ZoneInfo) -> date:
    return now_utc.astimezone(tz).date()


def _window_interval(account: Account, day: date) -> tuple[datetime, datetime]:
    """The window opening on local ``day`` as [start, end) UTC instants (may be empty)."""
    assert account.window is not None
    tz = account.tz
    start_t, end_t = account.window.start, account.window.end
    start = local_instant(day, start_t, tz)
    if start_t < end_t:
        end = local_instant(day, end_t, tz)
    else:  # over midnight, or start == end: a full day
        end = local_instant(day + timedelta(days=1), end_t, tz)
    return start, end


def in_window(account: Account, now: datetime) -> bool:
    """True when ``now`` falls inside the account's posting window (no window: always)."""
    now_utc = _utc(now)
    if account.window is None:
        return True
    today = _local_date(now_utc, account.tz)
    for offset in (-1, 0):
        start, end = _window_interval(account, today + timedelta(days=offset))
        if start <= now_utc < end:
            return True
    return False


def next_window_start(account: Account, now: datetime) -> datetime:
    """The earliest instant ≥ ``now`` inside the posting window, in UTC.

    ``now`` itself when the window is open (or the account has none); otherwise the
    moment the next window opens.
    """
    now_utc = _utc(now)
    if account.window is None:
        return now_utc
    today = _local_date(now_utc, account.tz)
    # A window is at most about a day long, so a few days always contain the answer;
    # the loop goes further only to step over days whose window a DST jump swallowed.
    for offset in range(-1, 8):
        start, end = _window_interval(account, today + timedelta(days=offset))
        if end > now_utc and end > start:
            return max(start, now_utc)
    raise ValueError(f"account {account.name!r}: posting window never opens")  # pragma: no cover


def day_start(account: Account, now: datetime) -> datetime:
    """Local midnight of the account's current day, as a UTC instant."""
    now_utc = _utc(now)
    return local_instant(_local_date(now_utc, account.tz), time(0), account.tz)


def next_day_start(account: Account, now: datetime) -> datetime:
    """Local midnight of the account's next day, as a UTC instant."""
    today = _local_date(_utc(now), account.tz)
    return local_instant(today + timedelta(days=1), time(0), account.tz)


def next_slot(
    account: Account,
    now: datetime,
    *,
    last_claim_at: datetime | None,
    sent_today: int,
) -> datetime:
    """The earliest instant ≥ ``now`` at which the account may post again.

    Respects ``min_spacing_minutes`` after ``last_claim_at``, the posting window, and
    ``daily_cap`` (``sent_today`` counts posts since :func:`day_start`): once the cap is
    reached, the answer is when the window opens on the next local day.
    """
    return next_post(account, now, due_at=now, last_claim_at=last_claim_at,
                     cap_used=sent_today).at or _utc(now)


@dataclass(frozen=True)
class Wait:
    """When an account's next post may go, and what holds it until then."""

    at: datetime | None
    """UTC; None when nothing waits or the account is paused until a human resumes it."""
    reason: str
    """``due`` (now), ``nothing queued``, ``waiting to retry`` (its own next attempt time),
    ``paused``, ``spacing``, ``daily cap`` or ``posting window``."""


def next_post(
    account: Account,
    now: datetime,
    *,
    due_at: datetime | None,
    last_claim_at: datetime | None = None,
    cap_used: int = 0,
    paused: bool = False,
    paused_until: datetime | None = None,
) -> Wait:
    """When the account's earliest waiting delivery (due at ``due_at``) may really go.

    Each rule may push the time later, in the order the dispatcher applies them: the
    delivery's own time (a retry's backoff), a pause (rate limit), ``min_spacing_minutes``
    after ``last_claim_at``, ``daily_cap`` (``cap_used`` posts since :func:`day_start`) and
    the posting window. The reason is the rule that decided the answer.
    """
    now_utc = _utc(now)
    if due_at is None:
        return Wait(None, "nothing queued")
    if paused and paused_until is None:
        return Wait(None, "paused")
    at, reason = now_utc, "due"
    steps: list[tuple[datetime | None, str]] = [(_utc(due_at), "waiting to retry")]
    if paused and paused_until is not None:
        steps.append((_utc(paused_until), "paused"))
    if last_claim_at is not None and account.min_spacing_minutes > 0:
        steps.append((_utc(last_claim_at) + timedelta(minutes=account.min_spacing_minutes),
                      "spacing"))
    for when, why in steps:
        if when is not None and when > at:
            at, reason = when, why
    tomorrow = next_day_start(account, now_utc)
    if account.daily_cap is not None and cap_used >= account.daily_cap and at < tomorrow:
        at, reason = tomorrow, "daily cap"
    opens = next_window_start(account, at)
    if opens > at:
        at, reason = opens, "posting window"
    return Wait(at, reason)


def backoff_delay(attempt: int, cfg: Scheduler, rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = the first retry).

    Exponential growth from ``backoff_base_seconds``, capped at ``backoff_max_seconds``,
    with full jitter: a uniform draw between 0 and that ceiling, so that many failed
    deliveries do not all come back at the same moment.
    """
    exponent = min(max(attempt, 1) - 1, 62)
    ceiling = min(cfg.backoff_max_seconds, cfg.backoff_base_seconds * math.ldexp(1.0, exponent))
    draw = (rng or random).uniform(0.0, ceiling)
    return min(max(draw, 0.0), ceiling)


def rate_limit_delay(
    retry_after: float | None,
    cfg: Scheduler,
    *,
    attempt: int = 1,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after a rate-limit answer.

    The platform's ``retry_after`` plus a small margin (5 %, at least one second) when it
    gave one; otherwise the ordinary :func:`backoff_delay` for ``attempt``.
    """
    if retry_after is None or not math.isfinite(retry_after) or retry_after < 0:
        return backoff_delay(attempt, cfg, rng)
    margin = max(RATE_LIMIT_MARGIN_MIN_SECONDS, retry_after * RATE_LIMIT_MARGIN_FRACTION)
    return float(retry_after) + margin


def lookup_since(first_claim: datetime | None, created: datetime, cfg: Scheduler) -> datetime:
    """Where the look-up before a resend starts reading the account's posts: the delivery's
    first claim (its creation when that is unknown), less ``lookup_margin_seconds`` for a
    clock that differs from the platform's."""
    return _utc(first_claim or created) - timedelta(seconds=cfg.lookup_margin_seconds)
