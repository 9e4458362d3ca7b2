"""Registry, dry run, credential checks, describe() masking and link matching."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.adapters.base import normalize_link, text_mentions_link
from bot.adapters.dryrun import DryRunAdapter
from bot.adapters.registry import adapter_class, all_rules, get_adapter, rules_for
from bot.adapters.twitter import TwitterAdapter
from bot.config import Account
from bot.errors import AuthError, ConfigError
from tests.adapters.conftest import (
    BSKY_SECRETS,
    FB_SECRETS,
    MASTODON_SECRETS,
    X_SECRETS,
    YT_SECRETS,
    leaked,
    make_post,
    make_settings,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("account", "creds", "dry_run", "expected"),
    [
        (Account(name="x", platform="twitter"), None, None, "DryRunAdapter"),
        (Account(name="x", platform="twitter"), X_SECRETS, None, "TwitterAdapter"),
        (Account(name="x", platform="twitter", dry_run=True), X_SECRETS, None, "DryRunAdapter"),
        (Account(name="x", platform="twitter"), X_SECRETS, True, "DryRunAdapter"),
        (Account(name="f", platform="facebook", page_id="1"), FB_SECRETS, None, "FacebookAdapter"),
        (Account(name="y", platform="youtube", mode="comment"), YT_SECRETS, None, "YouTubeAdapter"),
        (Account(name="y", platform="youtube", dry_run=False), None, None, "YouTubeAdapter"),
        (Account(name="b", platform="bluesky", handle="news.example.org"), BSKY_SECRETS, None,
         "BlueskyAdapter"),
        (Account(name="b", platform="bluesky"), None, None, "DryRunAdapter"),
        (Account(name="m", platform="mastodon", server="https://social.example"),
         MASTODON_SECRETS, None, "MastodonAdapter"),
    ],
)
def test_get_adapter_picks_dry_run_or_live(account: Account, creds: dict[str, str] | None,
                                           dry_run: bool | None, expected: str) -> None:
    adapter = get_adapter(account, make_settings(account, creds), dry_run=dry_run)
    assert type(adapter).__name__ == expected


@pytest.mark.parametrize(
    ("account", "creds", "missing"),
    [
        (Account(name="x", platform="twitter"), {"consumer_key": "k" * 20},
         "consumer_secret, access_token, access_token_secret"),
        (Account(name="x", platform="twitter", auth="oauth2"), {"client_id": "c" * 20},
         "bearer_token"),
        (Account(name="fb", platform="facebook", page_id="1"), {"app_id": "1" * 10},
         "page_token"),
        (Account(name="yt", platform="youtube", mode="comment"), {"client_id": "c" * 20},
         "client_secret, refresh_token"),
        (Account(name="b", platform="bluesky", handle="news.example.org"),
         {"bsky_session": "s" * 20}, "app_password"),
        (Account(name="m", platform="mastodon", server="https://social.example"),
         {"client_id": "c" * 20}, "access_token"),
    ],
)
def test_missing_credentials_are_named(account: Account, creds: dict[str, str],
                                       missing: str) -> None:
    with pytest.raises(AuthError) as err:
        get_adapter(account, make_settings(account, creds), dry_run=False)
    # every missing key is named, in a stable (sorted) order, after the account
    assert f"account {account.name!r}: missing credentials" in str(err.value)
    assert sorted(missing.split(", ")) == str(err.value).split("credentials ")[1].split(", ")


def test_missing_credentials_message_shape_for_x() -> None:
    acc = Account(name="x", platform="twitter")
    with pytest.raises(AuthError, match=r"^x account 'x': missing credentials access_token, "):
        get_adapter(acc, make_settings(acc), dry_run=False)


def test_youtube_handoff_needs_no_credentials() -> None:
    acc = Account(name="yt", platform="youtube", dry_run=False)
    adapter = get_adapter(acc, make_settings(acc))
    assert adapter.required_credentials() == frozenset()


def test_unknown_platform_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="myspace"):
        adapter_class("myspace")


def test_facebook_without_page_id_is_a_config_error() -> None:
    acc = Account(name="fb", platform="facebook", dry_run=False)
    with pytest.raises(ConfigError, match="page_id"):
        get_adapter(acc, make_settings(acc, FB_SECRETS))


def test_dry_run_returns_exact_text_and_logs_it(caplog: pytest.LogCaptureFixture) -> None:
    acc = Account(name="x", platform="twitter")
    adapter = get_adapter(acc, make_settings(acc))
    post = make_post("twitter", text="Head post https://example.org/a", thread=["Reply one"])
    with caplog.at_level(logging.INFO, logger="bot.adapters.dryrun"):
        result = adapter.publish(post, delivery_id=3)
    assert result.status == "dry_run"
    assert result.remote_id is None and result.url is None
    assert result.detail == "Head post https://example.org/a\n---\nReply one"
    assert "Head post https://example.org/a" in caplog.text
    assert adapter.find_existing("https://example.org/a") is None
    assert "dry run" in adapter.verify().detail
    # the dry run stands in for the live adapter: its platform and its declared rules
    assert adapter.platform == "twitter" and adapter.rules == TwitterAdapter.rules
    assert "length 33 of 280 weighted characters" in caplog.text  # "Head post " + 23 for the URL


def test_dry_run_for_facebook_sends_only_the_text() -> None:
    acc = Account(name="fb", platform="facebook", dry_run=True)
    adapter = get_adapter(acc, make_settings(acc, FB_SECRETS))
    assert isinstance(adapter, DryRunAdapter)
    result = adapter.publish(make_post("facebook", text="Hello Page", thread=["ignored"]))
    assert result.detail == "Hello Page"
    assert "dry run" in adapter.describe()


@pytest.mark.parametrize(
    ("account", "creds"),
    [
        (Account(name="x", platform="twitter"), X_SECRETS),
        (Account(name="x", platform="twitter", dry_run=True), X_SECRETS),
        (Account(name="fb", platform="facebook", page_id="99"), FB_SECRETS),
        (Account(name="yt", platform="youtube", mode="comment"),
         {**YT_SECRETS, "webhook_url": "https://hooks.example/services/T0/B0/Zx8Kq2Lm5Nv"}),
        (Account(name="b", platform="bluesky", handle="news.example.org"), BSKY_SECRETS),
        (Account(name="m", platform="mastodon", server="https://social.example"),
         MASTODON_SECRETS),
    ],
)
def test_describe_masks_every_secret(account: Account, creds: dict[str, str]) -> None:
    line = get_adapter(account, make_settings(account, creds)).describe()
    assert "\n" not in line
    assert account.name in line
    # a webhook URL's secret is its path; scheme and host may show
    secret_parts = [urlsplit(v).path if k == "webhook_url" else v for k, v in creds.items()]
    assert leaked(line, secret_parts) == []
    for key in creds:  # each credential is listed, masked
        assert f"{key}=" in line


def test_describe_names_the_api_base() -> None:
    acc = Account(name="x", platform="twitter", api_base="http://127.0.0.1:9")
    line = get_adapter(acc, make_settings(acc, X_SECRETS)).describe()
    assert "http://127.0.0.1:9" in line and "OAuth 1.0a" in line


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://example.org/a/", "http://www.example.org/a", True),
        ("https://example.org/a?utm_source=x&utm_medium=y", "https://example.org/a", True),
        ("https://example.org/a?id=1&utm_source=x", "https://example.org/a?id=1", True),
        ("https://Example.ORG/a#top", "https://example.org/a", True),
        ("https://example.org/a?id=1", "https://example.org/a?id=2", False),
        ("https://example.org/a", "https://example.org/b", False),
        ("https://example.org/A", "https://example.org/a", False),  # paths are case-sensitive
    ],
)
def test_normalize_link(a: str, b: str, same: bool) -> None:
    assert (normalize_link(a) == normalize_link(b)) is same


def test_text_mentions_link_ignores_punctuation_and_utm() -> None:
    text = "Read it (https://example.org/story/?utm_source=fb). Thanks!"
    assert text_mentions_link(text, "https://example.org/story")
    assert not text_mentions_link(text, "https://example.org/other")


# The SDKs each live adapter needs; reading rules (rendering) and dry runs import none.
VENDOR_PACKAGES = ("tweepy", "requests", "googleapiclient", "httplib2", "google_auth_httplib2",
                   "atproto", "mastodon")


def test_rules_and_dry_runs_do_not_import_vendor_libraries() -> None:
    code = (
        "import sys\n"
        "from bot.adapters.registry import ADAPTERS, all_rules, get_adapter\n"
        "from bot.config import Account, Settings\n"
        "all_rules()\n"
        "for i, p in enumerate(ADAPTERS):\n"
        "    acc = Account(name=f'a{i}', platform=p, dry_run=True)\n"
        "    get_adapter(acc, Settings(accounts=[acc], feeds=[])).rules.measure('x')\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {VENDOR_PACKAGES!r}]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == ""


def test_every_registered_platform_declares_its_rules() -> None:
    from bot.adapters.registry import ADAPTERS

    rules = all_rules()
    assert set(rules) == set(ADAPTERS)
    for platform, r in rules.items():
        cls = adapter_class(platform)
        assert "rules" in vars(cls), f"{cls.__name__} inherits its rules instead of declaring them"
        assert r.platform == platform and r.max_length > 0 and r.title


def test_an_adapter_whose_rules_name_another_platform_is_refused() -> None:
    from bot.adapters.base import Adapter
    from bot.render.rules import PlatformRules

    with pytest.raises(TypeError, match="rules are for 'facebook'"):
        type("Wrong", (Adapter,), {"platform": "twitter",
                                   "rules": PlatformRules("facebook", "F", 10, "characters")})


def test_an_accounts_max_length_lowers_its_rules_live_and_in_dry_run() -> None:
    acc = Account(name="x", platform="twitter", max_length=200, dry_run=True)
    assert rules_for(acc).max_length == 200
    adapter = get_adapter(acc, make_settings(acc))
    assert adapter.rules.max_length == 200 and adapter.rules.counting == "weighted"
