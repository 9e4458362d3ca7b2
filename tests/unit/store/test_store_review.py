"""The editor's decisions in the ledger: approve, edit, reschedule, skip — compare-and-set."""

from __future__ import annotations

import pytest

from bot.errors import Conflict, Refused
from bot.store import DeliveryStatus, Store

from .conftest import T0, article, at, delivery

S = DeliveryStatus


def held(store: Store, n: int = 1, *, account: str = "x", due: int = 0):  # type: ignore[no-untyped-def]
    if store.get_article(f"https://example.org/post/{n}") is None:
        article(store, n)
    d = store.add_delivery(article_id=f"https://example.org/post/{n}", account=account,
                           platform="twitter", text=f"post {n}", link=None, payload={"n": n},
                           status=S.AWAITING_REVIEW, next_attempt_at=at(due), now=T0)
    assert d is not None and d.status == S.AWAITING_REVIEW
    return d


def test_awaiting_review_is_never_claimed_until_approved(store: Store) -> None:
    d = held(store)
    assert store.claim_next("x", owner="w", now=at(5), lease_seconds=60) is None
    approved = store.approve(d.id, version=d.version, now=at(6), actor="cli:ann")
    assert approved.status == S.PENDING and approved.version > d.version
    claimed = store.claim_next("x", owner="w", now=at(7), lease_seconds=60)
    assert claimed is not None and claimed.id == d.id
    kinds = [(e.kind, e.status, e.actor) for e in store.history(d.id)]
    assert kinds == [("queued", "awaiting_review", None), ("approved", "pending", "cli:ann"),
                     ("claimed", "sending", "w")]


def test_approving_a_rescheduled_delivery_keeps_its_time(store: Store) -> None:
    d = held(store)
    d = store.reschedule(d.id, version=d.version, at=at(120), now=at(1), actor="web:bo")
    assert d.status == S.AWAITING_REVIEW  # still waits for its approval
    approved = store.approve(d.id, version=d.version, now=at(2))
    assert approved.status == S.SCHEDULED and approved.next_attempt_at == at(120)
    assert store.claim_next("x", owner="w", now=at(60), lease_seconds=60) is None
    assert store.claim_next("x", owner="w", now=at(121), lease_seconds=60) is not None


def test_a_second_editor_with_the_same_version_gets_a_conflict(store: Store) -> None:
    d = held(store)
    store.approve(d.id, version=d.version, now=at(1), actor="web:ann")
    with pytest.raises(Conflict, match="changed since you read it"):
        store.approve(d.id, version=d.version, now=at(2), actor="web:bo")
    with pytest.raises(Conflict):
        store.edit(d.id, version=d.version, text="late", payload={}, now=at(2))
    with pytest.raises(Conflict):
        store.skip(d.id, version=d.version, now=at(2))
    assert [e.kind for e in store.history(d.id)] == ["queued", "approved"]


def test_approve_is_only_for_deliveries_awaiting_review(store: Store) -> None:
    d = delivery(store)
    with pytest.raises(Refused, match="pending; it cannot be approved"):
        store.approve(d.id, version=d.version, now=at(1))
    with pytest.raises(Refused, match="no delivery"):
        store.approve(9999, version=1, now=at(1))


def test_an_edit_keeps_the_old_text_in_the_history(store: Store) -> None:
    d = held(store)
    e = store.edit(d.id, version=d.version, text="better words", payload={"post": {"text": "b"}},
                   now=at(3), actor="web:ann")
    assert e.text == "better words" and e.payload == {"post": {"text": "b"}}
    assert e.status == S.AWAITING_REVIEW and e.version > d.version
    ev = store.history(d.id)[-1]
    assert (ev.kind, ev.actor, ev.detail) == ("edited", "web:ann", {"old_text": "post 1"})


def test_a_delivery_being_sent_cannot_be_edited_skipped_or_rescheduled(store: Store) -> None:
    d = delivery(store)
    claimed = store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    assert claimed is not None
    for version in (d.version, claimed.version, None):
        with pytest.raises(Conflict, match="being sent right now"):
            store.edit(d.id, version=version, text="new", payload={}, now=at(2))
        with pytest.raises(Conflict, match="being sent right now"):
            store.reschedule(d.id, version=version, at=at(9), now=at(2))
    with pytest.raises(Conflict, match="being sent right now"):
        store.skip(d.id, version=claimed.version, now=at(2))
    row = store.get_delivery(d.id)
    assert row is not None and row.text == d.text and row.status == S.SENDING


def test_sent_and_skipped_deliveries_are_not_edited(store: Store) -> None:
    d = delivery(store)
    store.skip(d.id, now=at(1))
    row = store.get_delivery(d.id)
    assert row is not None
    with pytest.raises(Refused, match="skipped; it cannot be edited"):
        store.edit(d.id, version=row.version, text="x", payload={}, now=at(2))


def test_rescheduling_a_failed_delivery_makes_it_scheduled(store: Store) -> None:
    d = delivery(store)
    assert store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    store.mark_retry(d.id, error="503", next_attempt_at=at(5), now=at(2), owner="w")
    row = store.get_delivery(d.id)
    assert row is not None
    moved = store.reschedule(d.id, version=row.version, at=at(30), now=at(3), actor="cli:ann")
    assert moved.status == S.SCHEDULED and moved.next_attempt_at == at(30)
    ev = store.history(d.id)[-1]
    assert ev.kind == "rescheduled" and ev.detail == {"earlier": at(5).isoformat(),
                                                      "at": at(30).isoformat()}


def test_skip_with_the_version_seen(store: Store) -> None:
    d = delivery(store)
    store.release(d.id, next_attempt_at=at(9), now=at(1))  # the row moved on
    with pytest.raises(Conflict):
        store.skip(d.id, version=d.version, now=at(2), actor="web:ann")
    row = store.get_delivery(d.id)
    assert row is not None and row.status == S.SCHEDULED
    store.skip(d.id, version=row.version, now=at(2), actor="web:ann")
    assert store.history(d.id)[-1].actor == "web:ann"


def test_a_review_timeout_is_recorded_once(store: Store) -> None:
    hold, approve = held(store, 1), held(store, 2)
    waiting = store.awaiting_review(created_before=at(10))
    assert [r.id for r in waiting] == [hold.id, approve.id]
    assert store.review_timed_out(hold.id, approve=False, now=at(10))
    assert store.review_timed_out(approve.id, approve=True, now=at(10))
    assert store.awaiting_review(created_before=at(20)) == []  # both flagged now
    assert [r.id for r in store.awaiting_review(created_before=at(20), unflagged=False)] == [
        hold.id]
    row = store.get_delivery(approve.id)
    assert row is not None and row.status == S.PENDING
    assert store.history(hold.id)[-1].detail == {"action": "hold"}
    assert not store.review_timed_out(approve.id, approve=True, now=at(11))  # no longer held


def test_the_queue_lists_review_first_then_soonest(store: Store) -> None:
    later = delivery(store, 1, due=at(50))
    soon = delivery(store, 2, due=at(5))
    review = held(store, 3, due=90)
    sent = delivery(store, 4)
    assert store.claim_specific(sent.id, owner="w", now=at(1), lease_seconds=60)
    store.mark_sent(sent.id, remote_id="9", remote_url="https://x.com/i/9", now=at(2), owner="w")
    assert [r.id for r in store.queue()] == [review.id, soon.id, later.id]
    assert [r.id for r in store.queue(account="x", limit=2)] == [review.id, soon.id]
    assert [r.id for r in store.sent_recently()] == [sent.id]


def test_queue_rows_carry_the_card_read_from_the_payload(store: Store) -> None:
    a = article(store, 1)
    payload = {"post": {"text": "hello", "length": 42},
               "article": {"title": "Ferry <b>back</b>", "image": "https://e.org/i.png",
                           "description": "It sails again."}}
    d = store.add_delivery(article_id=a.id, account="x", platform="twitter", text="hello",
                           link=a.url, payload=payload, next_attempt_at=T0, now=T0)
    bare = delivery(store, 2)  # a payload without a card
    rows = {r.id: r for r in store.queue()}
    assert d is not None
    got = rows[d.id]
    assert (got.title, got.image, got.description, got.length) == (
        "Ferry <b>back</b>", "https://e.org/i.png", "It sails again.", 42)
    assert (got.status, got.version, got.text, got.link) == (S.PENDING, d.version, "hello", a.url)
    assert (rows[bare.id].title, rows[bare.id].length) == (None, None)
