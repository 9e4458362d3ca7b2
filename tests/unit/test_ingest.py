"""Feeds in, deliveries recorded: first-run safety, backfill, dedupe, edits, filters, routing.

A real feed server on loopback, the real poller and extraction, and a real SQLite ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Feed, Settings, load_settings
from bot.ingest import IngestReport, poll_feed
from bot.store import DeliveryStatus, Store, make_owner
from tests.fakes.feedserver import FeedServer, Item

NOW = datetime.now(UTC)
BODY = ("<p>The minister announced a new plan for the railways on Monday, promising faster "
        "trains between the capital and the coast by next summer.</p>"
        "<p>Critics said the budget for the plan was far too small to reach that goal, and "
        "asked where the money would come from.</p>"
        "<p>Follow us on Twitter: @ExampleNews</p>")


def item(n: int, *, hours_ago: float = 1, **kw: Any) -> Item:
    defaults: dict[str, Any] = {
        "title": f"Story number {n} about the railways",
        "link": f"https://news.example.org/story-{n}",
        "guid": f"guid-{n}",
        "content": BODY.replace("Monday", f"day {n}"),
        "categories": ["Politics"],
        "published": NOW - timedelta(hours=hours_ago),
    }
    defaults.update(kw)
    return Item(**defaults)


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def settings_for(url: str, **feed: Any) -> Settings:
    return load_settings(
        accounts=[{"name": "x", "platform": "twitter"}, {"name": "fb", "platform": "facebook"}],
        feeds=[{"name": "news", "url": url, **feed}],
    )


def poll(settings: Settings, store: Store, **kw: Any) -> IngestReport:
    return poll_feed(settings, store, settings.feeds[0], owner=make_owner(), force=True, **kw)


def deliveries(store: Store) -> list[tuple[str, str]]:
    return sorted((r.article_id, r.account) for r in store.list_deliveries(limit=1000))


def test_first_run_records_existing_items_and_posts_none(server: FeedServer,
                                                         store: Store) -> None:
    doc = server.add_feed("news", [item(1), item(2)])
    s = settings_for(server.url("/news.xml"))
    r = poll(s, store)
    assert (r.status, r.new, r.recorded_only, r.queued) == ("ok", 2, 2, 0)
    assert deliveries(store) == []
    doc.items.insert(0, item(3))
    r = poll(s, store)
    assert (r.new, r.queued, r.duplicates) == (1, 1, 2)
    assert deliveries(store) == [("https://news.example.org/story-3", "fb"),
                                 ("https://news.example.org/story-3", "x")]


def test_unchanged_feed_costs_one_304(server: FeedServer, store: Store) -> None:
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"))
    poll(s, store)
    r = poll(s, store)
    assert r.status == "not_modified"
    last = server.requests("/news.xml")[-1]
    assert "if-none-match" in {k.lower() for k in last}


def test_backfill_posts_the_newest_n_on_first_run(server: FeedServer, store: Store) -> None:
    server.add_feed("news", [item(1, hours_ago=3), item(2, hours_ago=1), item(3, hours_ago=2)])
    s = settings_for(server.url("/news.xml"), backfill=2)
    r = poll(s, store)
    assert (r.queued, r.recorded_only) == (2, 1)
    assert {a for a, _ in deliveries(store)} == {"https://news.example.org/story-2",
                                                 "https://news.example.org/story-3"}


def test_explicit_backfill_on_a_known_feed_adds_nothing_twice(server: FeedServer,
                                                              store: Store) -> None:
    server.add_feed("news", [item(1, hours_ago=2), item(2, hours_ago=1)])
    s = settings_for(server.url("/news.xml"))
    poll(s, store)
    poll(s, store, backfill=1)
    assert {a for a, _ in deliveries(store)} == {"https://news.example.org/story-2"}
    poll(s, store, backfill=2)
    poll(s, store, backfill=2)
    assert len(deliveries(store)) == 4  # two articles x two accounts, once each


def test_items_older_than_max_age_are_never_posted(server: FeedServer, store: Store) -> None:
    doc = server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"), max_age_hours=24)
    poll(s, store)
    doc.items += [item(2, hours_ago=48), item(3, hours_ago=2)]
    r = poll(s, store)
    assert (r.too_old, r.queued) == (1, 1)
    assert {a for a, _ in deliveries(store)} == {"https://news.example.org/story-3"}


def test_a_first_run_says_how_many_items_were_too_old_to_post(
        server: FeedServer, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    server.add_feed("news", [item(1, hours_ago=100), item(2, hours_ago=90), item(3)])
    s = settings_for(server.url("/news.xml"), backfill=3)
    with caplog.at_level("INFO", logger="bot.ingest"):
        r = poll(s, store)
    assert (r.queued, r.too_old) == (1, 2)
    assert ("feed news: first run, recorded 0 existing items, queued 1 (backfill 3), "
            "2 older than max_age_hours 72 never posted") in caplog.messages


def test_dedupe_by_link_when_the_guid_changes(server: FeedServer, store: Store) -> None:
    doc = server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"))
    poll(s, store)
    doc.items = [item(1, guid="a-brand-new-guid")]
    r = poll(s, store)
    assert (r.new, r.duplicates, r.queued) == (0, 1, 0)


def test_guidless_and_linkless_items_dedupe_by_content(server: FeedServer,
                                                       store: Store) -> None:
    doc = server.add_feed("news", [item(1, guid=None)], guids=False)
    s = settings_for(server.url("/news.xml"))
    poll(s, store)
    doc.items.append(item(2, guid=None, link=None))
    r1 = poll(s, store)
    assert r1.queued == 1
    r2 = poll(s, store, backfill=0)
    assert (r2.new, r2.queued) == (0, 0)
    assert len(deliveries(store)) == 2


def test_an_edited_article_is_logged_not_posted_again(server: FeedServer, store: Store,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    doc = server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"))
    poll(s, store)
    doc.items.insert(0, item(2))
    poll(s, store)
    before = deliveries(store)
    doc.items[0] = item(2, title="Story number 2, updated with a correction")
    with caplog.at_level("INFO", logger="bot.ingest"):
        r = poll(s, store)
    assert (r.edited, r.queued) == (1, 0)
    assert deliveries(store) == before
    assert any("changed after it was first seen" in m for m in caplog.messages)
    art = store.get_article("https://news.example.org/story-2")
    assert art is not None and art.edited


def test_routing_and_filters(server: FeedServer, store: Store) -> None:
    doc = server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"), accounts=["x"],
                     exclude_categories=["sponsored"], include_keywords=["railways"])
    poll(s, store)
    doc.items += [
        item(2, categories=["Sponsored"]),
        item(3, title="Weather report", content="<p>" + "Sunny with light winds. " * 10 + "</p>"),
        item(4),
    ]
    r = poll(s, store)
    assert (r.filtered, r.queued) == (2, 1)
    assert deliveries(store) == [("https://news.example.org/story-4", "x")]


def test_queued_posts_are_rendered_without_boilerplate(server: FeedServer,
                                                      store: Store) -> None:
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"), backfill=1)
    poll(s, store)
    rows = store.list_deliveries(limit=10)
    assert {r.status for r in rows} == {DeliveryStatus.PENDING}
    for r in rows:
        assert "railways" in r.text and r.link and r.link in r.text
        assert "@ExampleNews" not in r.text and "Follow us" not in r.text
        assert r.payload["post"]["account"] == r.account


def test_an_unusable_feed_is_a_recorded_error(server: FeedServer, store: Store) -> None:
    server.serve_html("/news.xml")
    s = settings_for(server.url("/news.xml"))
    r = poll(s, store)
    assert r.status == "error" and r.error and "HTML" in r.error
    state = store.get_feed("news")
    assert state is not None and state.consecutive_errors == 1 and state.last_error


def test_wordpress_feeds_queue_every_item(shared_dir: Path, server: FeedServer,
                                          store: Store) -> None:
    import json

    folder = shared_dir / "corpora" / "wordpress-rss"
    expected = json.loads((folder / "expected_stdlib_etree.json").read_text(encoding="utf-8"))
    names = sorted(n for n, facts in expected.items() if facts.get("item_count"))
    picked = [n for n in names if n.startswith("laminas/")] + names[:: max(1, len(names) // 3)]
    for i, name in enumerate(picked[:5]):
        path = folder / name
        server.serve(f"/wp{i}.xml", path.read_bytes(), content_type="application/rss+xml")
        s = load_settings(
            accounts=[{"name": "fb", "platform": "facebook"}],
            feeds=[{"name": f"wp{i}", "url": server.url(f"/wp{i}.xml"), "backfill": 1000,
                    "max_age_hours": 24 * 365 * 50, "fetch_page": "never"}],
        )
        r = poll_feed(s, store, s.feeds[0], owner="t", force=True)
        assert r.status == "ok", (path, r.error)
        assert r.queued + r.failed + r.duplicates + r.filtered == r.seen, (path, r)
        assert r.queued >= 1, path


def test_feed_claim_lets_one_replica_poll_per_interval(server: FeedServer,
                                                       store: Store) -> None:
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"), interval_seconds=60)
    feed: Feed = s.feeds[0]
    first = poll_feed(s, store, feed, owner="replica-a")
    second = poll_feed(s, store, feed, owner="replica-b")
    assert first.status == "ok" and second.status == "skipped"
    assert server.hits("/news.xml") == 1


def test_a_post_whose_template_failed_is_rendered_again_by_retry(
    server: FeedServer, store: Store, tmp_path: Path
) -> None:
    from bot.manual import requeue

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "facebook.j2").write_text(
        "{{ title }}\n{{ 1 // (hashtags | length - hashtags | length) }}\n")  # raises at render
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"), backfill=1)
    s.accounts[1] = s.accounts[1].model_copy(update={"template": broken / "facebook.j2"})
    r = poll(s, store)
    assert r.failed == 1
    (dead,) = store.list_deliveries(account="fb", status=DeliveryStatus.DEAD)
    assert dead.last_error and "facebook.j2" in dead.last_error and "line 2" in dead.last_error
    (ok,) = store.list_deliveries(account="x")
    assert ok.status == DeliveryStatus.PENDING  # the other account is not spoilt

    fixed = load_settings(
        accounts=[{"name": "x", "platform": "twitter"}, {"name": "fb", "platform": "facebook"}],
        feeds=[{"name": "news", "url": server.url("/news.xml")}],
    )
    assert "rendered again" in requeue(fixed, store, dead.id)
    row = store.get_delivery(dead.id)
    assert row is not None and row.status == DeliveryStatus.PENDING
    assert "railways" in row.text and row.payload["post"]["account"] == "fb"
