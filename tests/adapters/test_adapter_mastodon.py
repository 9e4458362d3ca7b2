"""The Mastodon adapter against the fake server over real HTTP (tests/fakes/mastodon.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters import server_limits
from bot.adapters.mastodon import MastodonAdapter
from bot.adapters.registry import get_adapter, rules_for
from bot.config import Account, Credentials, Http, Settings
from bot.errors import AuthError, RateLimited, Rejected, Transient
from bot.models import Post
from tests.adapters.conftest import leaked
from tests.fakes import FakeMastodon

TOKEN = "Zq8Lw3Xv9Rt2-Kp4Mn7Bx-Wd6Hs1"
LINK = "https://news.example.org/2026/harbour-plan?id=4&utm_source=mastodon"


@pytest.fixture
def server() -> Iterator[FakeMastodon]:
    with FakeMastodon(access_token=TOKEN) as fake:
        yield fake


def settings_for(acc: Account, data_dir: Path, timeout: float = 2.0) -> Settings:
    return Settings(accounts=[acc], data_dir=data_dir, feeds=[],
                    credentials={acc.name: Credentials(access_token=TOKEN)},
                    http=Http(timeout_seconds=timeout))


def adapter(fake: FakeMastodon, data_dir: Path, timeout: float = 2.0,
            **account: Any) -> MastodonAdapter:
    acc = Account(name="masto", platform="mastodon", server=fake.url, **account)
    made = get_adapter(acc, settings_for(acc, data_dir, timeout), dry_run=False)
    assert isinstance(made, MastodonAdapter)
    return made


def post(text: str = f"Harbour plan approved\n\nWork starts next spring.\n\n{LINK}\n\n#Harbour",
         **kw: Any) -> Post:
    return Post(platform="mastodon", account="masto", text=text, link=LINK, length=len(text),
                limit=500, fits=True, **{"language": "de", **kw})


# --------------------------------------------------------------------------- posting
def test_a_status_goes_out_with_visibility_language_warning_and_a_key(
        server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path, visibility="unlisted", content_warning="Local politics")
    result = a.publish(post(), delivery_id=42)
    (call,) = server.calls("POST", "/api/v1/statuses$")
    assert call.form["status"] == post().text
    assert (call.form["visibility"], call.form["language"], call.form["spoiler_text"]) == (
        "unlisted", "de", "Local politics")
    key = call.header("idempotency-key") or ""
    assert key.startswith("pubbot-delivery-42-") and call.header("authorization") == (
        f"Bearer {TOKEN}")
    (made,) = server.posts
    assert result.remote_id == made["id"]
    assert result.url == f"https://{server.domain}/@{server.username}/{made['id']}"


def test_a_resent_delivery_returns_the_first_status_and_posts_nothing_new(
        server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path)
    server.expect(action="ghost", method="POST", path="/api/v1/statuses$")
    with pytest.raises(Transient):
        a.publish(post(), delivery_id=5)  # made, but the answer was lost
    again = a.publish(post(), delivery_id=5)  # same key: the server hands back the first
    assert len(server.posts) == 1 and again.remote_id == server.posts[0]["id"]
    other = a.publish(post(), delivery_id=6)  # another delivery is another post
    assert len(server.posts) == 2 and other.remote_id != again.remote_id


def test_the_key_is_stable_per_delivery_and_differs_between_them(
        server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path)
    p = post()
    assert a.idempotency_key(p, 9) == a.idempotency_key(post("re-rendered " + LINK), 9)
    assert a.idempotency_key(p, 9) != a.idempotency_key(p, 10)
    assert a.idempotency_key(p, None) != a.idempotency_key(post("other " + LINK), None)


def test_the_servers_limits_are_read_cached_and_used_for_rendering(
        server: FakeMastodon, tmp_path: Path) -> None:
    server.configure(max_characters=1000, url_weight=30)
    acc = Account(name="masto", platform="mastodon", server=server.url, content_warning="CW")
    settings = settings_for(acc, tmp_path)
    before = rules_for(acc, settings)
    assert (before.max_length, before.url_weight) == (498, 23)  # defaults less the warning
    ident = get_adapter(acc, settings, dry_run=False).verify()
    assert ident.name == f"@{server.username}" and "allows 1000 characters" in ident.detail
    after = rules_for(acc, settings)
    assert (after.max_length, after.url_weight) == (998, 30)
    cached = json.loads((tmp_path / "server-limits.json").read_text(encoding="utf-8"))
    assert cached[server.url]["max_characters"] == 1000
    # rendering reads the cache, not the server: no request is made for the rules
    calls = len(server.requests)
    assert rules_for(acc, settings).max_length == 998 and len(server.requests) == calls
    assert rules_for(acc).max_length == 498  # without settings: the declared defaults


def test_limits_are_read_again_before_posting_once_a_day(server: FakeMastodon,
                                                         tmp_path: Path) -> None:
    server_limits.write(tmp_path, server.url, server_limits.ServerLimits(
        400, 23, fetched_at=time.time() - 2 * 86400))
    a = adapter(server, tmp_path)
    a.publish(post())
    a.publish(post("second " + LINK))
    assert len(server.calls("GET", "/api/v2/instance")) == 1  # stale once, fresh after
    assert server_limits.read(tmp_path, server.url).max_characters == 500  # type: ignore[union-attr]


def test_a_post_longer_than_the_server_allows_is_rejected_before_sending(
        server: FakeMastodon, tmp_path: Path) -> None:
    server.configure(max_characters=100)
    with pytest.raises(Rejected, match=r"longer than .* allows \(1\d\d > 100\)"):
        adapter(server, tmp_path).publish(post("word " * 30 + LINK))
    assert server.calls("POST", "/api/v1/statuses$") == []


def test_the_server_counts_what_the_adapter_counts(server: FakeMastodon, tmp_path: Path) -> None:
    """A post at the adapter's limit is taken: URLs count 23, the warning counts too."""
    acc = Account(name="masto", platform="mastodon", server=server.url, content_warning="News")
    rules = rules_for(acc, settings_for(acc, tmp_path))
    filler = "a" * (rules.max_length - 23 - 1)
    text = f"{filler} https://news.example.org/{'x' * 200}"
    assert rules.measure(text) == rules.max_length
    made = adapter(server, tmp_path, content_warning="News").publish(post(text))
    assert made.remote_id == server.posts[0]["id"]


# --------------------------------------------------------------------------- errors
def test_a_bad_token_is_an_auth_error(server: FakeMastodon, tmp_path: Path) -> None:
    server.revoke()
    with pytest.raises(AuthError, match="access token is invalid") as caught:
        adapter(server, tmp_path).publish(post())
    assert leaked(str(caught.value), [TOKEN]) == [] and server.posts == []


def test_a_429_waits_until_the_servers_reset(server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path)
    a.verify()
    server.configure(rate_limit=(1, 120.0))
    a.publish(post())
    with pytest.raises(RateLimited) as caught:
        a.publish(post("second " + LINK))
    assert caught.value.retry_after is not None and 100 < caught.value.retry_after <= 122


def test_server_errors_and_timeouts_are_transient(server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path, timeout=0.5)
    a.verify()
    server.expect(503, "<html>503 Service Unavailable</html>", method="POST",
                  path="/api/v1/statuses$")
    with pytest.raises(Transient, match="HTTP 503"):
        a.publish(post())
    server.configure(timeout_sleep=1.0)
    server.expect(action="timeout", method="POST", path="/api/v1/statuses$")
    with pytest.raises(Transient, match="timed out"):
        a.publish(post())
    assert server.posts == []


def test_a_missing_server_is_a_config_error() -> None:
    from bot.errors import ConfigError

    acc = Account(name="masto", platform="mastodon")
    with pytest.raises(ConfigError, match="server is not set"):
        get_adapter(acc, Settings(accounts=[acc], feeds=[],
                                  credentials={"masto": Credentials(access_token=TOKEN)}),
                    dry_run=False)


# --------------------------------------------------------------------------- look-ups
def test_the_look_up_pages_with_max_id_and_reads_links_from_the_html(
        server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path)
    sent = a.publish(post())
    server.add_others(60)  # the owner wrote 60 statuses since
    since = datetime.now(UTC) - timedelta(minutes=5)
    found = a.find_existing(LINK, since=since)
    assert found is not None and found.remote_id == sent.remote_id
    pages = server.calls("GET", r"/accounts/\d+/statuses$")
    newest_first = sorted((int(x["id"]) for x in server.posts), reverse=True)
    assert [p.q("max_id") for p in pages] == [None, str(newest_first[39])]
    assert all(p.q("limit") == "40" for p in pages)
    assert a.find_existing("https://news.example.org/never", since=since) is None


def test_a_look_up_cut_short_is_transient(server: FakeMastodon, tmp_path: Path) -> None:
    a = adapter(server, tmp_path)
    server.add_others(50)
    server.expect(503, "<html>busy</html>", method="GET", path=r"/statuses$", after=1)
    with pytest.raises(Transient):
        a.find_existing(LINK, since=datetime.now(UTC) - timedelta(minutes=5))
