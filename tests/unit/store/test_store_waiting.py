"""What waits and why: previews skipped only while still previewed, re-open-and-claim in one
transaction, the daily cap in use, the earlier URLs of a forced post. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.errors import StoreError
from bot.store import DeliveryStatus, Store

from .conftest import T0, at, delivery

S = DeliveryStatus


def previewed(store: Store, n: int = 1) -> int:
    d = delivery(store, n)
    claimed = store.claim_specific(d.id, owner="w", now=T0, lease_seconds=60)
    assert claimed is not None
    store.mark_previewed(d.id, now=T0, owner="w")
    return d.id


def test_expire_preview_acts_only_on_a_preview(store: Store) -> None:
    first, second = previewed(store, 1), previewed(store, 2)
    assert store.expire_preview(first, now=at(1), reason="too old", actor="sweep")
    assert not store.expire_preview(first, now=at(2), reason="too old")  # already skipped
    row = store.get_delivery(first)
    assert row is not None and row.status == S.SKIPPED
    (event,) = [e for e in store.history(first) if e.kind == "skipped"]
    assert (event.actor, event.detail, event.status) == ("sweep", {"reason": "too old"},
                                                         "skipped")
    # a human's `bot send` got there first: the sweep leaves it alone
    store.retry(second, now=at(1))
    assert not store.expire_preview(second, now=at(2), reason="too old")
    again = store.get_delivery(second)
    assert again is not None and again.status == S.PENDING


def test_reopen_and_claim_is_one_step(store: Store) -> None:
    d = previewed(store)
    row = store.reopen_and_claim(d, owner="cli", now=at(1), lease_seconds=60,
                                 payload={"n": 1, "fresh": True}, actor="cli:me")
    assert row is not None
    assert (row.status, row.owner, row.attempts, row.payload) == (
        S.SENDING, "cli", 1, {"n": 1, "fresh": True})
    assert [e.kind for e in store.history(d)][-2:] == ["retried", "claimed"]
    state = store.get_account_state("x")
    assert state is not None and state.last_claim_at == at(1)  # spacing counts from it
    assert store.reopen_and_claim(d, owner="other", now=at(2), lease_seconds=60) is None
    store.mark_sent(d, remote_id="9", remote_url="https://x.test/9", now=at(2), owner="cli")
    with pytest.raises(StoreError, match="force it to post again"):
        store.reopen_and_claim(d, owner="cli", now=at(3), lease_seconds=60)
    forced = store.reopen_and_claim(d, owner="cli", now=at(3), lease_seconds=60, force=True)
    assert forced is not None and forced.status == S.SENDING
    store.mark_sent(d, remote_id="10", remote_url="https://x.test/10", now=at(4), owner="cli")
    assert store.earlier_urls([d]) == {d: ["https://x.test/9"]}
    assert store.earlier_urls([]) == {}


def test_cap_used_counts_sent_in_flight_and_handed_off(store: Store) -> None:
    ids = [delivery(store, n).id for n in (1, 2, 3, 4)]
    for i in ids[:3]:
        assert store.claim_specific(i, owner="w", now=at(10), lease_seconds=60) is not None
    store.mark_sent(ids[0], remote_id="1", remote_url=None, now=at(11), owner="w")
    store.mark_awaiting_human(ids[1], now=at(11), owner="w")
    store.mark_previewed(ids[2], now=at(11), owner="w")  # a preview is not a post
    assert store.cap_used("x", since=at(5)) == 2
    assert store.cap_used("x", since=at(20)) == 0
    assert store.cap_used("nobody", since=T0) == 0


def test_get_articles_reads_many_at_once(store: Store) -> None:
    ids = [delivery(store, n).article_id for n in range(1, 4)]
    got = store.get_articles([*ids, ids[0], "https://example.org/missing"])
    assert sorted(got) == sorted(ids)
    assert got[ids[1]].title == "Post 2"
    assert store.get_articles([]) == {}


def test_hold_for_decision_only_before_a_claim(store: Store) -> None:
    first, second = delivery(store, 1).id, delivery(store, 2).id
    assert store.hold_for_decision(first, now=at(1), reason="queued in dry run", actor="sweep")
    row = store.get_delivery(first)
    assert row is not None and row.status == S.PREVIEWED and row.attempts == 0
    assert store.history(first)[-1].detail == {"reason": "queued in dry run"}
    assert not store.hold_for_decision(first, now=at(2), reason="again")  # already held
    assert store.claim_specific(second, owner="w", now=at(1), lease_seconds=60) is not None
    assert not store.hold_for_decision(second, now=at(2), reason="too late")  # being sent
