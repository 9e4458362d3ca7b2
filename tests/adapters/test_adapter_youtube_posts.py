"""YouTube ``mode: posts`` against the fake's ``posts`` resource, over real HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.accounts import check_accounts
from bot.adapters import youtube_posts
from bot.adapters.registry import get_adapter
from bot.adapters.youtube import YouTubeAdapter
from bot.config import Account, Credentials, Http, Settings
from bot.errors import AuthError, RateLimited, Transient
from tests.adapters.conftest import YT_SECRETS, make_post, make_settings
from tests.fakes import FakeWebhook, FakeYouTube
from tests.fakes.feedserver import FeedServer
from tests.fakes.youtube_posts import REFUSALS, png


@pytest.fixture(autouse=True)
def _forget_refusals() -> Iterator[None]:
    """The "no pilot access" memory is per process: each test starts without it."""
    youtube_posts._REFUSED.clear()
    yield
    youtube_posts._REFUSED.clear()


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def posts_adapter(fake: FakeYouTube, *, webhook: str | None = None, name: str = "yt"
                  ) -> YouTubeAdapter:
    creds = dict(YT_SECRETS, **({"webhook_url": webhook} if webhook else {}))
    acc = Account(name=name, platform="youtube", dry_run=False, api_base=fake.url, mode="posts")
    adapter = get_adapter(acc, make_settings(acc, creds))
    assert isinstance(adapter, YouTubeAdapter)
    return adapter


def community(fake: FakeYouTube) -> list[dict[str, Any]]:
    return [p for p in fake.posts if p.get("resource") == "post"]


# -- publishing ------------------------------------------------------------------------------
def test_text_post(yt_fake: FakeYouTube) -> None:
    adapter = posts_adapter(yt_fake)
    result = adapter.publish(make_post("youtube", text="New story https://example.org/s"))

    (made,) = community(yt_fake)
    assert made["text"] == "New story https://example.org/s" and made["images"] == []
    insert = yt_fake.calls("POST", r"^/youtube/v3/posts$")[0]
    assert insert.q("part") == "snippet"
    assert insert.json == {"snippet": {"textDisplay": "New story https://example.org/s"}}
    assert insert.header("authorization") == f"Bearer {next(iter(yt_fake.access_tokens))}"
    assert (result.status, result.remote_id) == ("sent", made["id"])
    assert result.url == f"https://www.youtube.com/post/{made['id']}"
    # quota: one modification unit of the posts quota; the default quota is untouched
    assert yt_fake.posts_api.units == {"list": 0, "write": 1}
    assert yt_fake.units_used == 0
    assert adapter._posts().units == {"list": 0, "write": 1} and adapter.units_spent == 0


def test_image_post_uploads_then_attaches(yt_fake: FakeYouTube, site: FeedServer) -> None:
    image = png()
    site.serve("/img/lead.png", image, content_type="image/png")
    adapter = posts_adapter(yt_fake)
    result = adapter.publish(make_post("youtube", text="Pictured https://example.org/s",
                                       image=site.url("/img/lead.png")))

    upload, insert = yt_fake.calls("POST", r"/posts")
    assert (upload.path, upload.q("uploadType")) == ("/upload/youtube/v3/posts/image", "media")
    assert upload.body == image and upload.header("content-type") == "image/png"
    token = insert.json["attachments"]["imageAttachments"][0]["uploadToken"]
    assert insert.q("part") == "snippet,attachments"
    (made,) = community(yt_fake)
    assert made["images"] == [token]
    assert result.status == "sent" and "image post" in result.detail
    assert yt_fake.posts_api.units["write"] == 2  # the upload and the insert


@pytest.mark.parametrize("trouble", ["missing", "not an image", "refused"])
def test_an_unusable_image_makes_a_text_post(yt_fake: FakeYouTube, site: FeedServer,
                                             caplog: pytest.LogCaptureFixture,
                                             trouble: str) -> None:
    if trouble == "not an image":
        site.serve("/img/x.png", b"<html>login</html>", content_type="text/html")
    elif trouble == "refused":  # sent as an image, but YouTube finds no image in the bytes
        site.serve("/img/x.png", b"GIF-but-not-really", content_type="image/gif")
    adapter = posts_adapter(yt_fake)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.youtube"):
        result = adapter.publish(make_post("youtube", image=site.url("/img/x.png")))
    (made,) = community(yt_fake)
    assert made["images"] == [] and result.status == "sent" and result.detail == "text post"
    assert "posting text only" in caplog.text


def test_posts_mode_attaches_one_image() -> None:
    posts = YouTubeAdapter.rules_for(Account(name="p", platform="youtube", mode="posts"))
    handoff = YouTubeAdapter.rules_for(Account(name="h", platform="youtube"))
    assert (posts.max_images, posts.max_image_bytes) == (1, 16 * 1024 * 1024)
    assert handoff.max_images == 0


# -- no pilot access ---------------------------------------------------------------------------
@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_no_pilot_access_hands_off_with_one_warning(
        refusal: str, caplog: pytest.LogCaptureFixture) -> None:
    with FakeYouTube(**YT_SECRETS, posts_refusal=refusal) as fake, FakeWebhook() as hook:
        with caplog.at_level(logging.WARNING, logger="bot.adapters.youtube"):
            first = posts_adapter(fake, webhook=hook.hook_url).publish(
                make_post("youtube", text="One https://example.org/1"), delivery_id=1)
            second = posts_adapter(fake, webhook=hook.hook_url).publish(
                make_post("youtube", text="Two https://example.org/2"), delivery_id=2)
        assert first.status == second.status == "awaiting_human"
        assert [("bot youtube done 1" in m["text"]) for m in hook.posts] == [True, False]
        assert len(hook.posts) == 2 and community(fake) == []
        # one refused call, then the account stays in hand-off without asking again
        assert len(fake.calls(path=r"/posts")) == 1
        warnings = [r for r in caplog.records if "posts pilot" in r.getMessage()]
        assert len(warnings) == 1
        assert "Ask YouTube to admit the project" in warnings[0].getMessage()


def test_accounts_check_says_what_to_request_and_clears_when_granted() -> None:
    with FakeYouTube(**YT_SECRETS, posts_refusal="forbidden") as fake:
        acc = Account(name="yt", platform="youtube", dry_run=False, api_base=fake.url,
                      mode="posts")
        settings = Settings(accounts=[acc], credentials={"yt": Credentials(**YT_SECRETS)},
                            feeds=[], http=Http(timeout_seconds=2))
        (check,) = check_accounts(settings)
        assert check.ok and check.warning is not None
        assert "posts pilot" in check.warning and "HTTP 403 forbidden" in check.warning
        assert youtube_posts.refusal("yt") is not None

        fake.posts_refusal = None  # the project was admitted
        (check,) = check_accounts(settings)
        assert check.ok and check.warning is None
        assert "posts API answers" in get_adapter(acc, settings).verify().detail
        assert youtube_posts.refusal("yt") is None
        result = get_adapter(acc, settings).publish(make_post("youtube"))
        assert result.status == "sent"


def test_a_refused_token_is_not_taken_for_no_pilot_access(yt_fake: FakeYouTube) -> None:
    yt_fake.revoke()
    with pytest.raises(AuthError):
        posts_adapter(yt_fake).publish(make_post("youtube"))
    assert youtube_posts.refusal("yt") is None


def test_posts_quota_exhausted_waits_for_pacific_midnight() -> None:
    with FakeYouTube(**YT_SECRETS, post_write_quota=1) as fake:
        posts_adapter(fake).publish(make_post("youtube", text="one https://example.org/1"))
        with pytest.raises(RateLimited) as info:
            posts_adapter(fake).publish(make_post("youtube", text="two https://example.org/2"))
    assert info.value.retry_after is not None and 0 < info.value.retry_after <= 25 * 3600
    assert youtube_posts.refusal("yt") is None  # a quota is not a refusal of the project


# -- find_existing -----------------------------------------------------------------------------
def _seed(fake: FakeYouTube, n: int, *, start: datetime, step: timedelta) -> None:
    for i in range(n):
        when = start + i * step
        fake.posts.append({"resource": "post", "id": f"Ugkxseed{i:05d}", "images": [],
                           "text": f"Older story {i} https://example.org/old/{i}",
                           "author": fake.channel_id, "created_ts": when.timestamp(),
                           "publishTime": when.strftime("%Y-%m-%dT%H:%M:%SZ")})


def test_find_existing_pages_back_to_since(yt_fake: FakeYouTube) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    _seed(yt_fake, 130, start=now - timedelta(hours=3), step=timedelta(seconds=60))
    adapter = posts_adapter(yt_fake)
    # the sought post is the 5th oldest: 126 newer posts stand before it (three pages of 50)
    found = adapter.find_existing("https://example.org/old/4", since=now - timedelta(hours=4))
    assert found is not None and found.remote_id == "Ugkxseed00004"
    assert found.url == "https://www.youtube.com/post/Ugkxseed00004"
    lists = yt_fake.calls("GET", r"^/youtube/v3/posts$")
    assert [c.q("maxResults") for c in lists] == ["50", "50", "50"]
    assert lists[0].q("pageToken") is None and lists[1].q("pageToken")
    assert {c.q("channelId") for c in lists} == {yt_fake.channel_id}

    # not there: read until a page reaches back past since, no further
    yt_fake.requests.clear()
    since = now - timedelta(minutes=110)  # 60 posts are newer: the second page reaches past it
    assert adapter.find_existing("https://example.org/never", since=since) is None
    assert len(yt_fake.calls("GET", r"^/youtube/v3/posts$")) == 2


def test_find_existing_without_since_reads_every_page(yt_fake: FakeYouTube) -> None:
    _seed(yt_fake, 120, start=datetime(2026, 11, 1, tzinfo=UTC), step=timedelta(minutes=5))
    assert posts_adapter(yt_fake).find_existing("https://example.org/never") is None
    assert len(yt_fake.calls("GET", r"^/youtube/v3/posts$")) == 3


def test_find_existing_cut_short_cannot_tell(yt_fake: FakeYouTube) -> None:
    _seed(yt_fake, 120, start=datetime(2026, 11, 1, tzinfo=UTC), step=timedelta(minutes=5))
    yt_fake.expect(503, {"error": {"code": 503, "message": "Backend Error",
                                   "errors": [{"reason": "backendError"}]}},
                   method="GET", path=r"^/youtube/v3/posts$", after=1)
    with pytest.raises(Transient):
        posts_adapter(yt_fake).find_existing("https://example.org/never")


def test_find_existing_when_refused_cannot_tell() -> None:
    with FakeYouTube(**YT_SECRETS, posts_refusal="accessNotConfigured") as fake:
        adapter = posts_adapter(fake)
        with pytest.raises(Transient, match="cannot tell"):
            adapter.find_existing("https://example.org/s")
        assert youtube_posts.refusal("yt") is not None
        with pytest.raises(Transient, match="refused this project"):
            adapter.find_existing("https://example.org/s")


def test_found_after_a_lost_answer(yt_fake: FakeYouTube) -> None:
    """The insert went through but its answer was lost: the look-up finds it."""
    yt_fake.expect(action="ghost", method="POST", path=r"^/youtube/v3/posts$")
    started = datetime.now(UTC) - timedelta(seconds=5)
    with pytest.raises(Transient):
        posts_adapter(yt_fake).publish(make_post("youtube", text="Ghost https://example.org/g"))
    (made,) = community(yt_fake)
    found = posts_adapter(yt_fake).find_existing("https://example.org/g", since=started)
    assert found is not None and found.remote_id == made["id"]


def test_a_404_naming_a_thing_is_not_taken_for_no_pilot_access(yt_fake: FakeYouTube) -> None:
    yt_fake.expect(404, {"error": {"code": 404, "message": "Channel not found.",
                                   "errors": [{"reason": "channelNotFound"}]}},
                   method="GET", path=r"^/youtube/v3/posts$")
    with pytest.raises(Transient, match="channelNotFound"):
        posts_adapter(yt_fake).find_existing("https://example.org/s")
    assert youtube_posts.refusal("yt") is None
