"""Resources are released and time comes from one clock.

Adapters are closed after each use (dispatch, reconcile, account checks), so their HTTP
connections end at once instead of whenever the garbage collector gets to them; the daemon
closes the shared feed clients at shutdown; dispatch settles at the time its clock gives.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.accounts import check_accounts
from bot.clock import fixed
from bot.dispatch import dispatch_account
from bot.ingest import _client, close_clients
from bot.reconcile import reconcile
from bot.store import DeliveryStatus as S
from bot.store import Store
from tests.fakes import FakeFacebook, FakeX
from tests.fakes.base import FakeServer
from tests.unit.test_dispatch import make_settings, queue


@pytest.fixture
def no_gc() -> Iterator[None]:
    """tweepy's session holds its adapter in a reference cycle: with the collector off, a
    connection only ends when the code closes it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def all_closed(*fakes: FakeServer, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(f.open_connections for f in fakes):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_dispatch_closes_each_adapter_after_use(
    x: FakeX, fb: FakeFacebook, store: Store, no_gc: None
) -> None:
    s = make_settings(x, fb)
    queue(store, s, n=2)
    for name in ("x", "fb"):
        outs = dispatch_account(s, store, s.account(name), owner="t", limit=5)
        assert [o.status for o in outs] == ["sent", "sent"]
    assert len(x.posts) == 2 and len(fb.posts) == 2
    assert all_closed(x, fb), "an adapter's connection was left open"


def test_reconcile_and_account_checks_close_their_adapters(
    x: FakeX, fb: FakeFacebook, store: Store, no_gc: None
) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    row = store.claim_next("x", owner="dead-process", now=datetime.now(UTC), lease_seconds=0.01)
    assert row is not None
    time.sleep(0.05)
    assert reconcile(s, store, owner="t") == 1  # asked X: not there, back to the queue
    assert x.calls("GET")
    checks = check_accounts(s, store)
    assert [c.ok for c in checks] == [True, True]
    assert all_closed(x, fb), "an adapter's connection was left open"


LATER = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
"""A clock three hours ahead of the wall clock."""


def test_dispatch_settles_at_the_time_its_clock_gives(
    x: FakeX, fb: FakeFacebook, store: Store
) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    later = LATER
    (out,) = dispatch_account(s, store, s.account("x"), owner="t", clock=fixed(later))
    assert out.status == "sent"
    (row,) = store.list_deliveries(account="x")
    assert row.status == S.SENT and row.sent_at == later and row.updated_at == later


def test_rate_limit_hold_is_counted_from_the_clock(
    x: FakeX, fb: FakeFacebook, store: Store
) -> None:
    s, later = make_settings(x, fb), LATER
    queue(store, s)
    # X says when its window resets; the wait it implies is held from the clock's now
    reset = int(time.time()) + 120
    x.expect(429, {"title": "Too Many Requests"},
             {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"},
             method="POST", path="/2/tweets")
    (out,) = dispatch_account(s, store, s.account("x"), owner="t", clock=fixed(later))
    assert out.status == "rate_limited"
    held = store.account_states()["x"]
    assert held.paused_until is not None
    wait = (held.paused_until - later).total_seconds()
    assert 115 <= wait <= 130, wait  # about 120 s plus the policy's 5 % margin


def test_the_shared_feed_clients_close_and_reopen(x: FakeX, fb: FakeFacebook) -> None:
    s = make_settings(x, fb)
    first = _client(s)
    assert _client(s) is first  # shared by every poll
    close_clients()
    assert first.is_closed
    second = _client(s)
    assert second is not first and not second.is_closed
    close_clients()
