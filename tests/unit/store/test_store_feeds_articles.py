"""Feed poll state, poll claims and article dedupe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.errors import StoreError
from bot.store import Store

from . import _workers
from .conftest import T0, article, at

FEED_URL = "https://example.org/feed.xml"


# -- feed checks ---------------------------------------------------------------------------
def test_unknown_feed_is_none_and_first_check_creates_it(store: Store) -> None:
    assert store.get_feed("blog") is None
    store.save_feed_check("blog", FEED_URL, checked_at=T0, ok=True, etag='"v1"',
                          last_modified="Sat, 01 Mar 2025 11:00:00 GMT", initialized=True)
    f = store.get_feed("blog")
    assert f is not None
    assert (f.url, f.etag, f.last_modified) == (FEED_URL, '"v1"', "Sat, 01 Mar 2025 11:00:00 GMT")
    assert f.last_checked_at == f.last_success_at == T0
    assert f.initialized and f.consecutive_errors == 0 and f.last_error is None


def test_failures_count_up_and_a_success_resets_them(store: Store) -> None:
    store.save_feed_check("blog", FEED_URL, checked_at=T0, ok=True, etag="e1")
    store.save_feed_check("blog", FEED_URL, checked_at=at(5), ok=False, error="HTTP 503")
    store.save_feed_check("blog", FEED_URL, checked_at=at(10), ok=False, error="timeout")
    f = store.get_feed("blog")
    assert f is not None
    assert (f.consecutive_errors, f.last_error) == (2, "timeout")
    assert f.last_checked_at == at(10) and f.last_success_at == T0  # last success kept
    assert f.etag == "e1"  # a failure does not forget the validator
    store.save_feed_check("blog", FEED_URL, checked_at=at(15), ok=True)
    f = store.get_feed("blog")
    assert f is not None
    assert (f.consecutive_errors, f.last_error, f.last_success_at) == (0, None, at(15))


def test_not_modified_keeps_etag_and_last_modified(store: Store) -> None:
    store.save_feed_check("blog", FEED_URL, checked_at=T0, ok=True, etag="e1",
                          last_modified="lm1", initialized=True)
    store.save_feed_check("blog", FEED_URL, checked_at=at(5), ok=True)  # a 304: nothing new
    f = store.get_feed("blog")
    assert f is not None and (f.etag, f.last_modified, f.initialized) == ("e1", "lm1", True)
    store.save_feed_check("blog", FEED_URL, checked_at=at(10), ok=True, etag="e2")
    f = store.get_feed("blog")
    assert f is not None and (f.etag, f.last_modified) == ("e2", "lm1")


def test_list_feeds_sorted_by_name(store: Store) -> None:
    for name in ("zeta", "alpha", "mid"):
        store.save_feed_check(name, FEED_URL, checked_at=T0, ok=True)
    assert [f.name for f in store.list_feeds()] == ["alpha", "mid", "zeta"]


# -- poll claims ---------------------------------------------------------------------------
def test_poll_claim_one_winner_per_window(store: Store) -> None:
    assert store.claim_feed_poll("blog", FEED_URL, owner="a", now=T0, hold_seconds=60)
    assert not store.claim_feed_poll("blog", FEED_URL, owner="b", now=at(0.5), hold_seconds=60)
    assert not store.claim_feed_poll("blog", FEED_URL, owner="a", now=at(0.9), hold_seconds=60)
    assert store.claim_feed_poll("blog", FEED_URL, owner="b", now=at(1), hold_seconds=60)
    f = store.get_feed("blog")
    assert f is not None and (f.poll_owner, f.poll_claimed_until) == ("b", at(2))


def test_poll_claims_from_threads_have_one_winner(store: Store) -> None:
    owners = [f"t{i}" for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda o: store.claim_feed_poll(
            "blog", FEED_URL, owner=o, now=T0, hold_seconds=60), owners))
    assert sum(won) == 1


def test_poll_claims_from_processes_have_one_winner(store: Store, db_url: str) -> None:
    results = _workers.run(_workers.claim_feed,
                           [(db_url, "blog", f"p{i}", T0.isoformat()) for i in range(4)])
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    f = store.get_feed("blog")
    assert f is not None and f.poll_owner == winners[0]


# -- articles ------------------------------------------------------------------------------
def test_add_article_round_trips_and_is_idempotent(store: Store) -> None:
    a = article(store, 1)
    assert a.first_seen_at == T0 and not a.edited
    assert a.payload == {"title": "Post 1", "text": "body", "url": "https://example.org/post/1"}
    again = store.add_article(
        id=a.id, feed="other", guid="x", url=a.url, title="Changed", content_hash="f" * 64,
        published_at=None, payload={}, now=at(60))
    assert again == a  # the stored row, unchanged
    assert store.get_article(a.id) == a
    assert store.get_article("https://example.org/nope") is None


def test_find_article_by_guid_then_link_then_content(store: Store) -> None:
    a1 = article(store, 1, guid="g-1", content_hash="a" * 64)
    a2 = article(store, 2, guid="g-2", content_hash="b" * 64)
    # GUID wins over a link that points at another article
    assert store.find_article(guid="g-1", url=a2.url) == a1
    # unknown GUID: the link decides
    assert store.find_article(guid="nope", url=a2.url) == a2
    # the link also matches the article id (canonical URL)
    assert store.find_article(url=a1.id) == a1
    # neither: the content hash
    assert store.find_article(guid="nope", url="https://x/other", content_hash="b" * 64) == a2
    assert store.find_article(guid="nope", url="https://x/other", content_hash="c" * 64) is None
    assert store.find_article() is None


def test_guid_is_matched_within_the_feed_when_given(store: Store) -> None:
    a = article(store, 1, feed="blog", guid="42")
    assert store.find_article(guid="42", feed="news") is None  # another feed's "42"
    assert store.find_article(guid="42", feed="blog") == a
    assert store.find_article(guid="42") == a  # no feed: global


def test_mark_article_edited(store: Store) -> None:
    a = article(store, 1)
    store.mark_article_edited(a.id, title="Post 1 (updated)", content_hash="e" * 64, now=at(30))
    b = store.get_article(a.id)
    assert b is not None
    assert (b.title, b.content_hash, b.edited, b.updated_at) == (
        "Post 1 (updated)", "e" * 64, True, at(30))
    assert b.first_seen_at == T0
    assert store.find_article(content_hash="e" * 64) == b
    with pytest.raises(StoreError, match="no article"):
        store.mark_article_edited("https://nope", title="t", content_hash="0", now=T0)


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.save_feed_check("blog", FEED_URL, checked_at=datetime(2025, 1, 1), ok=True)
    assert store.get_feed("blog") is None


def test_timestamps_come_back_in_utc(store: Store) -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 3, 1, 15, 0, tzinfo=ZoneInfo("Europe/Istanbul"))  # 12:00 UTC
    store.save_feed_check("blog", FEED_URL, checked_at=local, ok=True)
    f = store.get_feed("blog")
    assert f is not None and f.last_checked_at == T0
    assert f.last_checked_at is not None and f.last_checked_at.tzinfo == UTC
