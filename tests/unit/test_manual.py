"""Work by hand through the ledger: `bot post` live (once, or again with --force) and
`bot retry` (rendering afresh a post whose template failed), against fake platforms over
real HTTP and a real ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.dispatch import dispatch_account
from bot.errors import ConfigError, RenderError
from bot.manual import publish_by_hand, requeue
from bot.models import Article
from bot.pipeline import prepare_article, select_accounts
from bot.store import DeliveryStatus as S
from bot.store import Store
from tests.fakes import FakeFacebook, FakeX
from tests.unit.test_dispatch import LINK, make_settings

ARTICLE = Article(title="Railways plan", url=LINK,
                  text="The minister announced a plan for faster trains on Monday. "
                       "Critics said the budget was far too small for it.")


def test_post_by_hand_twice_posts_once_and_force_posts_again(x: FakeX, fb: FakeFacebook,
                                                             store: Store) -> None:
    s = make_settings(x, fb)
    prepared = prepare_article(ARTICLE, s, select_accounts(s))
    first = publish_by_hand(prepared, s, store=store)
    assert [o.status for o in first] == ["sent", "sent"]
    again = publish_by_hand(prepared, s, store=store)
    assert [o.status for o in again] == ["already_sent", "already_sent"]
    assert [o.url for o in again] == [o.url for o in first]
    assert (len(x.posts), len(fb.posts)) == (1, 1)
    x.configure(duplicates=False)  # real X refuses identical text; a changed post goes through
    fb.configure(duplicates=False)
    forced = publish_by_hand(prepared, s, store=store, force=True)
    assert [o.status for o in forced] == ["sent", "sent"]
    assert (len(x.posts), len(fb.posts)) == (2, 2)
    (row,) = store.list_deliveries(account="x")
    assert "forced" in [e.kind for e in store.history(row.id)]


def test_one_account_failing_does_not_stop_the_others_by_hand(x: FakeX, fb: FakeFacebook,
                                                              store: Store) -> None:
    s = make_settings(x, fb)
    x.expect(500, {"title": "boom"}, method="POST", path="/2/tweets", times=5)
    art = Article(title="Railways plan", url=LINK, text="A plan for trains. It is small.")
    outs = publish_by_hand(prepare_article(art, s, select_accounts(s)), s, store=store)
    assert [(o.account, o.ok) for o in outs] == [("x", False), ("fb", True)]
    assert len(fb.posts) == 1 and x.posts == []


def test_a_dry_run_account_is_previewed_beside_a_live_one(x: FakeX, fb: FakeFacebook,
                                                          store: Store) -> None:
    s = make_settings(x, fb)
    s.accounts[1] = s.account("fb").model_copy(update={"dry_run": True})
    outs = publish_by_hand(prepare_article(ARTICLE, s, select_accounts(s)), s, store=store)
    assert [(o.account, o.status) for o in outs] == [("x", "sent"), ("fb", "dry_run")]
    assert fb.requests == [] and len(x.posts) == 1


def test_a_delivery_another_sender_holds_is_not_sent_twice(x: FakeX, fb: FakeFacebook,
                                                           store: Store) -> None:
    s = make_settings(x, fb)
    prepared = prepare_article(ARTICLE, s, select_accounts(s))
    publish_by_hand(prepared, s, store=store)  # both rows exist now
    (row,) = store.list_deliveries(account="x")
    store.retry(row.id, now=datetime.now(UTC), force=True)
    assert store.claim_specific(row.id, owner="daemon", now=datetime.now(UTC),
                                lease_seconds=300) is not None  # the daemon is sending it
    for force in (False, True):
        outs = publish_by_hand(prepared, s, store=store, force=force)
        assert (outs[0].status, outs[0].delivery_id) == ("busy", row.id)
    assert len(x.posts) == 1
    still = store.get_delivery(row.id)
    assert still is not None and (still.status, still.owner) == (S.SENDING, "daemon")


@pytest.mark.parametrize(("dry", "url", "message"), [
    (True, LINK, "no live account"),
    (False, None, "needs the article's link"),
])
def test_nothing_is_posted_or_stored_when_a_live_post_cannot_be_made(
        x: FakeX, fb: FakeFacebook, store: Store, dry: bool, url: str | None,
        message: str) -> None:
    s = make_settings(x, fb)
    if dry:
        s.accounts[:] = [a.model_copy(update={"dry_run": True}) for a in s.accounts]
    art = ARTICLE.model_copy(update={"url": url})
    with pytest.raises(ConfigError, match=message):
        publish_by_hand(prepare_article(art, s, select_accounts(s)), s, store=store)
    assert store.list_deliveries() == [] and x.requests == fb.requests == []


# -- bot retry ---------------------------------------------------------------------------
def dead_before_rendering(store: Store, article: Article, account: str, platform: str) -> int:
    """A delivery whose template failed at ingest: dead, no post, the article kept."""
    now = datetime.now(UTC)
    store.add_article(id=LINK, feed="news", guid=None, url=LINK, title=article.title,
                      content_hash=article.content_hash, published_at=None, payload={}, now=now)
    row = store.add_delivery(article_id=LINK, account=account, platform=platform, text="",
                             link=LINK, payload={"error": "facebook.j2 line 2: boom",
                                                 "rerender": article.model_dump(mode="json")},
                             next_attempt_at=now, now=now)
    assert row is not None
    store.mark_dead(row.id, error="could not prepare the post: boom", now=now)
    return row.id


def test_retry_renders_a_post_whose_template_failed_and_it_is_sent(
        x: FakeX, fb: FakeFacebook, store: Store, tmp_path: Path) -> None:
    did = dead_before_rendering(store, ARTICLE, "fb", "facebook")
    broken = tmp_path / "facebook.j2"
    broken.write_text(  # fails while rendering, not while loading
        "{{ title }}\n{{ 1 // (hashtags | length - hashtags | length) }}\n")
    s = make_settings(x, fb)
    s.accounts[1] = s.account("fb").model_copy(update={"template": broken})
    with pytest.raises((ConfigError, RenderError), match=r"facebook\.j2 line 2"):
        requeue(s, store, did)  # still broken: said so, and the row is kept as it was
    row = store.get_delivery(did)
    assert row is not None and row.status == S.DEAD and row.text == ""

    fixed = make_settings(x, fb)
    assert requeue(fixed, store, did) == f"delivery {did} rendered again and queued"
    row = store.get_delivery(did)
    assert row is not None and row.status == S.PENDING and "Railways plan" in row.text
    (out,) = dispatch_account(fixed, store, fixed.account("fb"), owner="t")
    assert out.status == "sent" and fb.posts[0]["message"] == row.text


def test_retry_queues_a_failed_post_again_as_it_was(x: FakeX, fb: FakeFacebook,
                                                    store: Store) -> None:
    s = make_settings(x, fb)
    x.expect(400, {"title": "Invalid Request", "detail": "rejected"}, method="POST",
             path="/2/tweets")
    (out, _) = publish_by_hand(prepare_article(ARTICLE, s, select_accounts(s)), s, store=store)
    assert out.status == "dead" and out.delivery_id is not None
    text = store.get_delivery(out.delivery_id).text  # type: ignore[union-attr]
    assert requeue(s, store, out.delivery_id) == f"delivery {out.delivery_id} queued again"
    (again,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert again.status == "sent" and x.posts[0]["text"] == text


def test_retry_of_a_delivery_without_a_post_or_id_is_a_clear_error(
        x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    with pytest.raises(ConfigError, match="no delivery with id 999"):
        requeue(s, store, 999)
    now = datetime.now(UTC)
    store.add_article(id=LINK, feed="news", guid=None, url=LINK, title="T", content_hash="h",
                      published_at=None, payload={}, now=now)
    row = store.add_delivery(article_id=LINK, account="x", platform="twitter", text="",
                             link=LINK, payload={"error": "no article text"},
                             next_attempt_at=now, now=now)
    assert row is not None
    store.mark_dead(row.id, error="could not read the article", now=now)
    with pytest.raises(ConfigError, match="cannot be retried"):
        requeue(s, store, row.id)
    assert store.get_delivery(row.id).status == S.DEAD  # type: ignore[union-attr]
