"""Why a post waits: the next slot after windows, spacing, caps and pauses, in local time.

Expected instants are worked out by hand: Europe/Istanbul is UTC+3 all year.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from bot.config import Account, PostingWindow
from bot.policy import Wait, next_post
from bot.store import Store
from bot.waits import account_wait, describe, local_time, log_wait

IST = "Europe/Istanbul"


def acct(**kw: Any) -> Account:
    kw.setdefault("min_spacing_minutes", 0)
    return Account(name="x", platform="twitter", timezone=IST, **kw)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


WINDOW = PostingWindow(start=time(9, 0), end=time(22, 0))


@pytest.mark.parametrize(("kw", "state", "expected"), [
    # nothing queued / due now
    ({}, {"due_at": None}, Wait(None, "nothing queued")),
    ({}, {"due_at": utc(1, 3)}, Wait(utc(1, 3), "due")),
    # its own next attempt (a retry's backoff)
    ({}, {"due_at": utc(1, 4)}, Wait(utc(1, 4), "waiting to retry")),
    # 03:00 UTC is 06:00 in Istanbul: the window opens at 09:00 local = 06:00 UTC
    ({"window": WINDOW}, {"due_at": utc(1, 3)}, Wait(utc(1, 6), "posting window")),
    # spacing: last claim 02:50, 30 minutes
    ({"min_spacing_minutes": 30}, {"due_at": utc(1, 3), "last_claim_at": utc(1, 2, 50)},
     Wait(utc(1, 3, 20), "spacing")),
    # cap used: local midnight of 2 December is 21:00 UTC on 1 December
    ({"daily_cap": 2}, {"due_at": utc(1, 3), "cap_used": 2}, Wait(utc(1, 21), "daily cap")),
    ({"daily_cap": 2}, {"due_at": utc(1, 3), "cap_used": 1}, Wait(utc(1, 3), "due")),
    # cap, then the next day's window: 09:00 local on 2 December
    ({"daily_cap": 2, "window": WINDOW}, {"due_at": utc(1, 3), "cap_used": 2},
     Wait(utc(2, 6), "posting window")),
    # pauses: until a time (rate limit), or until a human resumes the account
    ({}, {"due_at": utc(1, 3), "paused": True, "paused_until": utc(1, 3, 15)},
     Wait(utc(1, 3, 15), "paused")),
    ({}, {"due_at": utc(1, 3), "paused": True}, Wait(None, "paused")),
])
def test_next_post_applies_every_rule(kw: dict[str, Any], state: dict[str, Any],
                                      expected: Wait) -> None:
    assert next_post(acct(**kw), utc(1, 3), **state) == expected


def test_times_read_in_the_accounts_zone() -> None:
    a = acct(window=WINDOW)
    now = utc(1, 3)
    assert local_time(utc(1, 6), a, now) == "09:00 Europe/Istanbul"
    assert local_time(utc(2, 6), a, now) == "2026-12-02 09:00 Europe/Istanbul"
    assert describe(Wait(utc(1, 6), "posting window"), a, now) == (
        "next post at 09:00 Europe/Istanbul (posting window)")
    assert describe(Wait(None, "paused"), a, now) == "paused until `bot accounts resume x`"


def _queue(store: Store, n: int, now: datetime) -> None:
    for i in range(n):
        store.add_article(id=f"a{i}", feed=None, guid=None, url=f"a{i}", title="A",
                          content_hash=f"h{i}", published_at=None, payload={}, now=now)
        store.add_delivery(article_id=f"a{i}", account="x", platform="twitter", text="t",
                           link=None, payload={}, next_attempt_at=now, now=now)


def test_the_ledger_state_decides_the_wait(store: Store) -> None:
    now = datetime.now(UTC)
    a = acct(min_spacing_minutes=20, daily_cap=1)
    assert account_wait(store, a, now) == Wait(None, "nothing queued")
    _queue(store, 2, now)
    assert account_wait(store, a, now) == Wait(now, "due")
    claimed = store.claim_next("x", owner="t", now=now, lease_seconds=60)
    assert claimed is not None
    store.mark_sent(claimed.id, remote_id="1", remote_url=None, now=now, owner="t")
    wait = account_wait(store, a, now + timedelta(minutes=1))
    assert wait.reason == "daily cap" and wait.at is not None and wait.at > now
    store.pause_account("x", reason="auth", until=None, now=now)
    assert account_wait(store, a, now) == Wait(None, "paused")


def test_the_daemon_logs_why_a_post_waits_once_per_change(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    now = utc(1, 3)  # 06:00 in Istanbul, before the window
    a = Account(name="wx", platform="twitter", timezone=IST, window=WINDOW,
                min_spacing_minutes=0)
    store.add_article(id="b", feed=None, guid=None, url="b", title="B", content_hash="hb",
                      published_at=None, payload={}, now=now)
    store.add_delivery(article_id="b", account="wx", platform="twitter", text="t", link=None,
                       payload={}, next_attempt_at=now, now=now)
    with caplog.at_level(logging.INFO, logger="bot.dispatch"):
        for minute in range(3):
            log_wait(store, a, now + timedelta(minutes=minute))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["wx: next post at 09:00 Europe/Istanbul (posting window)"]
