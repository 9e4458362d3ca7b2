"""Posting windows, spacing, daily caps and back-off, across daylight-saving changes.

Expected instants are worked out from the tz rules, not from the code:
* Europe/Berlin 2024: clocks go 02:00 CET -> 03:00 CEST on 31 March at 01:00 UTC, and
  03:00 CEST -> 02:00 CET on 27 October at 01:00 UTC.
* America/New_York 2024: 02:00 EST -> 03:00 EDT on 10 March at 07:00 UTC, and
  02:00 EDT -> 01:00 EST on 3 November at 06:00 UTC.
* America/Santiago 2024: 00:00 -04 -> 01:00 -03 on 8 September at 04:00 UTC (no midnight).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Account, PostingWindow, Scheduler
from bot.policy import (
    backoff_delay,
    day_start,
    in_window,
    local_instant,
    lookup_since,
    next_day_start,
    next_slot,
    next_window_start,
    rate_limit_delay,
)


def acct(tz: str = "UTC", window: tuple[time, time] | None = None, **kw: Any) -> Account:
    w = PostingWindow(start=window[0], end=window[1]) if window else None
    kw.setdefault("min_spacing_minutes", 0)
    return Account(name="a", platform="twitter", timezone=tz, window=w, **kw)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# -- windows -------------------------------------------------------------------------------
def test_no_window_means_always() -> None:
    a = acct("Europe/Berlin")
    now = utc(2024, 3, 31, 1, 30)
    assert in_window(a, now)
    assert next_window_start(a, now) == now


def test_plain_window_in_local_time() -> None:
    a = acct("America/New_York", (time(9), time(17)))
    # 2024-06-03 is EDT (-4): 09:00 local = 13:00 UTC.
    assert not in_window(a, utc(2024, 6, 3, 12, 59))
    assert in_window(a, utc(2024, 6, 3, 13, 0))
    assert not in_window(a, utc(2024, 6, 3, 21, 0))  # 17:00 local: end is exclusive
    assert next_window_start(a, utc(2024, 6, 3, 21, 0)) == utc(2024, 6, 4, 13, 0)
    assert next_window_start(a, utc(2024, 6, 3, 15, 0)) == utc(2024, 6, 3, 15, 0)


def test_window_over_midnight() -> None:
    a = acct("Europe/Berlin", (time(22), time(2)))
    # June: CEST (+2). 23:30 local = 21:30 UTC; 01:59 local = 23:59 UTC; 02:00 local closes.
    assert in_window(a, utc(2024, 6, 3, 21, 30))
    assert in_window(a, utc(2024, 6, 3, 23, 59))
    assert not in_window(a, utc(2024, 6, 4, 0, 0))
    assert next_window_start(a, utc(2024, 6, 4, 0, 0)) == utc(2024, 6, 4, 20, 0)


def test_equal_start_and_end_is_open_all_day() -> None:
    a = acct("Europe/Berlin", (time(6), time(6)))
    for hour in range(24):
        assert in_window(a, utc(2024, 6, 3, hour, 17))


def test_spring_forward_start_in_gap_opens_when_clocks_jump() -> None:
    # 02:30 does not exist in Berlin on 31 March 2024; the first valid instant after it is
    # 03:00 CEST, the moment of the jump: 01:00 UTC.
    a = acct("Europe/Berlin", (time(2, 30), time(12)))
    assert local_instant(datetime(2024, 3, 31).date(), time(2, 30), a.tz) == utc(2024, 3, 31, 1)
    assert not in_window(a, utc(2024, 3, 31, 0, 59))
    assert in_window(a, utc(2024, 3, 31, 1, 0))
    assert next_window_start(a, utc(2024, 3, 30, 23, 0)) == utc(2024, 3, 31, 1, 0)
    # The day before, 02:30 CET is 01:30 UTC.
    assert next_window_start(a, utc(2024, 3, 29, 23, 0)) == utc(2024, 3, 30, 1, 30)


def test_spring_forward_new_york() -> None:
    a = acct("America/New_York", (time(2, 15), time(6)))
    # 02:15 is skipped on 10 March 2024: opens at 03:00 EDT = 07:00 UTC.
    assert next_window_start(a, utc(2024, 3, 10, 5, 0)) == utc(2024, 3, 10, 7, 0)
    # The window closes at 06:00 EDT = 10:00 UTC, not 11:00.
    assert in_window(a, utc(2024, 3, 10, 9, 59))
    assert not in_window(a, utc(2024, 3, 10, 10, 0))


def test_fall_back_end_in_fold_uses_first_occurrence() -> None:
    # Berlin 27 Oct 2024, 02:00-03:00 happens twice. Window 01:00-02:30 ends at the FIRST
    # 02:30 (CEST, 00:30 UTC); the repeated 02:00-02:30 (CET, 01:00-01:30 UTC) is outside,
    # although a wall-clock comparison would let it in.
    a = acct("Europe/Berlin", (time(1), time(2, 30)))
    assert in_window(a, utc(2024, 10, 26, 23, 30))  # 01:30 CEST
    assert in_window(a, utc(2024, 10, 27, 0, 15))  # 02:15 CEST
    assert not in_window(a, utc(2024, 10, 27, 0, 45))  # 02:45 CEST
    assert not in_window(a, utc(2024, 10, 27, 1, 15))  # 02:15 CET, the second time round
    assert next_window_start(a, utc(2024, 10, 27, 1, 15)) == utc(2024, 10, 28, 0, 0)  # 01:00 CET


def test_fall_back_start_in_fold_new_york() -> None:
    # 01:30 happens twice in New York on 3 Nov 2024; the first is EDT (-4): 05:30 UTC.
    a = acct("America/New_York", (time(1, 30), time(8)))
    assert next_window_start(a, utc(2024, 11, 3, 4, 0)) == utc(2024, 11, 3, 5, 30)
    # The window closes at 08:00 EST = 13:00 UTC: 7 h 30 min long that day.
    assert in_window(a, utc(2024, 11, 3, 12, 59))
    assert not in_window(a, utc(2024, 11, 3, 13, 0))


def test_window_swallowed_by_gap_is_skipped() -> None:
    # 02:10-02:40 never happens in Berlin on 31 March 2024: the next window is 1 April.
    a = acct("Europe/Berlin", (time(2, 10), time(2, 40)))
    assert next_window_start(a, utc(2024, 3, 30, 23, 0)) == utc(2024, 4, 1, 0, 10)  # 02:10 CEST


# -- days ----------------------------------------------------------------------------------
def test_day_start_across_dst() -> None:
    a = acct("Europe/Berlin")
    assert day_start(a, utc(2024, 3, 31, 12)) == utc(2024, 3, 30, 23)  # 00:00 CET
    assert next_day_start(a, utc(2024, 3, 31, 12)) == utc(2024, 3, 31, 22)  # 00:00 CEST
    assert day_start(a, utc(2024, 10, 27, 12)) == utc(2024, 10, 26, 22)  # 00:00 CEST
    assert next_day_start(a, utc(2024, 10, 27, 12)) == utc(2024, 10, 27, 23)  # 00:00 CET: 25 h


def test_day_start_when_midnight_does_not_exist() -> None:
    a = acct("America/Santiago")
    # 8 Sept 2024 starts at 01:00 -03 (= 04:00 UTC); the day before at 00:00 -04 (= 04:00 UTC).
    assert day_start(a, utc(2024, 9, 8, 15)) == utc(2024, 9, 8, 4)
    assert day_start(a, utc(2024, 9, 7, 15)) == utc(2024, 9, 7, 4)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        in_window(acct(), datetime(2024, 1, 1))


# -- next_slot -----------------------------------------------------------------------------
def test_spacing_pushes_the_slot() -> None:
    a = acct(min_spacing_minutes=30)
    now = utc(2024, 6, 3, 12, 0)
    assert next_slot(a, now, last_claim_at=now - timedelta(minutes=10), sent_today=0) == now + \
        timedelta(minutes=20)
    assert next_slot(a, now, last_claim_at=now - timedelta(minutes=45), sent_today=0) == now
    assert next_slot(a, now, last_claim_at=None, sent_today=0) == now


def test_spacing_that_ends_after_the_window_waits_for_the_next_window() -> None:
    a = acct("Europe/Berlin", (time(8), time(20)), min_spacing_minutes=30)
    # June, CEST: window 06:00-18:00 UTC.
    last = utc(2024, 6, 3, 17, 25)
    assert next_slot(a, utc(2024, 6, 3, 17, 30), last_claim_at=last, sent_today=1) == \
        utc(2024, 6, 3, 17, 55)
    last = utc(2024, 6, 3, 17, 40)
    assert next_slot(a, utc(2024, 6, 3, 17, 45), last_claim_at=last, sent_today=1) == \
        utc(2024, 6, 4, 6, 0)


def test_daily_cap_waits_for_next_days_window_across_dst() -> None:
    a = acct("Europe/Berlin", (time(8), time(20)), daily_cap=3)
    now = utc(2024, 3, 30, 15)  # Saturday 16:00 CET
    assert next_slot(a, now, last_claim_at=None, sent_today=2) == now
    # Sunday is the first CEST day: 08:00 CEST = 06:00 UTC (not 07:00).
    assert next_slot(a, now, last_claim_at=None, sent_today=3) == utc(2024, 3, 31, 6)


@pytest.mark.parametrize(
    ("tz", "before_midnight", "midnight"),
    [
        ("Europe/Berlin", utc(2024, 3, 30, 22, 59), utc(2024, 3, 30, 23)),  # 23:59 CET
        ("America/New_York", utc(2024, 11, 3, 3, 59), utc(2024, 11, 3, 4)),  # 23:59 EDT
        # After the 25-hour day the offset is -5: midnight is 05:00 UTC.
        ("America/New_York", utc(2024, 11, 4, 4, 59), utc(2024, 11, 4, 5)),  # 23:59 EST
    ],
)
def test_daily_cap_rolls_over_at_local_midnight(
    tz: str, before_midnight: datetime, midnight: datetime
) -> None:
    a = acct(tz, daily_cap=5)
    assert next_slot(a, before_midnight, last_claim_at=None, sent_today=5) == midnight
    # At midnight a new day starts: the count is taken from here.
    assert day_start(a, midnight) == midnight


def test_cap_with_window_over_midnight_reopens_at_midnight() -> None:
    a = acct("UTC", (time(22), time(2)), daily_cap=1)
    assert next_slot(a, utc(2024, 6, 3, 23), last_claim_at=None, sent_today=1) == utc(2024, 6, 4)


# -- properties ----------------------------------------------------------------------------
ZONES = ["Europe/Berlin", "America/New_York", "America/Santiago", "Australia/Lord_Howe"]
instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))
walls = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(now=instants, tz=st.sampled_from(ZONES), start=walls, end=walls)
def test_next_window_start_is_inside_and_not_before_now(
    now: datetime, tz: str, start: time, end: time
) -> None:
    a = acct(tz, (start, end))
    nxt = next_window_start(a, now)
    assert nxt >= now
    assert in_window(a, nxt)
    if in_window(a, now):
        assert nxt == now
    else:
        # Nothing in between is inside the window (checked on a minute grid).
        probe = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
        step = max(timedelta(minutes=1), (nxt - now) / 50)
        while probe < nxt:
            assert not in_window(a, probe)
            probe += step


@settings(max_examples=300, deadline=None)
@given(now=instants, tz=st.sampled_from(ZONES))
def test_day_bounds_hold_now(now: datetime, tz: str) -> None:
    a = acct(tz)
    start, end = day_start(a, now), next_day_start(a, now)
    assert start <= now < end
    assert timedelta(hours=22) <= end - start <= timedelta(hours=26)


# -- back-off ------------------------------------------------------------------------------
CFG = Scheduler(backoff_base_seconds=30, backoff_max_seconds=3600)


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 30), (2, 60), (3, 120), (7, 1920),
                                                    (8, 3600), (50, 3600), (10_000, 3600)])
def test_backoff_bounds(attempt: int, ceiling: float) -> None:
    rng = random.Random(attempt)
    draws = [backoff_delay(attempt, CFG, rng) for _ in range(400)]
    assert all(0 <= d <= ceiling for d in draws)
    # Full jitter: spread over the whole range, not bunched at the ceiling.
    assert min(draws) < ceiling * 0.1
    assert max(draws) > ceiling * 0.9


def test_backoff_is_reproducible_with_a_seeded_rng_and_jittered_without() -> None:
    a = [backoff_delay(5, CFG, random.Random(7)) for _ in range(3)]
    b = [backoff_delay(5, CFG, random.Random(7)) for _ in range(3)]
    assert a == b
    assert len({backoff_delay(5, CFG) for _ in range(20)}) > 1


def test_backoff_attempt_zero_or_negative_is_the_first() -> None:
    assert all(0 <= backoff_delay(n, CFG) <= 30 for n in (0, -3))


def test_rate_limit_delay_adds_a_small_margin() -> None:
    assert rate_limit_delay(60, CFG) == pytest.approx(63)  # 5 %
    assert rate_limit_delay(2, CFG) == pytest.approx(3)  # at least one second
    assert rate_limit_delay(0, CFG) == pytest.approx(1)
    assert rate_limit_delay(900, CFG) > 900


@pytest.mark.parametrize("value", [None, -5.0, math.nan, math.inf])
def test_unknown_rate_limit_falls_back_to_backoff(value: float | None) -> None:
    delays = [rate_limit_delay(value, CFG, attempt=3, rng=random.Random(i)) for i in range(50)]
    assert all(0 <= d <= 120 for d in delays)
    assert len(set(delays)) > 1


def test_a_look_up_starts_at_the_first_claim_less_the_clock_margin() -> None:
    created = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    first = created + timedelta(hours=3)  # queued behind a backlog, first tried later
    cfg = Scheduler(lookup_margin_seconds=60)
    assert lookup_since(first, created, cfg) == first - timedelta(minutes=1)
    assert lookup_since(None, created, cfg) == created - timedelta(minutes=1)  # unknown
    assert lookup_since(first, created, Scheduler(lookup_margin_seconds=0)) == first
    with pytest.raises(ValueError, match="timezone-aware"):
        lookup_since(None, created.replace(tzinfo=None), cfg)
