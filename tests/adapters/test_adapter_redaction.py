"""No secret reaches a log record, at DEBUG, through any vendor library."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from bot.adapters.registry import get_adapter
from bot.config import Account
from bot.errors import PublishError
from bot.logs.redact import MASK, SecretFilter, install_redaction, mask, scrub
from tests.adapters.conftest import (
    FB_SECRETS,
    X_SECRETS,
    YT_SECRETS,
    distinctive,
    leaked,
    make_post,
    make_settings,
)
from tests.fakes import FakeFacebook, FakeWebhook, FakeX, FakeYouTube


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("Authorization: Bearer AAAAsecretBEARER", "AAAAsecretBEARER"),
        ("Headers: {'User-Agent': 'x', 'Authorization': 'Bearer AAAAsecretBEARER'}",
         "AAAAsecretBEARER"),
        ("{'Authorization': b'OAuth oauth_nonce=\"1\", oauth_token=\"tok-ABCDEF\"'}", "tok-ABCDEF"),
        ('{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}', "dXNlcjpwYXNzd29yZA"),
        ("GET /v26.0/1/posts?fields=id&access_token=EAAGpagetoken1&limit=2", "EAAGpagetoken1"),
        ("body: grant_type=refresh_token&refresh_token=RT-secret-1&client_secret=CS-2",
         "RT-secret-1"),
        ("body: grant_type=refresh_token&refresh_token=RT-secret-1&client_secret=CS-2", "CS-2"),
        ('Content: b\'{"access_token": "ya29.fresh-token", "expires_in": 3599}\'',
         "ya29.fresh-token"),
        ('oauth_signature="c2lnbmF0dXJl%3D"', "c2lnbmF0dXJl"),
        ("debug_token?input_token=EAAGinput99&access_token=42%7Capp-secret", "EAAGinput99"),
    ],
)
def test_scrub_patterns(text: str, hidden: str) -> None:
    out = scrub(text)
    assert hidden not in out
    assert MASK in out


def test_scrub_registered_values_also_url_encoded() -> None:
    secret = "app|sec ret/+="
    out = scrub("a=app%7Csec%20ret%2F%2B%3D b=app%7Csec+ret%2F%2B%3D c=app|sec ret/+=", [secret])
    assert "sec" not in out


def test_short_values_are_not_registered() -> None:
    f = SecretFilter(["abc", "", "longer-secret"])
    assert f.count == 1
    assert f.scrub("abc longer-secret") == f"abc {MASK}"


def test_filter_rewrites_message_args_and_exception() -> None:
    f = SecretFilter(["s3cr3t-value-1"])
    try:
        raise ValueError("boom with s3cr3t-value-1")
    except ValueError:
        info = sys.exc_info()
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "token is %s",
                               ("s3cr3t-value-1",), info)
    assert f.filter(record) is True
    text = logging.Formatter().format(record)
    assert "s3cr3t-value-1" not in text
    assert "token is ********" in text and "ValueError" in text


def test_install_attaches_to_root_handlers_and_vendor_loggers() -> None:
    handler = logging.StreamHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        filt = install_redaction(["value-for-install-1"])
        assert filt in handler.filters
        for name in ("tweepy", "requests", "urllib3", "httpx", "googleapiclient"):
            assert filt in logging.getLogger(name).filters
        import tweepy.client  # noqa: F401 - makes sure the child logger exists

        install_redaction([])
        assert filt in logging.getLogger("tweepy.client").filters
    finally:
        root.removeHandler(handler)


@pytest.mark.parametrize(("value", "shown"), [
    (None, "(not set)"), ("short", MASK), ("abcdefghijklmnopqrstuvwxyz", "ab…yz"),
    ("https://hooks.slack.com/services/T0/B0/XYZ", f"https://hooks.slack.com/{MASK}")])
def test_mask(value: str | None, shown: str) -> None:
    assert mask(value) == shown


OAUTH2 = {"bearer_token": "x2-BearerOldJ4k8Lq2Zw", "refresh_token": "x2-RefreshHt5Mn3Vc",
          "client_id": "x2-ClientQp7Rd1", "client_secret": "x2-SecretYw2Gs6Ku"}
HOOK_SECRET_PATH = "/services/T9/B9/Lk4Hq8Zm2Wx6"


def _exercise(fn: Any) -> None:
    try:
        fn()
    except PublishError as exc:
        assert not leaked(str(exc), distinctive(_all_secrets()), size=8)


def _all_secrets() -> list[str]:
    return [*X_SECRETS.values(), *FB_SECRETS.values(), *YT_SECRETS.values(),
            *OAUTH2.values(), HOOK_SECRET_PATH]


def test_no_secret_in_any_debug_record(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("tweepy", "urllib3", "httpx", "httpcore", "requests_oauthlib", "oauthlib",
                 "googleapiclient", "google_auth_httplib2", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    post = make_post("any", text="Story https://example.org/s")

    with FakeX(**X_SECRETS) as fx:
        acc = Account(name="x", platform="twitter", api_base=fx.url)
        x = get_adapter(acc, make_settings(acc, X_SECRETS))
        _exercise(x.verify)
        _exercise(lambda: x.publish(post))
        _exercise(lambda: x.publish(post))  # duplicate -> AlreadyPosted + lookup
        fx.expect(401, {"detail": "Unauthorized"}, method="POST")
        _exercise(lambda: x.publish(make_post("any", text="other")))
    with FakeX(bearer_tokens=set(), refresh_token=OAUTH2["refresh_token"],
               client_id=OAUTH2["client_id"], client_secret=OAUTH2["client_secret"]) as fx:
        acc = Account(name="x2", platform="twitter", api_base=fx.url, auth="oauth2")
        x2 = get_adapter(acc, make_settings(acc, OAUTH2))
        _exercise(lambda: x2.publish(post))  # 401 -> refresh -> retry
        assert x2.refreshed_credentials().get("bearer_token")  # type: ignore[attr-defined]
        new_tokens = list(x2.refreshed_credentials().values())  # type: ignore[attr-defined]
    with FakeFacebook(**FB_SECRETS) as ff:
        acc = Account(name="fb", platform="facebook", api_base=ff.url, page_id=ff.page_id)
        fb = get_adapter(acc, make_settings(acc, FB_SECRETS))
        _exercise(fb.verify)
        _exercise(lambda: fb.publish(post))
        _exercise(lambda: fb.find_existing("https://example.org/s"))
        ff.configure(token_invalid_subcode=463)
        _exercise(lambda: fb.publish(make_post("any", text="again")))
    with FakeYouTube(**YT_SECRETS) as fy, FakeWebhook(path=HOOK_SECRET_PATH) as wh:
        creds = {**YT_SECRETS, "webhook_url": wh.hook_url}
        acc = Account(name="yt", platform="youtube", api_base=fy.url, mode="comment")
        yt = get_adapter(acc, make_settings(acc, creds))
        _exercise(yt.verify)
        _exercise(lambda: yt.publish(post))
        handoff = Account(name="yt", platform="youtube", api_base=fy.url)
        _exercise(lambda: get_adapter(handoff, make_settings(handoff, creds)).publish(post))
        fy.revoke()
        yt2 = get_adapter(acc, make_settings(acc, creds))
        _exercise(yt2.verify)
        assert len(wh.posts) == 1

    loggers = {r.name for r in caplog.records}
    # the vendor libraries did log at DEBUG (so this test looks at real output)
    for expected in ("tweepy.client", "requests_oauthlib.oauth1_auth", "httpx",
                     "urllib3.connectionpool", "googleapiclient.discovery"):
        assert expected in loggers, expected
    assert any("Authorization" in r.getMessage() for r in caplog.records)
    secrets = distinctive([*_all_secrets(), *new_tokens])
    for record in caplog.records:
        assert leaked(record.getMessage(), secrets, size=8) == [], record.name
    assert leaked(caplog.text, secrets, size=8) == []
