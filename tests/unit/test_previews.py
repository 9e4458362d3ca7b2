"""Going live: a dry run never consumes an article, and nothing previewed is blasted out.

Dispatch, `bot post`/`bot send` (bot.manual) and the daemon's preview sweep against the fake X
over real HTTP and a real ledger. The same account is first configured without credentials
(dry run), then with them (live), as a user does.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.demo import SAMPLE_REFUSED
from bot.dispatch import dispatch_account
from bot.manual import publish_by_hand, send_now
from bot.models import Article
from bot.pipeline import prepare_article, select_accounts
from bot.previews import expire_previews, queue_marks, settle_previews, waiting_for_decision
from bot.store import DeliveryStatus as S
from bot.store import Store, delivery_payload
from tests.adapters.conftest import X_SECRETS
from tests.fakes import FakeX

NOW = datetime.now(UTC)
TEXT = ("The minister announced a plan for faster trains on Monday. "
        "Critics said the budget was far too small for it.")


@pytest.fixture
def x() -> Iterator[FakeX]:
    with FakeX(**X_SECRETS) as fake:
        yield fake


def settings_for(x: FakeX, *, live: bool, max_age_hours: float = 72,
                 spacing: float = 0) -> Settings:
    return load_settings(
        accounts=[{"name": "x", "platform": "twitter", "api_base": x.url,
                   "min_spacing_minutes": spacing}],
        credentials={"x": X_SECRETS} if live else {},
        feeds=[{"name": "news", "url": "https://news.example.org/feed",
                "max_age_hours": max_age_hours}],
        http={"timeout_seconds": 2},
    )


def article(n: int, *, url: str | None = None) -> Article:
    return Article(title=f"Railways plan number {n}",
                   url=url or f"https://news.example.org/2026/railways-{n}", text=TEXT)


def queue(store: Store, s: Settings, art: Article, *, published: datetime | None = NOW) -> int:
    """Queue ``art`` for x the way ingest does (marked when x is in dry run)."""
    assert art.url
    (post,) = prepare_article(art, s, select_accounts(s)).posts
    store.add_article(id=art.url, feed="news", guid=None, url=art.url, title=art.title,
                      content_hash=art.content_hash, published_at=published, payload={}, now=NOW)
    row = store.add_delivery(
        article_id=art.url, account="x", platform="twitter", text=post.text, link=post.link,
        payload=delivery_payload(post, art) | queue_marks(dry_run=s.is_dry_run(s.account("x"))),
        next_attempt_at=NOW, now=NOW)
    assert row is not None
    return row.id


def status(store: Store, delivery_id: int) -> S:
    row = store.get_delivery(delivery_id)
    assert row is not None
    return row.status


def test_a_dry_run_previews_and_going_live_sends_nothing_by_itself(x: FakeX,
                                                                   store: Store) -> None:
    dry = settings_for(x, live=False)
    first = queue(store, dry, article(1))
    (out,) = dispatch_account(dry, store, dry.account("x"), owner="t")
    assert out.status == "dry_run" and status(store, first) == S.PREVIEWED
    second = queue(store, dry, article(2))  # queued in dry run, not dispatched yet

    live = settings_for(x, live=True)
    (held,) = dispatch_account(live, store, live.account("x"), owner="t", limit=5)
    assert (held.status, held.delivery_id) == ("held", second)
    assert x.calls("POST", "/2/tweets") == []  # nothing blasted out
    assert status(store, first) == status(store, second) == S.PREVIEWED
    assert [e.kind for e in store.history(second)][-2:] == ["claimed", "previewed"]
    assert {w.row.id for w in waiting_for_decision(live, store)} == {first, second}
    assert waiting_for_decision(dry, store) == []  # a dry-run account's previews are its work

    sent = send_now(live, store, second)  # one command sends one, live
    assert sent.status == "sent" and len(x.posts) == 1
    assert dispatch_account(live, store, live.account("x"), owner="t", limit=5) == []
    assert len(x.posts) == 1 and status(store, first) == S.PREVIEWED
    # a delivery queued while live goes as usual
    third = queue(store, live, article(3))
    assert [o.status for o in dispatch_account(live, store, live.account("x"), owner="t")] == [
        "sent"]
    assert status(store, third) == S.SENT and len(x.posts) == 2


def test_post_by_hand_after_a_preview_posts_live_once(x: FakeX, store: Store) -> None:
    dry = settings_for(x, live=False)
    art = article(1)
    queue(store, dry, art)
    dispatch_account(dry, store, dry.account("x"), owner="t")

    live = settings_for(x, live=True)
    prepared = prepare_article(art, live, select_accounts(live))
    (out,) = publish_by_hand(prepared, live, store=store)
    assert out.status == "sent" and len(x.posts) == 1
    (again,) = publish_by_hand(prepared, live, store=store)
    assert again.status == "already_sent" and len(x.posts) == 1


def test_force_keeps_and_reports_the_earlier_url(x: FakeX, store: Store) -> None:
    live = settings_for(x, live=True)
    prepared = prepare_article(article(1), live, select_accounts(live))
    (first,) = publish_by_hand(prepared, live, store=store)
    x.configure(duplicates=False)
    (forced,) = publish_by_hand(prepared, live, store=store, force=True)
    assert forced.status == "sent" and forced.url != first.url
    assert forced.earlier_url == first.url and first.url in forced.summary()
    assert forced.delivery_id is not None
    assert store.earlier_urls([forced.delivery_id]) == {forced.delivery_id: [first.url]}


def test_a_sample_article_is_never_sent_live(x: FakeX, store: Store) -> None:
    live = settings_for(x, live=True)
    sample = article(1, url="https://example.org/analysis/central-bank-holds-rates")
    row = queue(store, live, sample)
    (out,) = dispatch_account(live, store, live.account("x"), owner="t")
    assert (out.status, out.error) == ("dead", SAMPLE_REFUSED)
    assert x.calls("POST") == []
    got = store.get_delivery(row)
    assert got is not None and got.last_error == SAMPLE_REFUSED
    # nor by hand
    prepared = prepare_article(sample, live, select_accounts(live))
    store.skip(row, now=NOW)
    assert [o.status for o in publish_by_hand(prepared, live, store=store)] == ["dead"]
    assert x.calls("POST") == []


def test_the_sweep_skips_old_and_sample_previews_once_live(
    x: FakeX, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    dry = settings_for(x, live=False, max_age_hours=24)
    old = queue(store, dry, article(1), published=NOW - timedelta(hours=30))
    fresh = queue(store, dry, article(2), published=NOW - timedelta(hours=2))
    undated = queue(store, dry, article(3), published=None)  # first seen now
    sample = queue(store, dry, article(4, url="https://example.org/politics/coalition-talks-stall"))
    dispatch_account(dry, store, dry.account("x"), owner="t", limit=10)
    assert expire_previews(dry, store, now=NOW) == 0  # dry run: previews are the work itself

    live = settings_for(x, live=True, max_age_hours=24)
    with caplog.at_level(logging.INFO, logger="bot.previews"):
        assert expire_previews(live, store, now=NOW, actor="test") == 2
        assert expire_previews(live, store, now=NOW, actor="test") == 0
    said = [r.getMessage() for r in caplog.records if "wait for a decision" in r.getMessage()]
    assert said == ["x: 2 deliveries previewed in dry run wait for a decision (the account is "
                    "live now): `bot status` lists them, `bot send ID` posts one, "
                    "`bot skip ID` drops it"]  # once, not at every sweep
    got: dict[int, Any] = {i: status(store, i) for i in (old, fresh, undated, sample)}
    assert got == {old: S.SKIPPED, fresh: S.PREVIEWED, undated: S.PREVIEWED, sample: S.SKIPPED}
    reasons = [e.detail.get("reason", "") for e in store.history(old) if e.kind == "skipped"]
    assert reasons and "max_age_hours" in reasons[0]
    waiting = {w.row.id: w for w in waiting_for_decision(live, store)}
    assert set(waiting) == {fresh, undated}
    assert waiting[fresh].expires_at == NOW - timedelta(hours=2) + timedelta(hours=24)
    assert waiting[fresh].title == "Railways plan number 2"
    # a day later the rest expire too; x.posts stayed empty throughout
    assert expire_previews(live, store, now=NOW + timedelta(hours=25)) == 2
    assert x.posts == []


def test_send_refuses_what_cannot_be_sent(x: FakeX, store: Store) -> None:
    from bot.errors import ConfigError

    dry = settings_for(x, live=False)
    row = queue(store, dry, article(1))
    with pytest.raises(ConfigError, match="dry run"):
        send_now(dry, store, row)
    with pytest.raises(ConfigError, match="no delivery"):
        send_now(dry, store, 999)
    live = settings_for(x, live=True)
    assert send_now(live, store, row).status == "sent"
    with pytest.raises(ConfigError, match="already sent"):
        send_now(live, store, row)
    assert len(x.posts) == 1


def test_the_sweep_holds_what_was_queued_in_dry_run_before_any_claim(x: FakeX,
                                                                    store: Store) -> None:
    dry = settings_for(x, live=False, spacing=30)
    queued = [queue(store, dry, article(n)) for n in (1, 2)]  # no daemon ran in dry run
    live = settings_for(x, live=True, spacing=30)
    assert settle_previews(live, store, now=NOW, actor="sweep") == (2, 0)
    assert [status(store, i) for i in queued] == [S.PREVIEWED, S.PREVIEWED]
    assert [e.kind for e in store.history(queued[0])] == ["queued", "previewed"]  # no claim
    assert settle_previews(live, store, now=NOW) == (0, 0)
    # holding used no slot: an article queued now that x is live goes at once
    fresh = queue(store, live, article(3))
    (out,) = dispatch_account(live, store, live.account("x"), owner="t")
    assert (out.status, out.delivery_id) == ("sent", fresh)
    assert len(x.posts) == 1
