"""claim_next / claim_specific / leases: one sender per delivery, spacing and caps hold."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import delete

from bot.store import DeliveryStatus, Store
from bot.store.schema import DeliveryEvent

from . import _workers
from .conftest import T0, at, delivery

S = DeliveryStatus


def test_claims_the_most_overdue_first_and_only_when_due(store: Store) -> None:
    late = delivery(store, 1, due=at(10))
    early = delivery(store, 2, due=at(5))
    delivery(store, 3, account="facebook", due=T0)  # another account's
    assert store.claim_next("x", owner="w", now=at(4), lease_seconds=60) is None
    c = store.claim_next("x", owner="w", now=at(10), lease_seconds=60)
    assert c is not None and c.id == early.id
    assert (c.status, c.owner, c.attempts) == (S.SENDING, "w", 1)
    assert (c.claimed_at, c.lease_expires_at, c.updated_at) == (at(10), at(11), at(10))
    assert store.get_delivery(c.id) == c
    c2 = store.claim_next("x", owner="w", now=at(10), lease_seconds=60)
    assert c2 is not None and c2.id == late.id
    assert store.claim_next("x", owner="w", now=at(10), lease_seconds=60) is None
    assert store.account_states()["x"].last_claim_at == at(10)


def test_failed_deliveries_come_back_when_due(store: Store) -> None:
    delivery(store)
    c = store.claim_next("x", owner="w", now=T0, lease_seconds=60)
    assert c is not None
    store.mark_retry(c.id, error="503", next_attempt_at=at(5), now=T0, owner="w")
    assert store.claim_next("x", owner="w", now=at(4), lease_seconds=60) is None
    again = store.claim_next("x", owner="w", now=at(5), lease_seconds=60)
    assert again is not None and (again.id, again.attempts) == (c.id, 2)


def test_paused_account_is_not_claimed(store: Store) -> None:
    delivery(store)
    store.pause_account("x", reason="token revoked", until=None, now=T0)
    st = store.account_states()["x"]
    assert (st.paused, st.paused_reason, st.is_paused(at(10**6))) == (True, "token revoked", True)
    assert store.claim_next("x", owner="w", now=at(60), lease_seconds=60) is None
    store.resume_account("x")
    assert store.claim_next("x", owner="w", now=at(60), lease_seconds=60) is not None


def test_pause_with_an_end_expires_by_itself(store: Store) -> None:
    delivery(store)
    store.pause_account("x", reason="rate limited", until=at(15), now=T0)
    assert store.claim_next("x", owner="w", now=at(14), lease_seconds=60) is None
    assert store.claim_next("x", owner="w", now=at(15), lease_seconds=60) is not None
    st = store.account_states()["x"]
    assert (st.paused, st.paused_until, st.paused_reason) == (False, None, None)


def test_min_spacing_between_claims(store: Store) -> None:
    for n in range(3):
        delivery(store, n)
    kw = {"owner": "w", "lease_seconds": 60, "min_spacing_seconds": 600}
    assert store.claim_next("x", now=T0, **kw) is not None  # type: ignore[arg-type]
    assert store.claim_next("x", now=at(9.9), **kw) is None  # type: ignore[arg-type]
    assert store.claim_next("x", now=at(10), **kw) is not None  # type: ignore[arg-type]
    # spacing is per account
    delivery(store, 9, account="facebook")
    assert store.claim_next("facebook", now=at(10), **kw) is not None  # type: ignore[arg-type]


def test_daily_cap_counts_sent_sending_and_handed_off_since_day_start(store: Store) -> None:
    for n in range(6):
        delivery(store, n)
    day = T0.replace(hour=0)
    kw = {"owner": "w", "lease_seconds": 60, "daily_cap": 3, "day_start": day}
    a = store.claim_next("x", now=at(0), **kw)  # type: ignore[arg-type]
    b = store.claim_next("x", now=at(1), **kw)  # type: ignore[arg-type]
    c = store.claim_next("x", now=at(2), **kw)  # type: ignore[arg-type]
    assert a and b and c
    store.mark_sent(a.id, remote_id="1", remote_url=None, now=at(3))
    store.mark_awaiting_human(b.id, now=at(3))
    assert store.claim_next("x", now=at(4), **kw) is None  # type: ignore[arg-type]
    # a failure frees its slot: only what went out (or is going out) counts
    store.mark_retry(c.id, error="e", next_attempt_at=at(100), now=at(5))
    d = store.claim_next("x", now=at(6), **kw)  # type: ignore[arg-type]
    assert d is not None and d.id != c.id
    assert store.claim_next("x", now=at(7), **kw) is None  # type: ignore[arg-type]
    # the next day the cap starts again
    next_day = day + timedelta(days=1)
    assert store.claim_next("x", owner="w", now=next_day, lease_seconds=60, daily_cap=3,
                            day_start=next_day) is not None


def test_claimers_in_threads_never_share_a_delivery(store: Store) -> None:
    ids = {delivery(store, n).id for n in range(30)}

    def worker(i: int) -> list[int]:
        got = []
        while (d := store.claim_next("x", owner=f"t{i}", now=T0, lease_seconds=60)) is not None:
            got.append(d.id)
        return got

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(worker, range(6)))
    claimed = [i for r in results for i in r]
    assert sorted(claimed) == sorted(ids)  # each exactly once, none missed


def test_claimers_in_processes_never_share_a_delivery(store: Store, db_url: str) -> None:
    ids = {delivery(store, n).id for n in range(40)}
    results = _workers.run(_workers.claim_in_rounds,
                           [(db_url, "x", f"p{i}", T0.isoformat(), 11) for i in range(4)])
    claimed = [c[0] for r in results for c in r]
    assert sorted(claimed) == sorted(ids)  # each exactly once, none missed
    # Four claims meet in every round: while rows are left, a claim waits for the others
    # and then takes the next row; it never comes back empty-handed or with a taken one.
    assert [len(r) for r in results] == [10, 10, 10, 10]
    spans = sorted((start, end, i) for i, r in enumerate(results) for _, start, end in r)
    assert any(b[0] < a[1] and a[2] != b[2] for a, b in itertools.pairwise(spans)), \
        "no two processes were ever claiming at the same time"
    owners = {store.get_delivery(i).owner for i in ids}  # type: ignore[union-attr]
    assert owners <= {f"p{i}" for i in range(4)}


def test_spacing_holds_across_concurrent_processes(store: Store, db_url: str) -> None:
    for n in range(10):
        delivery(store, n)
    results = _workers.run(_workers.claim_until_empty,
                           [(db_url, "x", f"p{i}", T0.isoformat(), 600, None) for i in range(4)])
    assert sum(len(r) for r in results) == 1


def test_daily_cap_holds_across_concurrent_processes(store: Store, db_url: str) -> None:
    for n in range(12):
        delivery(store, n)
    results = _workers.run(_workers.claim_until_empty,
                           [(db_url, "x", f"p{i}", T0.isoformat(), 0, 5) for i in range(4)])
    assert sum(len(r) for r in results) == 5
    assert store.counts()["x"] == {"sending": 5, "pending": 7}


def test_spacing_and_cap_hold_across_threads(store: Store) -> None:
    for n in range(10):
        delivery(store, n)

    def once(i: int) -> bool:
        return store.claim_next("x", owner=f"t{i}", now=T0, lease_seconds=60,
                                min_spacing_seconds=60) is not None

    with ThreadPoolExecutor(6) as pool:
        assert sum(pool.map(once, range(12))) == 1


# -- claim_specific ------------------------------------------------------------------------
def test_claim_specific_ignores_schedule_but_not_state(store: Store) -> None:
    d = delivery(store, due=at(600))
    c = store.claim_specific(d.id, owner="cli", now=T0, lease_seconds=60)
    assert c is not None and (c.status, c.owner, c.attempts) == (S.SENDING, "cli", 1)
    assert store.claim_specific(d.id, owner="other", now=T0, lease_seconds=60) is None
    # even a stale lease is not claimable: it must be reconciled first
    assert store.claim_specific(d.id, owner="other", now=at(5), lease_seconds=60) is None
    store.mark_sent(d.id, remote_id="1", remote_url=None, now=at(1), owner="cli")
    assert store.claim_specific(d.id, owner="cli", now=at(2), lease_seconds=60) is None
    assert store.claim_specific(12345, owner="cli", now=at(2), lease_seconds=60) is None
    assert store.account_states()["x"].last_claim_at == T0


def test_claim_specific_refuses_dead_until_retried(store: Store) -> None:
    d = delivery(store)
    store.mark_dead(d.id, error="rejected", now=T0)
    assert store.claim_specific(d.id, owner="cli", now=at(1), lease_seconds=60) is None
    store.retry(d.id, now=at(2))
    assert store.claim_specific(d.id, owner="cli", now=at(2), lease_seconds=60) is not None


# -- leases --------------------------------------------------------------------------------
def test_expired_lease_is_stale_and_taken_over_once(store: Store) -> None:
    d = delivery(store, 1)
    delivery(store, 2, account="facebook")
    c = store.claim_next("x", owner="crashed", now=T0, lease_seconds=60)
    f = store.claim_next("facebook", owner="alive", now=T0, lease_seconds=3600)
    assert c is not None and f is not None
    assert store.stale_sending(now=at(0.5)) == []
    assert [r.id for r in store.stale_sending(now=at(1))] == [d.id]  # lease end is inclusive
    assert [r.id for r in store.stale_sending(now=at(2), account="x")] == [d.id]
    assert store.stale_sending(now=at(2), account="facebook") == []

    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda o: store.take_over_stale(
            d.id, owner=o, now=at(2), lease_seconds=120), ["r1", "r2", "r3", "r4"]))
    winners = [g for g in got if g is not None]
    assert len(winners) == 1
    w = winners[0]
    assert (w.status, w.lease_expires_at, w.attempts) == (S.SENDING, at(4), 1)
    assert store.stale_sending(now=at(3)) == []
    assert store.take_over_stale(f.id, owner="r1", now=at(2), lease_seconds=60) is None
    store.mark_uncertain(d.id, error="platform cannot tell", now=at(3), owner=w.owner)
    assert store.get_delivery(d.id).status == S.UNCERTAIN  # type: ignore[union-attr]
    assert store.take_over_stale(d.id, owner="r1", now=at(10), lease_seconds=60) is None


def test_a_delivery_tried_before_keeps_its_place_ahead_of_the_backlog(store: Store) -> None:
    """A retry (its first attempt may be online) is not queued behind 100 newer deliveries
    that became due while it waited: the look-up before its resend stays short."""
    tried = delivery(store, 1, due=T0)
    c = store.claim_next("x", owner="w", now=T0, lease_seconds=60)
    assert c is not None and c.id == tried.id
    store.mark_retry(c.id, error="connection reset", next_attempt_at=at(5), now=T0, owner="w")
    backlog = [delivery(store, n, due=at(1)) for n in range(2, 102)]  # due before the retry
    order = []
    for minute in (4, 6, 6):
        got = store.claim_next("x", owner="w", now=at(minute), lease_seconds=60)
        assert got is not None
        order.append(got.id)
        store.mark_sent(got.id, remote_id=str(got.id), remote_url=None, now=at(minute),
                        owner="w")
    # before it is due the backlog moves; once due, the retry goes first
    assert order == [backlog[0].id, tried.id, backlog[1].id]


def test_bot_retry_keeps_the_place_too(store: Store) -> None:
    """`bot retry` resets the attempts but not the error: still ahead of never-tried ones."""
    tried = delivery(store, 1, due=T0)
    c = store.claim_next("x", owner="w", now=T0, lease_seconds=60)
    assert c is not None
    store.mark_uncertain(c.id, error="gave up; may be online", now=T0, owner="w")
    delivery(store, 2, due=T0)
    store.retry(tried.id, now=at(3))
    got = store.claim_next("x", owner="w", now=at(3), lease_seconds=60)
    assert got is not None and got.id == tried.id


def test_the_first_claim_is_remembered_across_retries_until_a_forced_repost(
        store: Store) -> None:
    """Look-ups read back to the first claim: the earliest a post can have gone out."""
    d = delivery(store, 1, due=T0, now=T0 - timedelta(hours=5))  # queued long before
    assert store.first_claim_at(d.id) is None  # never claimed
    c = store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    assert c is not None and store.first_claim_at(c.id) == at(1)
    store.mark_retry(c.id, error="timeout", next_attempt_at=at(2), now=at(1), owner="w")
    c2 = store.claim_next("x", owner="w", now=at(3), lease_seconds=60)
    assert c2 is not None and store.first_claim_at(c2.id) == at(1)
    store.mark_dead(c2.id, error="gave up", now=at(3), owner="w")
    store.retry(c2.id, now=at(4), payload={"n": 1, "v": 2})  # `bot post` re-renders it
    c3 = store.claim_specific(c2.id, owner="cli", now=at(5), lease_seconds=60)
    assert c3 is not None and store.first_claim_at(c3.id) == at(1)
    store.mark_sent(c3.id, remote_id="1", remote_url=None, now=at(5), owner="cli")
    store.retry(c3.id, now=at(6), force=True)  # posting again on purpose: a new window
    assert store.first_claim_at(c3.id) is None
    c4 = store.claim_specific(c3.id, owner="cli", now=at(7), lease_seconds=60)
    assert c4 is not None and store.first_claim_at(c4.id) == at(7)


def test_a_delivery_older_than_the_history_falls_back_to_its_creation(store: Store) -> None:
    """Rows queued before the history existed have no `queued` event: their claims since
    do not show when the first attempt was, so the caller reads from their creation."""
    d = delivery(store, 1, due=T0)
    assert store.claim_next("x", owner="w", now=at(1), lease_seconds=60) is not None
    with store._session("forget how it was queued") as s:
        s.execute(delete(DeliveryEvent).where(DeliveryEvent.kind == "queued"))
    assert store.first_claim_at(d.id) is None
