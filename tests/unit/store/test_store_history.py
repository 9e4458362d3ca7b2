"""A delivery's history, its version counter, and previewed deliveries."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.errors import StoreError
from bot.store import DeliveryStatus, Store

from .conftest import T0, at, delivery

S = DeliveryStatus


def test_every_change_leaves_one_event_in_order(store: Store) -> None:
    d = delivery(store)
    claimed = store.claim_next("x", owner="w1", now=at(1), lease_seconds=60)
    assert claimed is not None
    store.mark_retry(d.id, error="HTTP 503", next_attempt_at=at(5), now=at(2), owner="w1")
    assert store.claim_next("x", owner="w2", now=at(6), lease_seconds=60) is not None
    store.mark_sent(d.id, remote_id="1", remote_url="https://x.com/i/1", now=at(7), owner="w2")

    events = store.history(d.id)
    assert [(e.kind, e.status, e.actor) for e in events] == [
        ("queued", "pending", None), ("claimed", "sending", "w1"), ("failed", "failed", "w1"),
        ("claimed", "sending", "w2"), ("sent", "sent", "w2"),
    ]
    assert events[1].detail == {"attempt": 1} and events[3].detail == {"attempt": 2}
    assert events[2].detail["error"] == "HTTP 503"
    assert events[2].detail["next_attempt_at"] == at(5).isoformat()
    assert events[4].detail == {"remote_id": "1", "remote_url": "https://x.com/i/1"}
    assert [e.at for e in events] == [T0, at(1), at(2), at(6), at(7)]


def test_forcing_a_sent_delivery_keeps_the_earlier_post_in_its_history(store: Store) -> None:
    d = delivery(store)
    assert store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    store.mark_sent(d.id, remote_id="111", remote_url="https://x.com/i/111", now=at(2), owner="w")
    store.retry(d.id, now=at(3), force=True, text="new text", actor="cli")
    assert store.claim_specific(d.id, owner="w", now=at(4), lease_seconds=60)
    store.mark_sent(d.id, remote_id="222", remote_url="https://x.com/i/222", now=at(5), owner="w")

    forced = next(e for e in store.history(d.id) if e.kind == "forced")
    assert forced.actor == "cli" and forced.status == "pending"
    assert forced.detail == {"earlier_remote_id": "111", "earlier_remote_url": "https://x.com/i/111",
                             "earlier_status": "sent", "rerendered": True}
    row = store.get_delivery(d.id)
    assert row is not None and row.remote_url == "https://x.com/i/222" and row.text == "new text"


def test_the_version_goes_up_with_every_change(store: Store) -> None:
    d = delivery(store)
    versions = [d.version]
    assert store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    versions.append(store.get_delivery(d.id).version)  # type: ignore[union-attr]
    store.release(d.id, next_attempt_at=at(2), now=at(1), owner="w")
    versions.append(store.get_delivery(d.id).version)  # type: ignore[union-attr]
    store.skip(d.id, now=at(3))
    versions.append(store.get_delivery(d.id).version)  # type: ignore[union-attr]
    assert versions == sorted(set(versions)) and len(versions) == 4


def test_a_stale_take_over_bumps_the_version_and_is_recorded(store: Store) -> None:
    d = delivery(store)
    assert store.claim_next("x", owner="dead", now=at(1), lease_seconds=60)
    before = store.get_delivery(d.id)
    assert before is not None
    taken = store.take_over_stale(d.id, owner="rescuer", now=at(5), lease_seconds=60)
    assert taken is not None and taken.version > before.version
    assert store.history(d.id)[-1].kind == "taken_over"
    assert store.history(d.id)[-1].actor == "rescuer"


def test_retry_all_failed_records_each_and_bumps_versions(store: Store) -> None:
    a, b = delivery(store, 1), delivery(store, 2)
    for d in (a, b):
        assert store.claim_specific(d.id, owner="w", now=at(1), lease_seconds=60)
    store.mark_retry(a.id, error="e", next_attempt_at=at(9), now=at(2), owner="w")
    store.mark_dead(b.id, error="gone", now=at(2), owner="w")
    assert store.retry_all_failed(now=at(3), actor="cli") == 2
    for d, was in ((a, "failed"), (b, "dead")):
        last = store.history(d.id)[-1]
        assert (last.kind, last.status, last.actor, last.detail) == (
            "retried", "pending", "cli", {"earlier_status": was})


def test_a_dry_run_leaves_a_previewed_delivery_that_can_still_be_sent(store: Store) -> None:
    d = delivery(store)
    assert store.claim_next("x", owner="w", now=at(1), lease_seconds=60)
    store.mark_previewed(d.id, now=at(2), owner="w")
    row = store.get_delivery(d.id)
    assert row is not None and row.status == S.PREVIEWED and row.text == "post 1 for x"
    assert row.sent_at is None and row.remote_id is None
    assert store.sent_since("x", T0) == 0  # never counts as sent
    assert store.claim_next("x", owner="w", now=at(3), lease_seconds=60) is None  # not due
    store.retry(d.id, now=at(4))  # what `bot post` / `bot retry` do when the account is live
    assert store.claim_specific(d.id, owner="w", now=at(4), lease_seconds=60) is not None
    assert [e.kind for e in store.history(d.id)][-3:] == ["previewed", "retried", "claimed"]


def test_previewed_is_only_reached_from_a_claim(store: Store) -> None:
    d = delivery(store)
    with pytest.raises(StoreError, match="lost the lease"):
        store.mark_previewed(d.id, now=at(1), owner="w")


def test_history_goes_with_its_delivery(store: Store, db_url: str) -> None:
    d = delivery(store)
    assert store.history(d.id)
    with store._engine.begin() as conn:
        conn.execute(text("DELETE FROM articles"))  # cascades to deliveries and events
    assert store.history(d.id) == []
