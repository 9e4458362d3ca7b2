"""The YouTube adapter: hand-off mode with a webhook, comment mode against the fake API."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from bot.adapters.registry import get_adapter
from bot.adapters.youtube import YouTubeAdapter, seconds_until_pacific_midnight
from bot.config import Account
from bot.errors import AuthError, RateLimited, Rejected, Transient
from tests.adapters.conftest import YT_SECRETS, make_post, make_settings
from tests.fakes import FakeWebhook, FakeYouTube
from tests.fakes.youtube import google_error


def yt_adapter(fake: Any | None, *, creds: dict[str, str] | None = None, timeout: float = 2.0,
               **account: Any) -> YouTubeAdapter:
    acc = Account(name="yt", platform="youtube", dry_run=False,
                  api_base=fake.url if fake else None, **account)
    adapter = get_adapter(acc, make_settings(acc, creds, timeout))
    assert isinstance(adapter, YouTubeAdapter)
    return adapter


# -- hand-off ------------------------------------------------------------------------------------
def test_handoff_waits_for_a_human_and_pings_the_webhook(hook: FakeWebhook) -> None:
    adapter = yt_adapter(None, creds={"webhook_url": hook.hook_url})
    post = make_post("youtube", text="Community post text https://example.org/s",
                     link="https://example.org/s", image="https://example.org/s.jpg")
    result = adapter.publish(post, delivery_id=42)

    assert result.status == "awaiting_human"
    assert result.detail == "Community post text https://example.org/s"
    assert result.remote_id is None and result.url is None
    (msg,) = hook.posts
    assert set(msg["json"]) == {"text"}
    text = msg["text"]
    for part in ("Community post text https://example.org/s", "https://example.org/s.jpg",
                 "bot youtube done 42", "'yt'"):
        assert part in text
    call = hook.calls("POST")[0]
    assert (call.header("content-type") or "").startswith("application/json")


def test_handoff_without_webhook_sends_nothing() -> None:
    result = yt_adapter(None).publish(make_post("youtube"))
    assert result.status == "awaiting_human"


@pytest.mark.parametrize(("status", "action"), [(500, None), (404, None), (0, "reset")])
def test_handoff_survives_a_failing_webhook(hook: FakeWebhook, caplog: pytest.LogCaptureFixture,
                                            status: int, action: str | None) -> None:
    hook.expect(status, "boom", action=action)
    adapter = yt_adapter(None, creds={"webhook_url": hook.hook_url})
    with caplog.at_level(logging.WARNING, logger="bot.adapters.youtube"):
        result = adapter.publish(make_post("youtube"), delivery_id=5)
    assert result.status == "awaiting_human"
    assert "webhook" in caplog.text
    assert hook.path not in caplog.text  # the webhook URL is a secret
    assert hook.posts == []


def test_handoff_verify_and_find_existing(hook: FakeWebhook) -> None:
    adapter = yt_adapter(None, creds={"webhook_url": hook.hook_url})
    ident = adapter.verify()
    assert "hand-off" in ident.detail and "webhook set" in ident.detail
    assert adapter.find_existing("https://example.org/s") is None
    assert hook.requests == []


# -- comment mode ------------------------------------------------------------------------------
def test_comment_on_the_newest_upload(yt_fake: FakeYouTube) -> None:
    adapter = yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment")
    result = adapter.publish(make_post("youtube", text="New article https://example.org/s"))

    token, channels, items, insert = yt_fake.requests
    assert (token.method, token.path) == ("POST", "/token")
    assert token.form["grant_type"] == "refresh_token"
    assert token.form["refresh_token"] == YT_SECRETS["refresh_token"]
    assert (channels.path, channels.q("mine")) == ("/youtube/v3/channels", "true")
    assert "contentDetails" in (channels.q("part") or "")
    assert (items.path, items.q("playlistId"), items.q("maxResults")) == (
        "/youtube/v3/playlistItems", yt_fake.uploads, "1")
    assert (insert.method, insert.path, insert.q("part")) == (
        "POST", "/youtube/v3/commentThreads", "snippet")
    snippet = insert.json["snippet"]
    assert snippet["videoId"] == "vidNewest01"
    assert snippet["topLevelComment"]["snippet"]["textOriginal"] == (
        "New article https://example.org/s")
    assert insert.header("authorization", ) == f"Bearer {next(iter(yt_fake.access_tokens))}"

    cid = yt_fake.posts[0]["id"]
    assert result.status == "sent" and result.remote_id == cid
    assert result.url == f"https://www.youtube.com/watch?v=vidNewest01&lc={cid}"
    assert adapter.units_spent == 1 + 1 + 50 == yt_fake.units_used


def test_comment_verify(yt_fake: FakeYouTube) -> None:
    ident = yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment").verify()
    assert (ident.id, ident.name) == (yt_fake.channel_id, "Sample Channel")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 27, 15, 0, tzinfo=UTC), 17 * 3600.0),  # 07:00 PST
        (datetime(2026, 7, 1, 6, 59, tzinfo=UTC), 60.0),  # 23:59 PDT
        # 00:30 PST on the day clocks go forward: that day has 23 hours
        (datetime(2026, 3, 8, 8, 30, tzinfo=UTC), 22.5 * 3600),
        # 00:30 PDT on the day clocks go back: 25 hours
        (datetime(2026, 11, 1, 7, 30, tzinfo=UTC), 24.5 * 3600),
    ],
)
def test_seconds_until_pacific_midnight(now: datetime, expected: float) -> None:
    assert seconds_until_pacific_midnight(now) == expected


def test_quota_exceeded_waits_until_pacific_midnight(yt_fake: FakeYouTube) -> None:
    yt_fake.configure(quota_per_day=51)  # channels + playlistItems fit, the comment does not
    adapter = yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment")
    with time_machine.travel(datetime(2026, 11, 27, 15, 0, tzinfo=UTC), tick=False), \
            pytest.raises(RateLimited, match="quotaExceeded") as err:
        adapter.publish(make_post("youtube"))
    assert err.value.retry_after == 17 * 3600.0
    assert yt_fake.posts == []


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (google_error(403, "commentsDisabled", "The video has disabled comments."), Rejected),
        (google_error(403, "forbidden", "Forbidden"), Rejected),
        (google_error(400, "processingFailure", "Bad request"), Rejected),
        (google_error(404, "videoNotFound", "Not found"), Rejected),
        (google_error(403, "dailyLimitExceeded", "Daily Limit Exceeded", "usageLimits"),
         RateLimited),
        (google_error(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits"),
         RateLimited),
        (google_error(429, "rateLimitExceeded", "Too many", "usageLimits"), RateLimited),
        (google_error(401, "authError", "Invalid Credentials", "global"), AuthError),
        (google_error(403, "insufficientPermissions", "Insufficient Permission", "global"),
         AuthError),
        (google_error(500, "backendError", "Backend Error", "global"), Transient),
        (google_error(503, "backendError", "Backend Error", "global"), Transient),
    ],
)
def test_comment_errors_map_to_errors(yt_fake: FakeYouTube, reply: Any,
                                      error: type[Exception]) -> None:
    yt_fake.expect(reply.status, reply.body, method="POST", path="/commentThreads$", times=9)
    with pytest.raises(error) as err:
        yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment").publish(make_post("youtube"))
    assert f"HTTP {reply.status}" in str(err.value)
    # only a 401 is sent again (after google-auth refreshed the token); nothing else repeats
    sends = len(yt_fake.calls("POST", "/commentThreads$"))
    assert sends == (3 if reply.status == 401 else 1)
    if error is RateLimited and "dailyLimit" not in str(err.value):
        assert isinstance(err.value, RateLimited) and err.value.retry_after is None


def test_revoked_refresh_token_is_an_auth_error(yt_fake: FakeYouTube) -> None:
    yt_fake.revoke()
    with pytest.raises(AuthError, match="invalid_grant"):
        yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment").verify()


def test_a_channel_without_videos_is_rejected(yt_fake: FakeYouTube) -> None:
    yt_fake.configure(videos=[])
    with pytest.raises(Rejected, match="no uploaded video"):
        yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment").publish(make_post("youtube"))


def test_timeout_is_transient(yt_fake: FakeYouTube) -> None:
    yt_fake.configure(timeout_sleep=1.0)
    yt_fake.expect(action="timeout", path="/channels$")
    with pytest.raises(Transient):
        yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment", timeout=0.4).verify()


def test_lost_answer_is_not_replayed(yt_fake: FakeYouTube) -> None:
    """The comment is made but the connection drops: one comment, a Transient error, and
    find_existing can then see it (httplib2 alone would silently post it again)."""
    yt_fake.expect(action="ghost", method="POST", path="/commentThreads$")
    adapter = yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment")
    post = make_post("youtube", text="Once only https://example.org/once")
    with pytest.raises(Transient):
        adapter.publish(post)
    assert len(yt_fake.posts) == 1
    assert len(yt_fake.calls("POST", "/commentThreads$")) == 1
    found = adapter.find_existing("https://example.org/once")
    assert found is not None and found.remote_id == yt_fake.posts[0]["id"]


def test_find_existing_in_comment_mode(yt_fake: FakeYouTube) -> None:
    adapter = yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment")
    sent = adapter.publish(make_post("youtube", text="Read https://example.org/s/?utm_source=yt"))
    found = adapter.find_existing("https://example.org/s")
    assert found is not None and found.remote_id == sent.remote_id
    assert found.url == sent.url
    assert adapter.find_existing("https://example.org/other") is None
    listing = yt_fake.calls("GET", "/commentThreads$")[0]
    assert listing.q("allThreadsRelatedToChannelId") == yt_fake.channel_id
    # comments written before `since` do not count
    assert adapter.find_existing("https://example.org/s",
                                 since=datetime(2100, 1, 1, tzinfo=UTC)) is None


def test_find_existing_cannot_tell(yt_fake: FakeYouTube) -> None:
    yt_fake.expect(500, google_error(500, "backendError", "x", "global").body,
                   method="GET", path="/commentThreads$")
    with pytest.raises(Transient):
        yt_adapter(yt_fake, creds=YT_SECRETS, mode="comment").find_existing("https://e.org/s")
