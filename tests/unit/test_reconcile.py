"""After a crash mid-send: ask the platform before anything is sent again.

Deliveries left ``sending`` by a process that died, settled by ``reconcile`` against fake
platforms over real HTTP and a real ledger: found → sent, not found → queued again,
cannot tell → back off and look again before any resend, credentials refused or account
gone → uncertain, for a human.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.adapters.registry import get_adapter
from bot.clock import fixed
from bot.config import Settings
from bot.dispatch import dispatch_account
from bot.models import Post
from bot.reconcile import reconcile
from bot.store import DeliveryStatus as S
from bot.store import Store
from tests.fakes import FakeFacebook, FakeX
from tests.unit.test_dispatch import make_settings, queue


def crash_mid_send(store: Store, settings: Settings, account: str, *,
                   lease_seconds: float = 60) -> int:
    """Queue a delivery a quarter of an hour ago and claim it as a process that then died
    would leave it: ``sending``, its lease (of ``lease_seconds``) taken ten minutes ago."""
    now = datetime.now(UTC)
    queue(store, settings, now=now - timedelta(minutes=15))
    row = store.claim_next(account, owner="dead-process", now=now - timedelta(minutes=10),
                           lease_seconds=lease_seconds)
    assert row is not None
    return row.id


def status(store: Store, delivery_id: int) -> S:
    row = store.get_delivery(delivery_id)
    assert row is not None
    return row.status


def test_a_post_that_made_it_before_the_crash_is_found_not_sent_again(
        x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x")
    row = store.get_delivery(did)
    assert row is not None
    with get_adapter(s.account("x"), s) as adapter:  # the call went out; the commit did not
        adapter.publish(Post.model_validate(row.payload["post"]))
    assert reconcile(s, store, owner="t") == 1
    row = store.get_delivery(did)
    assert row is not None and row.status == S.SENT and row.remote_id == x.posts[0]["id"]
    assert dispatch_account(s, store, s.account("x"), owner="t") == []
    assert len(x.posts) == 1
    assert [e.kind for e in store.history(did)][-2:] == ["taken_over", "sent"]


def test_a_post_that_never_left_is_queued_and_sent_once(x: FakeX, fb: FakeFacebook,
                                                         store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x")
    assert reconcile(s, store, owner="t") == 1
    assert status(store, did) in (S.PENDING, S.SCHEDULED)
    assert [o.status for o in dispatch_account(s, store, s.account("x"), owner="t")] == ["sent"]
    assert len(x.posts) == 1


def test_when_the_platform_cannot_tell_it_looks_again_and_never_sends_blind(
        x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x")
    x.expect(503, {"title": "down"}, method="GET", times=100)
    # cannot tell yet: back in the queue, and every retry looks on the platform first
    assert reconcile(s, store, owner="t") == 0
    assert status(store, did) == S.FAILED
    for _ in range(5):
        row = store.get_delivery(did)
        assert row is not None and row.next_attempt_at is not None
        if row.status != S.FAILED:
            break
        dispatch_account(s, store, s.account("x"), owner="t",
                         clock=fixed(row.next_attempt_at + timedelta(seconds=1)))
    row = store.get_delivery(did)  # still cannot tell after max_attempts: a human decides
    assert row is not None and row.status == S.UNCERTAIN and row.attempts == 3
    assert dispatch_account(s, store, s.account("x"), owner="t") == []
    assert x.posts == [] and x.calls("POST", "/2/tweets") == []  # never sent blind


def test_refused_credentials_leave_it_uncertain_for_a_human(x: FakeX, fb: FakeFacebook,
                                                            store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x")
    x.expect(401, {"title": "Unauthorized", "detail": "Unauthorized"}, method="GET", times=10)
    assert reconcile(s, store, owner="t") == 1
    row = store.get_delivery(did)
    assert row is not None and row.status == S.UNCERTAIN
    assert row.last_error and "platform check failed" in row.last_error
    assert dispatch_account(s, store, s.account("x"), owner="t") == []
    assert x.calls("POST", "/2/tweets") == []


def test_an_account_no_longer_configured_leaves_it_uncertain(x: FakeX, fb: FakeFacebook,
                                                             store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x")
    without_x = s.model_copy(update={"accounts": [s.account("fb")]})
    assert reconcile(without_x, store, owner="t") == 0
    row = store.get_delivery(did)
    assert row is not None and row.status == S.UNCERTAIN
    assert row.last_error == "account no longer configured"
    assert x.requests == []  # nobody was asked


def test_a_sender_still_within_its_lease_is_left_alone(x: FakeX, fb: FakeFacebook,
                                                       store: Store) -> None:
    s = make_settings(x, fb)
    did = crash_mid_send(store, s, "x", lease_seconds=3600)  # alive, only slow
    assert reconcile(s, store, owner="t") == 0
    row = store.get_delivery(did)
    assert row is not None and (row.status, row.owner) == (S.SENDING, "dead-process")
    assert x.requests == []
