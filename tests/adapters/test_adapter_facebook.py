"""The Facebook Page adapter against the fake Graph API over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from bot.adapters.facebook import FacebookAdapter, next_page_query
from bot.adapters.registry import get_adapter
from bot.config import Account
from bot.errors import AlreadyPosted, AuthError, RateLimited, Rejected, Transient
from tests.adapters.conftest import FB_SECRETS, make_post, make_settings
from tests.fakes import FakeFacebook
from tests.fakes.facebook import graph_error

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
TOKEN = FB_SECRETS["page_token"]


def fb_adapter(fake: Any, *, creds: dict[str, str] | None = None, timeout: float = 2.0,
               **account: Any) -> FacebookAdapter:
    acc = Account(name="fb", platform="facebook", api_base=fake.url, page_id=fake.page_id,
                  **account)
    adapter = get_adapter(acc, make_settings(acc, creds or FB_SECRETS, timeout))
    assert isinstance(adapter, FacebookAdapter)
    return adapter


def test_publish_posts_the_form_with_token_in_body(fb_fake: FakeFacebook) -> None:
    post = make_post("facebook", text="Our new story", link="https://example.org/s?utm_source=fb")
    result = fb_adapter(fb_fake).publish(post)

    (call,) = fb_fake.calls("POST")
    assert call.path == f"/v27.0/{fb_fake.page_id}/feed"
    assert call.query == {}  # nothing in the URL: httpx logs URLs
    expected_proof = hmac.new(FB_SECRETS["app_secret"].encode(), TOKEN.encode(),
                              hashlib.sha256).hexdigest()
    assert call.form == {"message": "Our new story", "link": "https://example.org/s?utm_source=fb",
                         "access_token": TOKEN, "appsecret_proof": expected_proof}
    assert result.status == "sent"
    assert result.remote_id == fb_fake.posts[0]["id"]
    assert (result.remote_id or "").startswith(f"{fb_fake.page_id}_")
    assert result.url == f"https://www.facebook.com/{result.remote_id}"


def test_no_app_secret_means_no_proof(fb_fake: FakeFacebook) -> None:
    fb_fake.configure(app_secret=None)
    fb_adapter(fb_fake, creds={"page_token": TOKEN}).publish(make_post("facebook"))
    (call,) = fb_fake.calls("POST")
    assert "appsecret_proof" not in call.form


def test_graph_version_comes_from_the_account(fb_fake: FakeFacebook) -> None:
    fb_adapter(fb_fake, graph_version="v26.0").publish(make_post("facebook"))
    assert fb_fake.calls("POST")[0].path.startswith("/v26.0/")  # the previous version still works


def test_graph_version_defaults_to_v27(fb_fake: FakeFacebook) -> None:
    assert Account(name="fb", platform="facebook").graph_version == "v27.0"
    fb_adapter(fb_fake).verify()
    assert all(c.path.startswith("/v27.0/") for c in fb_fake.requests)


def test_scheduled_publishing(fb_fake: FakeFacebook) -> None:
    adapter = fb_adapter(fb_fake, schedule_minutes=30)
    with time_machine.travel(NOW, tick=False):
        result = adapter.publish(make_post("facebook"))
    form = fb_fake.calls("POST")[0].form
    assert form["published"] == "false"
    assert form["scheduled_publish_time"] == str(int(NOW.timestamp()) + 30 * 60)
    assert "scheduled for 2026-11-27T12:30:00+00:00" in result.detail
    # a scheduled post is not on the Page yet but find_existing still sees it
    with time_machine.travel(NOW, tick=False):
        found = adapter.find_existing("https://example.org/story")
    assert found is not None and found.remote_id == result.remote_id
    assert "scheduled" in found.detail


def fb_err(code: int, sub: int | None = None, status: int = 400,
           headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
    reply = graph_error(code, f"error {code}", subcode=sub, status=status)
    return reply.status, reply.body, headers or {}


BUC = json.dumps({"1234567890": [{"type": "pages", "call_count": 100,
                                  "estimated_time_to_regain_access": 7}]})


@pytest.mark.parametrize(
    ("reply", "error", "wait"),
    [
        (fb_err(190, 463), AuthError, None),
        (fb_err(190, 460), AuthError, None),
        (fb_err(10), AuthError, None),
        (fb_err(200), AuthError, None),
        (fb_err(299), AuthError, None),
        (fb_err(4, headers={"X-App-Usage": '{"call_count": 100, "total_time": 12}'}),
         RateLimited, 900.0),
        (fb_err(32, headers={"X-Business-Use-Case-Usage": BUC}), RateLimited, 420.0),
        (fb_err(17, headers={"X-Page-Usage": '{"call_count": 103}'}), RateLimited, 900.0),
        (fb_err(17), RateLimited, None),
        (fb_err(613), RateLimited, None),
        (fb_err(80001), RateLimited, None),
        (fb_err(368), Rejected, None),
        (fb_err(506, 1455006), AlreadyPosted, None),
        (fb_err(1), Transient, None),
        (fb_err(2, status=500), Transient, None),
        (fb_err(100, 1609005), Rejected, None),
        (fb_err(1609005), Rejected, None),
        (fb_err(100, 33), Rejected, None),
        ((502, "<html>Bad Gateway</html>", {}), Transient, None),
        ((404, "not here", {}), Rejected, None),
        ((429, "", {}), RateLimited, None),
    ],
)
def test_graph_errors_map_to_errors(fb_fake: FakeFacebook, reply: Any, error: type[Exception],
                                    wait: float | None) -> None:
    status, body, headers = reply
    fb_fake.expect(status, body, headers, method="POST")
    with pytest.raises(error) as err:
        fb_adapter(fb_fake).publish(make_post("facebook"))
    message = str(err.value)
    assert TOKEN not in message and FB_SECRETS["app_secret"] not in message
    assert f"HTTP {status}" in message
    if isinstance(body, dict):
        e = body["error"]
        assert f"Graph error {e['code']}" in message
        assert e["fbtrace_id"] in message
        if "error_subcode" in e:
            assert f"/{e['error_subcode']}" in message
    if error is RateLimited:
        assert isinstance(err.value, RateLimited) and err.value.retry_after == wait


def test_real_duplicate_from_the_fake(fb_fake: FakeFacebook) -> None:
    adapter = fb_adapter(fb_fake)
    adapter.publish(make_post("facebook"))
    with pytest.raises(AlreadyPosted, match="506"):
        adapter.publish(make_post("facebook"))
    assert len(fb_fake.posts) == 1


def test_wrong_appsecret_proof_is_rejected(fb_fake: FakeFacebook) -> None:
    creds = {**FB_SECRETS, "app_secret": "another-app-secret-1234"}
    with pytest.raises(Rejected, match="appsecret_proof"):
        fb_adapter(fb_fake, creds=creds).publish(make_post("facebook"))


@pytest.mark.parametrize("action", ["reset", "timeout"])
def test_network_failures_are_transient(fb_fake: FakeFacebook, action: str) -> None:
    fb_fake.configure(timeout_sleep=1.0)
    fb_fake.expect(action=action, method="POST")
    with pytest.raises(Transient):
        fb_adapter(fb_fake, timeout=0.4).publish(make_post("facebook"))


def test_verify_reads_page_and_token_expiry(fb_fake: FakeFacebook) -> None:
    fb_fake.configure(token_expires_at=int(datetime(2027, 1, 20, tzinfo=UTC).timestamp()))
    ident = fb_adapter(fb_fake).verify()
    assert (ident.id, ident.name) == (fb_fake.page_id, "Sample Page")
    assert ident.expires_at == datetime(2027, 1, 20, tzinfo=UTC)
    assert "pages_manage_posts" in ident.detail
    page_call, debug_call = fb_fake.calls("GET")
    assert page_call.q("fields") == "id,name"
    assert debug_call.path == "/v27.0/debug_token"
    assert debug_call.q("input_token") == TOKEN
    # with app id and secret the app token inspects the Page token
    assert debug_call.q("access_token") == f"{FB_SECRETS['app_id']}|{FB_SECRETS['app_secret']}"


def test_verify_never_expiring_token(fb_fake: FakeFacebook) -> None:
    ident = fb_adapter(fb_fake, creds={"page_token": TOKEN}).verify()
    assert ident.expires_at is None and "expires never" in ident.detail
    debug_call = fb_fake.calls("GET", "debug_token")[0]
    assert debug_call.q("access_token") == TOKEN  # no app token without app id/secret


def test_verify_with_invalidated_token(fb_fake: FakeFacebook) -> None:
    fb_fake.configure(token_invalid_subcode=460)
    with pytest.raises(AuthError, match="190/460"):
        fb_adapter(fb_fake).verify()


def test_find_existing_sees_link_attachments(fb_fake: FakeFacebook) -> None:
    adapter = fb_adapter(fb_fake)
    sent = adapter.publish(make_post("facebook", text="No link in this message",
                                     link="https://example.org/s/?utm_source=fb"))
    found = adapter.find_existing("https://example.org/s")
    assert found is not None
    assert found.remote_id == sent.remote_id
    assert found.url == fb_fake.posts[0]["permalink_url"]
    assert adapter.find_existing("https://example.org/elsewhere") is None
    listing = fb_fake.calls("GET", "/posts$")[0]
    assert listing.q("limit") == "100" and "attachments" in (listing.q("fields") or "")


def test_find_existing_since(fb_fake: FakeFacebook) -> None:
    adapter = fb_adapter(fb_fake)
    adapter.find_existing("https://example.org/s", since=NOW)
    adapter.find_existing("https://example.org/s", since=NOW.replace(tzinfo=None))  # naive: UTC
    sent = [c.q("since") for c in fb_fake.calls("GET", "/posts$")]
    assert sent == [str(int(NOW.timestamp()))] * 2


@pytest.mark.parametrize(("reply", "error"), [
    (fb_err(2, status=500), Transient), (fb_err(100), Transient),
    (fb_err(190), AuthError), (fb_err(4), RateLimited)])
def test_find_existing_cannot_tell(fb_fake: FakeFacebook, reply: Any,
                                   error: type[Exception]) -> None:
    status, body, headers = reply
    fb_fake.expect(status, body, headers, method="GET")
    with pytest.raises(error):
        fb_adapter(fb_fake).find_existing("https://example.org/s")


def test_next_page_query_follows_cursor_and_time_paging_never_the_token_in_next() -> None:
    query = {"fields": "id,message", "limit": "100", "since": "1700000000"}
    cursor_paged = {"cursors": {"before": "QQ==", "after": "MTAx"},
                    "next": "https://graph.facebook.com/v26.0/1/posts?limit=100&after=MTAx"
                            "&access_token=LEAKED&appsecret_proof=PROOF"}
    assert next_page_query(cursor_paged, query) == {**query, "after": "MTAx"}
    time_paged = {"previous": "https://graph.facebook.com/v26.0/1/posts?since=1700000500",
                  "next": "https://graph.facebook.com/v26.0/1/posts?limit=100&until=1700000400"
                          "&__paging_token=enc_Ad1&access_token=LEAKED"}
    assert next_page_query(time_paged, query) == {
        **query, "until": "1700000400", "__paging_token": "enc_Ad1"}
    for last in ({}, {"cursors": {"after": "MTAx"}}, None, "garbage"):
        assert next_page_query(last, query) is None  # no `next`: this was the last page
