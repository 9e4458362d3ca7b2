"""The X adapter against the fake X API over real HTTP."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from bot.adapters.registry import get_adapter
from bot.adapters.twitter import TwitterAdapter, retry_after
from bot.config import Account
from bot.errors import AlreadyPosted, AuthError, RateLimited, Rejected, Transient
from tests.adapters.conftest import X_SECRETS, make_post, make_settings
from tests.fakes import FakeX
from tests.fakes.x import DUPLICATE, oauth_params

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
T0 = int(NOW.timestamp())


def x_adapter(fake: Any, *, creds: dict[str, str] | None = None, timeout: float = 2.0,
              **account: Any) -> TwitterAdapter:
    acc = Account(name="x", platform="twitter", api_base=fake.url, **account)
    adapter = get_adapter(acc, make_settings(acc, creds or X_SECRETS, timeout))
    assert isinstance(adapter, TwitterAdapter)
    return adapter


def test_publish_sends_one_signed_post(x_fake: FakeX) -> None:
    post = make_post("twitter", text="Fresh story https://example.org/s")
    result = x_adapter(x_fake).publish(post)

    (call,) = x_fake.calls("POST", "/2/tweets")
    assert call.json == {"text": "Fresh story https://example.org/s"}
    fields = oauth_params(call.header("authorization"))
    assert fields["oauth_consumer_key"] == X_SECRETS["consumer_key"]
    assert fields["oauth_token"] == X_SECRETS["access_token"]
    assert fields["oauth_signature_method"] == "HMAC-SHA1" and fields["oauth_version"] == "1.0"
    # the fake recomputed the HMAC-SHA1 signature with both secrets and accepted it
    assert result.status == "sent"
    assert result.remote_id == x_fake.posts[0]["id"]
    assert result.url == f"https://x.com/i/web/status/{result.remote_id}"
    assert result.thread_ids == (result.remote_id,)


def test_the_signature_covers_the_url_actually_called(x_fake: FakeX) -> None:
    """A staging server at ``api_base`` checks the signature against its own URL: the one
    over api.twitter.com (what tweepy builds) must not be what was signed."""
    from oauthlib.oauth1 import Client
    from oauthlib.oauth1.rfc5849 import signature as sig

    adapter = x_adapter(x_fake)
    adapter.find_existing("https://example.org/story")  # a GET with a query string
    (call,) = x_fake.calls("GET", "/2/users/1001/tweets")
    fields = oauth_params(call.header("authorization"))
    params = [(k, v) for k, v in fields.items() if k != "oauth_signature"]
    params += [(k, v) for k, vs in call.query.items() for v in vs]
    secrets = Client(X_SECRETS["consumer_key"], client_secret=X_SECRETS["consumer_secret"],
                     resource_owner_secret=X_SECRETS["access_token_secret"])

    def signed(base: str) -> str:
        text = sig.signature_base_string("GET", sig.base_string_uri(base + call.path),
                                         sig.normalize_parameters(params))
        return str(sig.sign_hmac_sha1_with_client(text, secrets))

    assert fields["oauth_signature"] == signed(x_fake.url)
    assert fields["oauth_signature"] != signed("https://api.twitter.com")


def test_wrong_consumer_secret_fails_the_signature(x_fake: FakeX) -> None:
    creds = {**X_SECRETS, "consumer_secret": "not-the-right-secret-000"}
    with pytest.raises(AuthError, match="401"):
        x_adapter(x_fake, creds=creds).publish(make_post("twitter"))
    assert x_fake.posts == []


def test_verify_then_urls_carry_the_username(x_fake: FakeX) -> None:
    adapter = x_adapter(x_fake)
    ident = adapter.verify()
    assert (ident.id, ident.name) == ("1001", "@pubbot")
    assert "OAuth 1.0a" in ident.detail
    result = adapter.publish(make_post("twitter"))
    assert result.url == f"https://x.com/pubbot/status/{result.remote_id}"


def test_thread_mode_chains_replies(x_fake: FakeX) -> None:
    post = make_post("twitter", text="1/3 head", thread=["2/3 middle", "3/3 end"])
    result = x_adapter(x_fake, thread=True).publish(post)

    bodies = [c.json for c in x_fake.calls("POST", "/2/tweets")]
    ids = [p["id"] for p in x_fake.posts]
    assert bodies == [
        {"text": "1/3 head"},
        {"text": "2/3 middle", "reply": {"in_reply_to_tweet_id": ids[0]}},
        {"text": "3/3 end", "reply": {"in_reply_to_tweet_id": ids[1]}},
    ]
    assert result.thread_ids == tuple(ids)
    assert result.remote_id == ids[0]


def test_thread_reply_failure_keeps_the_head_as_sent(x_fake: FakeX) -> None:
    # the head goes through, the first reply meets a 503
    x_fake.expect(503, FakeX.problem(503, "Service Unavailable", "busy"), method="POST",
                  path="/2/tweets", after=1)
    post = make_post("twitter", text="head", thread=["reply one", "reply two"])
    result = x_adapter(x_fake).publish(post)
    assert result.status == "sent"
    assert result.thread_ids == (x_fake.posts[0]["id"],)
    assert "thread stopped at post 2 of 3" in result.detail
    assert len(x_fake.calls("POST", "/2/tweets")) == 2  # no third attempt after the failure


@pytest.mark.parametrize(
    ("status", "body", "headers", "error", "wait"),
    [
        (401, FakeX.problem(401, "Unauthorized", "Unauthorized"), {}, AuthError, None),
        (403, FakeX.problem(403, "Forbidden", DUPLICATE), {}, AlreadyPosted, None),
        (403, FakeX.problem(403, "Forbidden", "You are not permitted to perform this action."),
         {}, Rejected, None),
        (400, {"errors": [{"message": "text too long"}], "title": "Invalid Request"}, {},
         Rejected, None),
        (429, FakeX.problem(429, "Too Many Requests", "Too Many Requests"),
         {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(T0 + 120)},
         RateLimited, 120.0),
        (429, FakeX.problem(429, "Too Many Requests", "Too Many Requests"),
         {"x-rate-limit-remaining": "40", "x-rate-limit-reset": str(T0 + 60),
          "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": str(T0 + 5000)},
         RateLimited, 5000.0),
        (429, "slow down", {}, RateLimited, None),
        (500, FakeX.problem(500, "Internal Error", "oops"), {}, Transient, None),
        (503, "Service Unavailable", {}, Transient, None),
    ],
)
def test_error_shapes_map_to_errors(x_fake: FakeX, status: int, body: Any,
                                    headers: dict[str, str], error: type[Exception],
                                    wait: float | None) -> None:
    x_fake.expect(status, body, headers, method="POST", path="/2/tweets")
    with time_machine.travel(NOW, tick=False), pytest.raises(error) as err:
        x_adapter(x_fake).publish(make_post("twitter"))
    assert str(status) in str(err.value)
    if error is RateLimited:
        assert isinstance(err.value, RateLimited) and err.value.retry_after == wait
    assert "\n" not in str(err.value)


def test_duplicate_reports_the_existing_post(x_fake: FakeX) -> None:
    adapter = x_adapter(x_fake)
    first = adapter.publish(make_post("twitter"))
    with pytest.raises(AlreadyPosted) as err:
        adapter.publish(make_post("twitter"))
    assert err.value.remote_id == first.remote_id
    assert len(x_fake.posts) == 1


@pytest.mark.parametrize("action", ["reset", "timeout"])
def test_network_failures_are_transient(x_fake: FakeX, action: str) -> None:
    x_fake.configure(timeout_sleep=1.0)
    x_fake.expect(action=action, method="POST", path="/2/tweets")
    with pytest.raises(Transient) as err:
        x_adapter(x_fake, timeout=0.4).publish(make_post("twitter"))
    if action == "timeout":
        assert "timed out after 0.4s" in str(err.value)
    assert x_fake.posts == []


def test_fake_rate_window_gives_a_usable_retry_after(x_fake: FakeX) -> None:
    x_fake.configure(rate_limit=(2, 60))
    adapter = x_adapter(x_fake)
    with time_machine.travel(NOW, tick=False):
        adapter.publish(make_post("twitter", text="one"))
        adapter.publish(make_post("twitter", text="two"))
        with pytest.raises(RateLimited) as err:
            adapter.publish(make_post("twitter", text="three"))
    assert err.value.retry_after == 61.0  # window of 60 s, reset rounded up by the server
    assert len(x_fake.posts) == 2


def test_daily_cap_uses_the_24_hour_reset() -> None:
    with FakeX(daily_limit=1) as fake, time_machine.travel(NOW, tick=False):
        adapter = x_adapter(fake)
        adapter.publish(make_post("twitter", text="one"))
        with pytest.raises(RateLimited) as err:
            adapter.publish(make_post("twitter", text="two"))
    assert err.value.retry_after == 86401.0


def test_retry_after_takes_the_latest_exhausted_reset() -> None:
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1100",
               "x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": "1900"}
    assert retry_after(headers, now=1000) == 900
    assert retry_after({"x-rate-limit-reset": "990"}, now=1000) == 0
    assert retry_after({}, now=1000) is None


# -- OAuth 2.0 user token -------------------------------------------------------------------------
OAUTH2 = {"bearer_token": "x2-OldBearerQm7Zt4Lp", "refresh_token": "x2-RefreshVw3Kd8Nq",
          "client_id": "x2-ClientJb5Hs1", "client_secret": "x2-ClientSecretTy6Gr2"}


def test_oauth2_sends_bearer_and_refreshes_once_on_401() -> None:
    with FakeX(bearer_tokens=set(), refresh_token=OAUTH2["refresh_token"],
               client_id=OAUTH2["client_id"], client_secret=OAUTH2["client_secret"]) as fake:
        adapter = x_adapter(fake, creds=OAUTH2, auth="oauth2")
        result = adapter.publish(make_post("twitter"))

        posts = fake.calls("POST", "/2/tweets")
        new_bearer = adapter.refreshed_credentials().get("bearer_token")
        assert new_bearer
        assert [c.header("authorization") for c in posts] == [
            f"Bearer {OAUTH2['bearer_token']}", f"Bearer {new_bearer}"]
        (token_call,) = fake.calls("POST", "/2/oauth2/token")
        assert token_call.form == {"grant_type": "refresh_token",
                                   "refresh_token": OAUTH2["refresh_token"],
                                   "client_id": OAUTH2["client_id"]}
        basic = base64.b64encode(f"{OAUTH2['client_id']}:{OAUTH2['client_secret']}".encode())
        assert token_call.header("authorization") == f"Basic {basic.decode()}"
        assert result.status == "sent"
        # X rotates refresh tokens: both new values are handed back for storage
        assert adapter.refreshed_credentials() == {
            "bearer_token": new_bearer, "refresh_token": fake.refresh_token}


def test_oauth2_refused_refresh_is_an_auth_error() -> None:
    with FakeX(bearer_tokens=set(), refresh_token="some-other-refresh",
               client_id=OAUTH2["client_id"], client_secret=OAUTH2["client_secret"]) as fake:
        adapter = x_adapter(fake, creds=OAUTH2, auth="oauth2")
        with pytest.raises(AuthError, match="refresh was refused"):
            adapter.publish(make_post("twitter"))
        assert adapter.refreshed_credentials().get("bearer_token") is None
        assert fake.posts == []


def test_oauth2_without_refresh_token_fails_on_401() -> None:
    with FakeX(bearer_tokens=set()) as fake:
        adapter = x_adapter(fake, creds={"bearer_token": OAUTH2["bearer_token"]}, auth="oauth2")
        with pytest.raises(AuthError, match="401"):
            adapter.verify()
        assert fake.calls(path="/2/oauth2/token") == []


# -- find_existing ------------------------------------------------------------------------------
def test_find_existing_matches_the_expanded_url(x_fake: FakeX) -> None:
    adapter = x_adapter(x_fake)
    sent = adapter.publish(make_post("twitter", text="Story https://example.org/s/?utm_source=x"))
    # the fake shortened the link to t.co in the text, as X does
    assert "https://t.co/" in x_fake.posts[0]["display_text"]
    found = adapter.find_existing("https://example.org/s")
    assert found is not None and found.remote_id == sent.remote_id
    assert found.status == "sent"
    assert adapter.find_existing("https://example.org/other") is None
    timeline = x_fake.calls("GET", r"/2/users/1001/tweets")[0]
    assert "entities" in (timeline.q("tweet.fields") or "")


def test_find_existing_passes_since_as_start_time(x_fake: FakeX) -> None:
    adapter = x_adapter(x_fake)
    adapter.find_existing("https://example.org/s", since=datetime(2026, 11, 1, tzinfo=UTC))
    (timeline,) = x_fake.calls("GET", r"/tweets$")
    assert timeline.q("start_time") == "2026-11-01T00:00:00Z"


@pytest.mark.parametrize(("status", "error"), [(503, Transient), (404, Transient),
                                                (429, RateLimited), (401, AuthError)])
def test_find_existing_cannot_tell(x_fake: FakeX, status: int, error: type[Exception]) -> None:
    x_fake.expect(status, FakeX.problem(status, "x", "x"), path=r"/tweets$", method="GET")
    adapter = x_adapter(x_fake)
    with pytest.raises(error):
        adapter.find_existing("https://example.org/s")
