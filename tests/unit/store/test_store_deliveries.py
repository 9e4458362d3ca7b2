"""Deliveries: the UNIQUE(article, account) guard, outcomes, human decisions, reports."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.errors import StoreError
from bot.store import DeliveryStatus, Store

from . import _workers
from .conftest import T0, article, at, delivery

S = DeliveryStatus


def _claim(store: Store, account: str = "x", owner: str = "w1", minutes: float = 0):  # type: ignore[no-untyped-def]
    d = store.claim_next(account, owner=owner, now=at(minutes), lease_seconds=300)
    assert d is not None
    return d


# -- the guard -----------------------------------------------------------------------------
def test_add_delivery_round_trip_and_second_add_is_none(store: Store) -> None:
    a = article(store, 1)
    d = store.add_delivery(article_id=a.id, account="x", platform="twitter", text="hello",
                           link=a.url, payload={"thread": ["a", "b"]}, next_attempt_at=at(5),
                           now=T0)
    assert d is not None
    assert (d.status, d.attempts, d.text, d.link, d.payload) == (
        S.PENDING, 0, "hello", a.url, {"thread": ["a", "b"]})
    assert (d.next_attempt_at, d.created_at, d.sent_at, d.owner) == (at(5), T0, None, None)
    assert store.add_delivery(article_id=a.id, account="x", platform="twitter", text="again",
                              link=None, payload={}, next_attempt_at=T0, now=T0) is None
    assert store.get_delivery(d.id) == d  # the first one is untouched
    assert store.find_delivery(a.id, "x") == d
    assert store.find_delivery(a.id, "facebook") is None
    other = store.add_delivery(article_id=a.id, account="facebook", platform="facebook",
                               text="fb", link=None, payload={}, status=S.SCHEDULED,
                               next_attempt_at=T0, now=T0)
    assert other is not None and other.status == S.SCHEDULED


def test_delivery_for_an_unknown_article_is_refused(store: Store) -> None:
    with pytest.raises(StoreError, match="no article"):
        store.add_delivery(article_id="https://nope", account="x", platform="twitter",
                           text="t", link=None, payload={}, next_attempt_at=T0, now=T0)


def test_unique_guard_under_threads(store: Store) -> None:
    ids = [article(store, n).id for n in range(10)]

    def add(aid: str) -> int | None:
        d = store.add_delivery(article_id=aid, account="x", platform="twitter", text="t",
                               link=None, payload={}, next_attempt_at=T0, now=T0)
        return d.id if d else None

    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(add, ids * 6))
    created = [g for g in got if g is not None]
    assert len(created) == len(set(created)) == 10
    assert store.counts() == {"x": {"pending": 10}}


def test_unique_guard_across_processes(store: Store, db_url: str) -> None:
    """4 processes x the same 20 articles: exactly one delivery each, none lost."""
    ids = [article(store, n).id for n in range(20)]
    results = _workers.run(_workers.add_deliveries,
                           [(db_url, ids, "x", T0.isoformat()) for _ in range(4)])
    created = [i for r in results for i in r]
    assert len(created) == len(set(created)) == 20
    assert {store.get_delivery(i).article_id for i in created} == set(ids)  # type: ignore[union-attr]
    assert store.counts() == {"x": {"pending": 20}}


# -- outcomes ------------------------------------------------------------------------------
def test_mark_sent_by_the_owner(store: Store) -> None:
    d = delivery(store)
    c = _claim(store, minutes=1)
    store.mark_sent(c.id, remote_id="1799", remote_url="https://x.com/i/1799", now=at(2),
                    owner="w1")
    s = store.get_delivery(d.id)
    assert s is not None
    assert (s.status, s.remote_id, s.remote_url, s.sent_at) == (
        S.SENT, "1799", "https://x.com/i/1799", at(2))
    assert (s.owner, s.lease_expires_at, s.attempts) == (None, None, 1)
    assert store.account_states()["x"].last_sent_at == at(2)


@pytest.mark.parametrize("mark", ["sent", "retry", "dead", "uncertain", "awaiting_human",
                                  "release"])
def test_marks_with_a_wrong_owner_raise_and_change_nothing(store: Store, mark: str) -> None:
    delivery(store)
    c = _claim(store, owner="w1")
    calls = {
        "sent": lambda: store.mark_sent(c.id, remote_id="1", remote_url=None, now=at(1),
                                        owner="w2"),
        "retry": lambda: store.mark_retry(c.id, error="e", next_attempt_at=at(9), now=at(1),
                                          owner="w2"),
        "dead": lambda: store.mark_dead(c.id, error="e", now=at(1), owner="w2"),
        "uncertain": lambda: store.mark_uncertain(c.id, error="e", now=at(1), owner="w2"),
        "awaiting_human": lambda: store.mark_awaiting_human(c.id, now=at(1), owner="w2"),
        "release": lambda: store.release(c.id, next_attempt_at=at(9), now=at(1), owner="w2"),
    }
    with pytest.raises(StoreError, match="lost the lease"):
        calls[mark]()
    assert store.get_delivery(c.id) == c


def test_owner_check_fails_once_another_worker_took_over(store: Store) -> None:
    delivery(store)
    c = _claim(store, owner="w1")
    assert store.take_over_stale(c.id, owner="w2", now=at(10), lease_seconds=60) is not None
    with pytest.raises(StoreError, match=r"lost the lease.*owned by w2"):
        store.mark_sent(c.id, remote_id="1", remote_url=None, now=at(11), owner="w1")
    store.mark_sent(c.id, remote_id="1", remote_url=None, now=at(11), owner="w2")
    with pytest.raises(StoreError, match=r"lost the lease.*sent"):
        store.mark_dead(c.id, error="late", now=at(12), owner="w2")


def test_retry_dead_uncertain_outcomes(store: Store) -> None:
    d1, d2, d3 = (delivery(store, n) for n in (1, 2, 3))
    for d in (d1, d2, d3):
        assert _claim(store).id == d.id
    store.mark_retry(d1.id, error="HTTP 503", next_attempt_at=at(30), now=at(1), owner="w1")
    store.mark_dead(d2.id, error="rejected: duplicate", now=at(1), owner="w1")
    store.mark_uncertain(d3.id, error="crash during send", now=at(1), owner="w1")
    r1, r2, r3 = (store.get_delivery(d.id) for d in (d1, d2, d3))
    assert r1 is not None and r2 is not None and r3 is not None
    assert (r1.status, r1.last_error, r1.next_attempt_at, r1.owner) == (
        S.FAILED, "HTTP 503", at(30), None)
    assert (r2.status, r2.last_error) == (S.DEAD, "rejected: duplicate")
    assert (r3.status, r3.last_error) == (S.UNCERTAIN, "crash during send")
    assert store.next_due("x") == at(30)  # only the failed one will come back by itself


def test_release_does_not_count_the_attempt(store: Store) -> None:
    delivery(store)
    c = _claim(store)
    assert c.attempts == 1
    store.release(c.id, next_attempt_at=at(60), now=at(1), owner="w1", error="rate limited")
    r = store.get_delivery(c.id)
    assert r is not None
    assert (r.status, r.attempts, r.next_attempt_at, r.last_error, r.owner) == (
        S.SCHEDULED, 0, at(60), "rate limited", None)
    assert store.claim_next("x", owner="w1", now=at(59), lease_seconds=60) is None
    assert _claim(store, minutes=60).attempts == 1


def test_awaiting_human_then_done(store: Store) -> None:
    delivery(store, account="youtube")
    c = _claim(store, account="youtube")
    store.mark_awaiting_human(c.id, now=at(1), owner="w1")
    r = store.get_delivery(c.id)
    assert r is not None and (r.status, r.owner) == (S.AWAITING_HUMAN, None)
    store.mark_human_done(c.id, remote_url="https://youtube.com/post/1", now=at(90))
    r = store.get_delivery(c.id)
    assert r is not None
    assert (r.status, r.remote_url, r.sent_at) == (S.SENT, "https://youtube.com/post/1", at(90))
    with pytest.raises(StoreError, match="not awaiting a human"):
        store.mark_human_done(c.id, remote_url=None, now=at(91))


def test_a_sent_delivery_never_goes_back(store: Store) -> None:
    """Whatever a confused caller says afterwards, a sent post is not made due again."""
    delivery(store)
    c = _claim(store)
    store.mark_sent(c.id, remote_id="1", remote_url="u1", now=at(1), owner="w1")
    for change in (
        lambda: store.mark_retry(c.id, error="e", next_attempt_at=at(2), now=at(2)),
        lambda: store.mark_dead(c.id, error="e", now=at(2)),
        lambda: store.mark_uncertain(c.id, error="e", now=at(2)),
        lambda: store.mark_awaiting_human(c.id, now=at(2)),
        lambda: store.release(c.id, next_attempt_at=at(2), now=at(2)),
    ):
        with pytest.raises(StoreError, match="already sent"):
            change()
    assert store.retry_all_failed(now=at(3)) == 0
    assert store.claim_specific(c.id, owner="w2", now=at(3), lease_seconds=60) is None
    assert store.claim_next("x", owner="w2", now=at(3), lease_seconds=60) is None
    # recording the remote post again (e.g. after reconciling) is allowed
    store.mark_sent(c.id, remote_id="1", remote_url="u2", now=at(4))
    r = store.get_delivery(c.id)
    assert r is not None and (r.status, r.remote_url, r.sent_at) == (S.SENT, "u2", at(1))


def test_marks_on_a_missing_delivery_raise(store: Store) -> None:
    with pytest.raises(StoreError, match="no delivery 999"):
        store.mark_sent(999, remote_id=None, remote_url=None, now=T0)


# -- human decisions -----------------------------------------------------------------------
def test_skip_and_retry_transitions(store: Store) -> None:
    d = delivery(store)
    store.skip(d.id, now=at(1))
    assert store.get_delivery(d.id).status == S.SKIPPED  # type: ignore[union-attr]
    assert store.claim_next("x", owner="w", now=at(2), lease_seconds=60) is None
    store.skip(d.id, now=at(2))  # again: nothing to do
    store.retry(d.id, now=at(3))
    r = store.get_delivery(d.id)
    assert r is not None and (r.status, r.next_attempt_at, r.attempts) == (S.PENDING, at(3), 0)
    c = _claim(store, minutes=3)
    with pytest.raises(StoreError, match="cannot be skipped"):
        store.skip(c.id, now=at(4))  # in flight
    with pytest.raises(StoreError, match="only failed, dead"):
        store.retry(c.id, now=at(4))
    store.mark_sent(c.id, remote_id="1", remote_url=None, now=at(4), owner="w1")
    with pytest.raises(StoreError, match="cannot be skipped"):
        store.skip(c.id, now=at(5))
    with pytest.raises(StoreError, match="only failed, dead"):
        store.retry(c.id, now=at(5))


def test_forced_retry_reopens_a_sent_delivery_with_a_new_post(store: Store) -> None:
    """`bot post --force`: posting again on purpose, with the freshly rendered text."""
    delivery(store)
    c = _claim(store)
    with pytest.raises(StoreError, match="is sending"):
        store.retry(c.id, now=at(1), force=True)  # never while it is being sent
    store.mark_sent(c.id, remote_id="1", remote_url="u", now=at(1), owner="w1")
    with pytest.raises(StoreError, match="force it to post again"):
        store.retry(c.id, now=at(2))
    store.retry(c.id, now=at(2), force=True, text="new text", payload={"v": 2})
    r = store.get_delivery(c.id)
    assert r is not None
    assert (r.status, r.text, r.payload, r.attempts, r.next_attempt_at) == (
        S.PENDING, "new text", {"v": 2}, 0, at(2))
    assert r.link == c.link  # not given: kept
    again = store.claim_specific(c.id, owner="cli", now=at(3), lease_seconds=60)
    assert again is not None and again.text == "new text"


def test_retry_resets_attempts_of_a_dead_delivery(store: Store) -> None:
    delivery(store)
    for i in range(3):
        c = _claim(store, minutes=i * 10)
        store.mark_retry(c.id, error="5xx", next_attempt_at=at(i * 10 + 5), now=at(i * 10),
                         owner="w1")
    store.mark_dead(c.id, error="gave up", now=at(40))
    assert store.get_delivery(c.id).attempts == 3  # type: ignore[union-attr]
    store.retry(c.id, now=at(50))
    assert _claim(store, minutes=50).attempts == 1


def test_retry_all_failed_takes_failed_and_dead_only(store: Store) -> None:
    ds = [delivery(store, n) for n in range(5)]
    claimed = [_claim(store) for _ in ds]
    store.mark_retry(claimed[0].id, error="e", next_attempt_at=at(90), now=at(1))
    store.mark_dead(claimed[1].id, error="e", now=at(1))
    store.mark_uncertain(claimed[2].id, error="e", now=at(1))
    store.mark_sent(claimed[3].id, remote_id="1", remote_url=None, now=at(1))
    assert store.retry_all_failed(now=at(2)) == 2
    statuses = {d.id: store.get_delivery(d.id).status for d in ds}  # type: ignore[union-attr]
    assert statuses == {ds[0].id: S.PENDING, ds[1].id: S.PENDING, ds[2].id: S.UNCERTAIN,
                        ds[3].id: S.SENT, ds[4].id: S.SENDING}
    assert store.next_due("x") == at(2)


# -- reports -------------------------------------------------------------------------------
def test_list_deliveries_newest_first_with_filters(store: Store) -> None:
    for n in range(4):
        delivery(store, n, account="x", now=at(n))
        delivery(store, n, account="facebook", now=at(n))
    rows = store.list_deliveries()
    assert [(r.created_at, r.account) for r in rows][:2] == [(at(3), "facebook"), (at(3), "x")]
    assert [r.created_at for r in rows] == sorted((r.created_at for r in rows), reverse=True)
    assert len(store.list_deliveries(limit=3)) == 3
    xs = store.list_deliveries(account="x")
    assert {r.account for r in xs} == {"x"} and len(xs) == 4
    c = _claim(store, account="x", minutes=10)
    assert [r.id for r in store.list_deliveries(status=S.SENDING)] == [c.id]
    assert len(store.list_deliveries(status=[S.SENDING, S.PENDING])) == 8
    assert len(store.list_deliveries(status=[S.SENDING, S.PENDING], account="facebook")) == 4


def test_counts_next_due_sent_since(store: Store) -> None:
    delivery(store, 1, due=at(30))
    delivery(store, 2, due=at(10))
    delivery(store, 3, due=at(20), account="facebook")
    assert store.next_due("x") == at(10)
    assert store.next_due("youtube") is None
    c = _claim(store, minutes=15)
    store.mark_sent(c.id, remote_id="1", remote_url=None, now=at(16), owner="w1")
    assert store.counts() == {"x": {"pending": 1, "sent": 1}, "facebook": {"pending": 1}}
    assert store.next_due("x") == at(30)
    assert store.sent_since("x", at(16)) == 1
    assert store.sent_since("x", at(17)) == 0
    assert store.sent_since("facebook", T0) == 0
