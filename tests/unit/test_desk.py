"""The desk's operations (bot/desk.py): measuring and refusing edits with the platform's own
rules, approving into the normal due path, and what the dispatcher then sends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import desk
from bot.clock import fixed
from bot.config import Settings, load_settings
from bot.dispatch import dispatch_account
from bot.errors import Conflict, Refused
from bot.models import Article
from bot.pipeline import prepare_article
from bot.store import DeliveryRow, Store, delivery_payload, make_owner
from bot.store import DeliveryStatus as S
from tests.adapters.conftest import X_SECRETS
from tests.fakes import FakeX

LINK = "https://news.example.org/2026/harbour-ferry"
ARTICLE = Article(
    title="The harbour ferry returns after two winters away", url=LINK,
    image="https://news.example.org/img/ferry.jpg",
    text="The city's harbour ferry will sail again from Monday, two winters after its last "
         "crossing. The council bought a second-hand electric boat and trained six new "
         "skippers over the summer. Crossings will run every twenty minutes.",
)


@pytest.fixture
def x() -> Iterator[FakeX]:
    with FakeX(**X_SECRETS) as fake:
        yield fake


def make_settings(x: FakeX | None = None, **account: object) -> Settings:
    return load_settings(
        accounts=[{"name": "x", "platform": "twitter", "min_spacing_minutes": 0,
                   "timezone": "Europe/Istanbul", "api_base": x.url if x else None,
                   "review": "required", **account},
                  {"name": "fb", "platform": "facebook", "min_spacing_minutes": 0}],
        credentials={"x": X_SECRETS} if x else {}, feeds=[], http={"timeout_seconds": 2},
    )


def queued(store: Store, settings: Settings, account: str = "x",
           status: S = S.AWAITING_REVIEW) -> DeliveryRow:
    now = datetime.now(UTC)
    if store.get_article(LINK) is None:
        store.add_article(id=LINK, feed=None, guid=None, url=LINK, title=ARTICLE.title,
                          content_hash=ARTICLE.content_hash, published_at=None, payload={},
                          now=now)
    (post,) = prepare_article(ARTICLE, settings, [settings.account(account)]).posts
    row = store.add_delivery(article_id=LINK, account=account, platform=post.platform,
                             text=post.text, link=post.link,
                             payload=delivery_payload(post, ARTICLE), status=status,
                             next_attempt_at=now, now=now)
    assert row is not None
    return row


def test_an_item_carries_the_post_the_card_and_the_account_clock(store: Store) -> None:
    s = make_settings()
    row = queued(store, s)
    it = desk.item(s, row)
    assert it.title == ARTICLE.title and it.image == ARTICLE.image
    assert it.description.startswith("The city's harbour ferry will sail again")
    assert it.domain == "news.example.org"
    assert it.rules.platform == "twitter" and it.limit == 280 and it.fits
    assert it.length == it.rules.measure(row.text)
    assert it.due_local.tzinfo == ZoneInfo("Europe/Istanbul")
    assert it.first_line and "\n" not in it.first_line
    assert it.as_json()["counting"] == "weighted"


def test_an_edit_is_measured_as_x_counts_it(store: Store) -> None:
    s = make_settings()
    row = queued(store, s)
    cjk = "港" * 129 + " " + LINK  # 129 code points, but 258 + 1 + 23 = 282 weighted
    m = desk.measure(s, row, cjk)
    assert (m.length, m.limit, m.fits) == (282, 280, False)
    with pytest.raises(Refused, match=r"too long for X: 282 > 280"):
        desk.edit(s, store, row.id, cjk, version=row.version, actor="t")
    fits = "港" * 120 + " " + LINK
    assert desk.measure(s, row, fits).problem is None
    edited = desk.edit(s, store, row.id, fits, version=row.version, actor="cli:ann")
    assert edited.text == fits
    post = edited.payload["post"]
    assert post["text"] == fits and post["length"] == 264 and post["fits"] is True


@pytest.mark.parametrize(("text", "reason"), [
    ("A better sentence, but the link is gone.", "drops the article's link"),
    ("   \n ", "empty"),
])
def test_an_edit_that_breaks_the_post_is_refused(store: Store, text: str, reason: str) -> None:
    s = make_settings()
    row = queued(store, s)
    with pytest.raises(Refused, match=reason):
        desk.edit(s, store, row.id, text, version=row.version, actor="t")
    with pytest.raises(Refused, match="unchanged"):
        desk.edit(s, store, row.id, row.text, version=row.version, actor="t")
    after = store.get_delivery(row.id)
    assert after is not None and after.text == row.text and after.version == row.version


def test_the_link_may_move_and_change_its_utm_tail(store: Store) -> None:
    s = make_settings()
    row = queued(store, s)
    assert row.link is not None
    moved = f"Read this first: {row.link.split('?')[0]}?utm_source=other and more words."
    assert desk.measure(s, row, moved).problem is None


def test_an_edit_with_a_stale_version_is_a_conflict(store: Store) -> None:
    s = make_settings()
    row = queued(store, s)
    desk.reschedule(store, row.id, datetime.now(UTC) + timedelta(hours=1), version=row.version,
                    actor="web:bo")
    with pytest.raises(Conflict):
        desk.edit(s, store, row.id, f"New words {LINK}", version=row.version, actor="web:ann")


def test_approved_posts_go_out_with_the_edited_text(x: FakeX, store: Store) -> None:
    s = make_settings(x)
    row = queued(store, s)
    owner = make_owner()
    assert dispatch_account(s, store, s.account("x"), owner=owner) == []  # waits for review
    assert x.posts == []
    text = f"Edited by the desk: the ferry is back. {LINK}"
    edited = desk.edit(s, store, row.id, text, version=row.version, actor="web:ann")
    desk.approve(store, row.id, version=edited.version, actor="web:ann")
    (out,) = dispatch_account(s, store, s.account("x"), owner=owner)
    assert out.status == "sent"
    (sent,) = x.posts
    assert sent["text"].startswith("Edited by the desk: the ferry is back.")
    kinds = [e.kind for e in store.history(row.id)]
    assert kinds == ["queued", "edited", "approved", "claimed", "sent"]


def test_approval_keeps_the_accounts_window(store: Store, x: FakeX) -> None:
    s = make_settings(x, window={"start": "03:00", "end": "03:01"})
    row = queued(store, s)
    desk.approve(store, row.id, version=row.version, actor="cli:ann")
    late = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)  # 15:00 in Istanbul: quiet time
    assert dispatch_account(s, store, s.account("x"), owner="w", clock=fixed(late)) == []
    again = store.get_delivery(row.id)
    assert again is not None and again.status == S.PENDING and x.posts == []


def test_skip_refuses_what_is_out_or_unknown(store: Store) -> None:
    s = make_settings()
    row = queued(store, s, status=S.PENDING)
    store.claim_specific(row.id, owner="w", now=datetime.now(UTC), lease_seconds=60)
    with pytest.raises(Conflict, match="being sent"):
        desk.skip(store, row.id, version=None, actor="t")
    store.mark_sent(row.id, remote_id="1", remote_url=None, now=datetime.now(UTC), owner="w")
    with pytest.raises(Refused, match="sent; it cannot be skipped"):
        desk.skip(store, row.id, version=None, actor="t")
    with pytest.raises(Refused, match="no delivery"):
        desk.skip(store, 4242, version=None, actor="t")


def test_parse_when() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ist = ZoneInfo("Europe/Istanbul")
    assert desk.parse_when("+90m", ist, now=now) == now + timedelta(minutes=90)
    assert desk.parse_when("+2h", ist, now=now) == now + timedelta(hours=2)
    assert desk.parse_when("+1.5d", ist, now=now) == now + timedelta(hours=36)
    assert desk.parse_when("2026-03-02T09:30", ist, now=now) == datetime(
        2026, 3, 2, 6, 30, tzinfo=UTC)  # the account's clock (UTC+3)
    assert desk.parse_when("2026-03-02T09:30+00:00", ist, now=now) == datetime(
        2026, 3, 2, 9, 30, tzinfo=UTC)
    with pytest.raises(Refused, match="not a time"):
        desk.parse_when("next tuesday", ist, now=now)
