"""Review policy (bot/review.py): who waits for an editor, the webhook, review timeouts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Account, Feed, Settings, load_settings
from bot.ingest import poll_feed
from bot.review import expire_reviews, policy_for
from bot.store import Store, make_owner
from tests.fakes import FakeWebhook
from tests.fakes.feedserver import FeedServer, Item

NOW = datetime.now(UTC)
BODY = ("<p>The minister announced a new plan for the railways on Monday, promising faster "
        "trains between the capital and the coast by next summer.</p>"
        "<p>Critics said the budget for the plan was far too small to reach that goal.</p>")


def item(n: int) -> Item:
    return Item(title=f"Railway plan {n} <script>alert({n})</script>",
                link=f"https://news.example.org/story-{n}", guid=f"g{n}", content=BODY,
                categories=["Politics"], published=NOW - timedelta(hours=1))


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


@pytest.fixture
def hook() -> Iterator[FakeWebhook]:
    with FakeWebhook() as fake:
        yield fake


def settings_for(url: str, hook: FakeWebhook | None = None, *, feed: dict[str, Any] | None = None,
                 x: dict[str, Any] | None = None) -> Settings:
    return load_settings(
        accounts=[{"name": "x", "platform": "twitter", **(x or {})},
                  {"name": "fb", "platform": "facebook"}],
        feeds=[{"name": "news", "url": url, "backfill": 5, **(feed or {})}],
        credentials={"x": {"webhook_url": hook.hook_url}} if hook else {},
        web={"public_url": "https://desk.example.org/"},
    )


def poll(s: Settings, store: Store) -> None:
    poll_feed(s, store, s.feeds[0], owner=make_owner(), force=True, now=NOW)


def statuses(store: Store) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in store.list_deliveries(limit=100):
        out.setdefault(r.account, set()).add(str(r.status))
    return out


def test_policy_the_stricter_wins_and_the_feed_sets_the_timeout() -> None:
    acc = Account(name="a", platform="twitter", review_timeout_hours=4)
    strict = Account(name="b", platform="twitter", review="required")
    loose, tight = Feed(name="f", url="u"), Feed(name="g", url="u", review="required",
                                                 review_timeout_hours=1,
                                                 review_on_timeout="approve")
    assert not policy_for(acc, loose).required and policy_for(acc, tight).required
    assert policy_for(strict, loose).required and policy_for(strict, None).required
    assert (policy_for(acc, loose).timeout_hours, policy_for(acc, loose).on_timeout) == (4, "hold")
    assert (policy_for(acc, tight).timeout_hours, policy_for(acc, tight).on_timeout) == (
        1, "approve")


def test_review_required_holds_and_announces_each_delivery(server: FeedServer,
                                                           hook: FakeWebhook,
                                                           store: Store) -> None:
    server.add_feed("news", [item(1), item(2)])
    s = settings_for(server.url("/news.xml"), hook, x={"review": "required"})
    poll(s, store)
    assert statuses(store) == {"x": {"awaiting_review"}, "fb": {"pending"}}
    held = store.list_deliveries(account="x", limit=10)
    assert len(hook.posts) == 2  # one message per delivery waiting, none for fb
    texts = {p["text"] for p in hook.posts}
    for row in held:
        msg = next(t for t in texts if f"delivery {row.id}" in t)
        assert "*Review needed* for account 'x'" in msg
        assert f"`bot approve {row.id}` or https://desk.example.org/d/{row.id}" in msg
        assert f"```\n{row.text}\n```" in msg and f"*Link:* {row.link}" in msg


def test_a_feed_that_requires_review_holds_every_account(server: FeedServer,
                                                         store: Store) -> None:
    server.add_feed("news", [item(1)])
    poll(settings_for(server.url("/news.xml"), feed={"review": "required"}), store)
    assert statuses(store) == {"x": {"awaiting_review"}, "fb": {"awaiting_review"}}


def test_a_failing_webhook_never_stops_the_poll(server: FeedServer, hook: FakeWebhook,
                                                store: Store) -> None:
    server.add_feed("news", [item(1)])
    hook.expect(500, "internal_error", method="POST")
    poll(settings_for(server.url("/news.xml"), hook, x={"review": "required"}), store)
    assert statuses(store)["x"] == {"awaiting_review"}
    assert len(hook.requests) == 1 and hook.posts == []  # tried once, refused, logged


def test_review_timeouts_hold_or_approve_once(server: FeedServer, store: Store) -> None:
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"),
                     x={"review": "required", "review_timeout_hours": 2},
                     feed={"review": "required", "review_timeout_hours": 1,
                           "review_on_timeout": "approve"})
    poll(s, store)
    assert expire_reviews(s, store, now=NOW + timedelta(minutes=30)) == 0
    assert expire_reviews(s, store, now=NOW + timedelta(minutes=61)) == 2  # the feed's 1 h
    assert statuses(store) == {"x": {"pending"}, "fb": {"pending"}}
    assert expire_reviews(s, store, now=NOW + timedelta(hours=5)) == 0
    row = store.list_deliveries(account="x", limit=1)[0]
    ev = store.history(row.id)[-1]
    assert (ev.kind, ev.actor, ev.detail) == ("review_timeout", "review-timeout",
                                              {"action": "approve"})


def test_a_held_review_stays_held_and_is_flagged_once(server: FeedServer, store: Store) -> None:
    server.add_feed("news", [item(1)])
    s = settings_for(server.url("/news.xml"),
                     x={"review": "required", "review_timeout_hours": 2})
    poll(s, store)
    assert expire_reviews(s, store, now=NOW + timedelta(hours=3)) == 1
    assert expire_reviews(s, store, now=NOW + timedelta(hours=4)) == 0
    assert statuses(store)["x"] == {"awaiting_review"}
    row = store.list_deliveries(account="x", limit=1)[0]
    assert [e.kind for e in store.history(row.id)] == ["queued", "review_timeout"]
