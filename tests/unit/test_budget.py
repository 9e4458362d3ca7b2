"""What X costs and the monthly budget: spend recorded per post and per look-up, posts held
over budget and released at the month's turn or when the budget is raised. Against the fake
X over real HTTP and a real ledger."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.pricing import post_cost, texts_cost
from bot.budget import month_start, next_month
from bot.clock import fixed
from bot.config import Account, Settings, load_settings
from bot.dispatch import dispatch_account
from bot.models import Article, Post
from bot.pipeline import prepare_article, select_accounts
from bot.scheduler.health import HealthServer
from bot.store import DeliveryStatus as S
from bot.store import Store
from tests.adapters.conftest import X_SECRETS
from tests.fakes import FakeWebhook, FakeX

LINK = "https://news.example.org/2026/ferries"
NOV = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def x() -> Iterator[FakeX]:
    with FakeX(**X_SECRETS) as fake:
        yield fake


@pytest.fixture
def hook() -> Iterator[FakeWebhook]:
    with FakeWebhook() as fake:
        yield fake


def settings_for(x: FakeX, hook: FakeWebhook | None = None, **account: Any) -> Settings:
    creds = dict(X_SECRETS, **({"webhook_url": hook.hook_url} if hook else {}))
    return load_settings(
        accounts=[{"name": "x", "platform": "twitter", "api_base": x.url,
                   "min_spacing_minutes": 0, **account}],
        credentials={"x": creds}, feeds=[], http={"timeout_seconds": 2},
        scheduler={"backoff_base_seconds": 1, "backoff_max_seconds": 1, "max_attempts": 5,
                   "lease_seconds": 30},
    )


def queue(store: Store, settings: Settings, n: int, *, now: datetime) -> None:
    for i in range(n):
        link = f"{LINK}-{i}"
        art = Article(title=f"Ferry timetable number {i}", url=link,
                      text="The harbour ferry returns on Monday with a new timetable. "
                           "Crossings run every twenty minutes between the two piers.")
        (post,) = prepare_article(art, settings, select_accounts(settings)).posts
        store.add_article(id=link, feed="news", guid=None, url=link, title=art.title,
                          content_hash=art.content_hash, published_at=None, payload={}, now=now)
        store.add_delivery(article_id=link, account="x", platform="twitter", text=post.text,
                           link=post.link, payload={"post": post.model_dump(mode="json")},
                           next_attempt_at=now, now=now)


def statuses(store: Store) -> list[str]:
    rows = sorted(store.list_deliveries(account="x", limit=100), key=lambda r: r.id)
    return [str(r.status) for r in rows]


def spent(store: Store, when: datetime = NOV) -> dict[str, Any]:
    t = store.spend_totals(month_start(when)).get("x")
    return {"usd": (t.micro_usd / 1e6) if t else 0.0, "posts": t.posts if t else 0,
            "reads": t.reads if t else 0}


# -- prices ----------------------------------------------------------------------------------
def test_prices_follow_x_rules_and_the_account_settings() -> None:
    x = Account(name="x", platform="twitter")
    assert texts_cost(x, ["A post with https://example.org/a link"]) == 200_000
    assert texts_cost(x, ["A bare domain counts: example.com"]) == 200_000
    assert texts_cost(x, ["No link at all, #hashtag and @someone"]) == 15_000
    thread = Post(platform="twitter", account="x", text="Head https://example.org/a",
                  thread=["Second part", "Third part"], length=1, limit=280, fits=True)
    assert post_cost(x, thread) == 200_000 + 2 * 15_000
    assert post_cost(x, thread, made=2) == 200_000 + 15_000  # the thread stopped at post 2
    cheap = Account(name="y", platform="twitter", post_with_url_usd=0.1, post_usd=0.01)
    assert post_cost(cheap, thread) == 100_000 + 2 * 10_000
    assert post_cost(Account(name="fb", platform="facebook"), thread) == 0


def test_month_boundaries_are_utc() -> None:
    assert month_start(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == datetime(2026, 12, 1,
                                                                                 tzinfo=UTC)
    assert next_month(datetime(2026, 12, 5, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


# -- spend recorded --------------------------------------------------------------------------
def test_each_delivery_records_its_price(x: FakeX, store: Store) -> None:
    s = settings_for(x)
    queue(store, s, 2, now=NOV)
    for _ in range(2):
        (out,) = dispatch_account(s, store, s.account("x"), owner="t", clock=fixed(NOV))
        assert out.status == "sent"
    assert spent(store) == {"usd": 0.4, "posts": 2, "reads": 0}
    assert store.spend_totals(month_start(NOV) + timedelta(days=40)) == {}  # December: none


def test_a_lookup_records_the_posts_it_read_and_a_found_post_is_paid_once(
        x: FakeX, store: Store) -> None:
    s = settings_for(x)
    queue(store, s, 1, now=datetime.now(UTC))
    x.expect(action="ghost", method="POST", path="/2/tweets")  # made, answer lost
    (first,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert first.status == "retry" and len(x.posts) == 1
    x.add_post({**x.posts[0], "id": "1850000000000009999", "text": "someone else's post",
                "display_text": "someone else's post", "entities": {}})  # a newer post
    (row,) = store.list_deliveries(account="x")
    (second,) = dispatch_account(s, store, s.account("x"), owner="t",
                                 clock=fixed(row.next_attempt_at + timedelta(seconds=1)))
    assert second.status == "already_sent" and len(x.posts) == 2
    # the look-up read both posts since the first attempt, and the post is counted once
    month = spent(store, datetime.now(UTC))
    assert month == {"usd": pytest.approx(0.2 + 2 * 0.005), "posts": 1, "reads": 2}


# -- the budget ------------------------------------------------------------------------------
def test_over_budget_waits_then_resumes_next_month(
        x: FakeX, hook: FakeWebhook, store: Store, caplog: pytest.LogCaptureFixture) -> None:
    s = settings_for(x, hook, budget_usd_per_month=0.45)  # two link posts fit, not three
    queue(store, s, 4, now=NOV)
    november = fixed(NOV)
    with caplog.at_level(logging.WARNING, logger="bot.budget"):
        outs = [o.status for _ in range(4)
                for o in dispatch_account(s, store, s.account("x"), owner="t", clock=november)]
    assert outs == ["sent", "sent", "over_budget", "over_budget"]
    assert statuses(store) == ["sent", "sent", "over_budget", "over_budget"]
    assert len(x.posts) == 2 and spent(store)["usd"] == pytest.approx(0.4)
    assert "over budget: this post costs $0.200, $0.400 of $0.450" in caplog.text
    assert "2026-12-01" in caplog.text
    (message,) = hook.posts  # one message, when the first post started waiting
    assert "reached its monthly budget" in message["text"]
    held = [r for r in store.list_deliveries(account="x") if r.status == S.OVER_BUDGET]
    assert all(r.attempts == 0 for r in held)  # holding is not an attempt
    event = store.history(held[0].id)[-1]
    assert (event.kind, event.detail["budget_usd"]) == ("over_budget", 0.45)
    # the last minute of November: nothing moves, nothing is read or sent
    calls = len(x.requests)
    last_minute = fixed(datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert dispatch_account(s, store, s.account("x"), owner="t", clock=last_minute) == []
    assert len(x.requests) == calls

    december = fixed(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    outs = [o.status for _ in range(3)
            for o in dispatch_account(s, store, s.account("x"), owner="t", clock=december)]
    assert outs == ["sent", "sent"]  # both fit December's budget
    assert statuses(store) == ["sent"] * 4 and len(x.posts) == 4
    assert len(hook.posts) == 1
    assert spent(store, datetime(2026, 12, 2, tzinfo=UTC))["usd"] == pytest.approx(0.4)


def test_raising_or_removing_the_budget_releases_the_held_posts(x: FakeX, store: Store) -> None:
    tight = settings_for(x, budget_usd_per_month=0.25)
    november = fixed(NOV)
    queue(store, tight, 4, now=NOV)
    for _ in range(4):
        dispatch_account(tight, store, tight.account("x"), owner="t", clock=november)
    assert statuses(store) == ["sent"] + ["over_budget"] * 3

    raised = settings_for(x, budget_usd_per_month=0.65)  # room for two more
    outs = [o.status for _ in range(3)
            for o in dispatch_account(raised, store, raised.account("x"), owner="t",
                                      clock=november)]
    assert outs == ["sent", "sent"]
    assert statuses(store) == ["sent", "sent", "sent", "over_budget"]

    unlimited = settings_for(x)
    (out,) = dispatch_account(unlimited, store, unlimited.account("x"), owner="t",
                              clock=november)
    assert out.status == "sent" and statuses(store) == ["sent"] * 4
    assert len(x.posts) == 4


def test_posts_being_sent_count_against_the_budget(x: FakeX, store: Store) -> None:
    s = settings_for(x, budget_usd_per_month=0.3)
    now = datetime.now(UTC)
    queue(store, s, 2, now=now)
    first = store.claim_next("x", owner="other", now=now, lease_seconds=30)
    assert first is not None  # another process is sending it right now
    (out,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert out.status == "over_budget" and "$0.200 is being sent" in (out.error or "")
    assert x.posts == []


def test_metrics_show_the_months_spend_and_budget(x: FakeX, store: Store) -> None:
    s = settings_for(x, budget_usd_per_month=5)
    queue(store, s, 1, now=datetime.now(UTC))
    dispatch_account(s, store, s.account("x"), owner="t")
    s = s.model_copy(update={"health": s.health.model_copy(update={"port": 0})})
    with HealthServer(s, store) as server:
        body = httpx.get(f"{server.url}/metrics", timeout=5).text
    samples = {(m.name, tuple(sorted(smp.labels.items()))): smp.value
               for m in text_string_to_metric_families(body) for smp in m.samples}
    assert samples[("bot_spend_usd", (("account", "x"), ("kind", "post")))] == 0.2
    assert samples[("bot_spend_usd", (("account", "x"), ("kind", "read")))] == 0.0
    assert samples[("bot_budget_usd", (("account", "x"),))] == 5.0
