"""Claim, send, settle: dispatch against fake platforms over real HTTP and a real ledger.

(Crash recovery is in test_reconcile.py, `bot post` and `bot retry` in test_manual.py.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

from bot.clock import fixed
from bot.config import PostingWindow, Settings, load_settings
from bot.dispatch import dispatch_account
from bot.models import Article
from bot.pipeline import prepare_article, select_accounts
from bot.store import DeliveryStatus as S
from bot.store import Store
from tests.adapters.conftest import FB_SECRETS, X_SECRETS
from tests.fakes import FakeFacebook, FakeX
from tests.fakes.x import DUPLICATE

LINK = "https://news.example.org/2026/railways"


def make_settings(x: FakeX, fb: FakeFacebook, **sched: Any) -> Settings:
    return load_settings(
        accounts=[
            {"name": "x", "platform": "twitter", "api_base": x.url, "min_spacing_minutes": 0},
            {"name": "fb", "platform": "facebook", "api_base": fb.url, "page_id": "1234567890",
             "min_spacing_minutes": 0},
        ],
        credentials={"x": X_SECRETS, "fb": FB_SECRETS},
        feeds=[],
        http={"timeout_seconds": 2},
        scheduler={"backoff_base_seconds": 1, "backoff_max_seconds": 2, "max_attempts": 3,
                   "lease_seconds": 30, **sched},
    )


def queue(store: Store, settings: Settings, n: int = 1, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    for i in range(n):
        link = f"{LINK}-{i}"
        art = Article(title=f"Railways plan number {i}", url=link,
                      text="The minister announced a plan for faster trains on Monday. "
                           "Critics said the budget was far too small for it.")
        prepared = prepare_article(art, settings, select_accounts(settings))
        store.add_article(id=link, feed="news", guid=None, url=link, title=art.title,
                          content_hash=art.content_hash, published_at=None, payload={}, now=now)
        for post in prepared.posts:
            store.add_delivery(article_id=link, account=post.account, platform=post.platform,
                               text=post.text, link=post.link,
                               payload={"post": post.model_dump(mode="json")},
                               next_attempt_at=now, now=now)


def status_of(store: Store, account: str) -> list[S]:
    return [r.status for r in store.list_deliveries(account=account, limit=100)]


def test_a_due_delivery_is_sent_once_with_its_public_url(x: FakeX, fb: FakeFacebook,
                                                         store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    (out,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert out.status == "sent" and out.url and out.url.endswith(x.posts[0]["id"])
    assert dispatch_account(s, store, s.account("x"), owner="t") == []
    assert len(x.posts) == 1
    (row,) = store.list_deliveries(account="x")
    assert (row.status, row.remote_id) == (S.SENT, x.posts[0]["id"])


def test_transient_errors_back_off_then_die(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    x.expect(503, {"title": "Service Unavailable"}, method="POST", path="/2/tweets", times=10)
    (out,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert out.status == "retry"
    (row,) = store.list_deliveries(account="x")
    assert row.status == S.FAILED and row.attempts == 1
    assert row.next_attempt_at is not None and row.next_attempt_at > datetime.now(UTC) - \
        timedelta(seconds=1)
    for _ in range(10):
        time.sleep(0.05)
        row = store.list_deliveries(account="x")[0]
        if row.status == S.DEAD:
            break
        # make it due now instead of waiting out the (jittered, <= 2 s) backoff
        dispatch_account(s, store, s.account("x"), owner="t",
                         clock=fixed((row.next_attempt_at or datetime.now(UTC))
                                     + timedelta(seconds=1)))
    row = store.list_deliveries(account="x")[0]
    assert row.status == S.DEAD and row.attempts == 3
    assert row.last_error and "gave up after 3 attempts" in row.last_error
    assert x.posts == []


def test_a_resend_looks_back_to_the_first_attempt_not_to_the_queueing(
        x: FakeX, fb: FakeFacebook, store: Store) -> None:
    """Queued an hour ago, first sent now (answer lost): the look-up before the resend reads
    from the first attempt less the clock margin, not the hour of posts since queueing."""
    s = make_settings(x, fb, lookup_margin_seconds=30)
    queue(store, s, now=datetime.now(UTC) - timedelta(hours=1))
    x.expect(action="ghost", method="POST", path="^/2/tweets$")
    (first,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert first.status == "retry" and len(x.posts) == 1
    (row,) = store.list_deliveries(account="x")
    (again,) = dispatch_account(s, store, s.account("x"), owner="t",
                                clock=fixed(row.next_attempt_at + timedelta(seconds=1)))
    assert again.status == "already_sent" and again.remote_id == x.posts[0]["id"]
    (lookup,) = x.calls("GET", "/tweets$")
    (sent,) = store.list_deliveries(account="x")
    first = store.first_claim_at(row.id)
    assert first is not None and first == row.claimed_at
    assert sent.claimed_at is not None and first < sent.claimed_at  # not the latest claim
    since = first - timedelta(seconds=30)
    assert row.created_at < since - timedelta(minutes=59)
    assert lookup.q("start_time") == since.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_rate_limit_waits_for_the_reset_the_platform_gives(x: FakeX, fb: FakeFacebook,
                                                          store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s, n=2)
    reset = int(time.time()) + 120
    x.expect(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(reset),
                                                  "x-rate-limit-remaining": "0"},
             method="POST", path="/2/tweets")
    (out,) = dispatch_account(s, store, s.account("x"), owner="t", limit=5)
    assert out.status == "rate_limited"
    rows = store.list_deliveries(account="x")
    assert {r.status for r in rows} <= {S.SCHEDULED, S.PENDING}
    held = store.account_states()["x"]
    assert held.paused and held.paused_until is not None
    assert abs(held.paused_until.timestamp() - reset) < 15
    assert dispatch_account(s, store, s.account("x"), owner="t", limit=5) == []  # held
    later = datetime.fromtimestamp(reset + 30, UTC)
    outs = dispatch_account(s, store, s.account("x"), owner="t", limit=5, clock=fixed(later))
    assert [o.status for o in outs] == ["sent", "sent"]
    assert len(x.posts) == 2


def test_auth_error_pauses_only_that_account(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s, n=2)
    x.expect(401, {"title": "Unauthorized", "detail": "Unauthorized"}, method="POST",
             path="/2/tweets")
    (out,) = dispatch_account(s, store, s.account("x"), owner="t", limit=5)
    assert out.status == "paused"
    assert dispatch_account(s, store, s.account("x"), owner="t", limit=5) == []
    assert len(x.calls("POST", "/2/tweets")) == 1  # no retry storm
    st = store.account_states()["x"]
    assert st.paused and st.paused_until is None and "auth" in (st.paused_reason or "")
    fb_out = dispatch_account(s, store, s.account("fb"), owner="t", limit=5)
    assert [o.status for o in fb_out] == ["sent", "sent"]
    store.resume_account("x")
    assert [o.status for o in dispatch_account(s, store, s.account("x"), owner="t", limit=5)] \
        == ["sent", "sent"]


def test_platform_duplicate_counts_as_sent(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    x.expect(403, {"detail": DUPLICATE, "title": "Forbidden"}, method="POST", path="/2/tweets")
    (out,) = dispatch_account(s, store, s.account("x"), owner="t")
    assert out.status == "already_sent" and out.ok
    assert status_of(store, "x") == [S.SENT]


def test_rejected_content_is_dead_not_retried(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    queue(store, s)
    fb.expect(400, {"error": {"message": "Spam", "type": "OAuthException", "code": 368,
                              "fbtrace_id": "abc"}}, method="POST")
    (out,) = dispatch_account(s, store, s.account("fb"), owner="t")
    assert out.status == "dead"
    assert status_of(store, "fb") == [S.DEAD]
    assert dispatch_account(s, store, s.account("fb"), owner="t") == []


def test_quiet_hours_hold_posts_until_the_window_opens(x: FakeX, fb: FakeFacebook,
                                                      store: Store) -> None:
    s = make_settings(x, fb)
    window = PostingWindow(start=dtime(8, 0), end=dtime(22, 0))
    acc = s.account("x").model_copy(update={"timezone": "Europe/Istanbul", "window": window})
    queue(store, s)
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    night = datetime.combine(tomorrow, dtime(0, 30), UTC)  # 03:30 in Istanbul
    assert dispatch_account(s, store, acc, owner="t", clock=fixed(night)) == []
    morning = datetime.combine(tomorrow, dtime(5, 5), UTC)  # 08:05 in Istanbul
    outs = dispatch_account(s, store, acc, owner="t", clock=fixed(morning))
    assert [o.status for o in outs] == ["sent"]


def test_min_spacing_between_posts(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    acc = s.account("x").model_copy(update={"min_spacing_minutes": 30})
    queue(store, s, n=2)
    t0 = datetime.now(UTC)
    assert len(dispatch_account(s, store, acc, owner="t", clock=fixed(t0), limit=5)) == 1
    assert dispatch_account(s, store, acc, owner="t",
                            clock=fixed(t0 + timedelta(minutes=10))) == []
    assert len(dispatch_account(s, store, acc, owner="t",
                                clock=fixed(t0 + timedelta(minutes=31)))) == 1


def test_a_refreshed_oauth2_token_is_stored_and_used_next_time(tmp_path: Path,
                                                              store: Store) -> None:
    creds = {"bearer_token": "x2-OldBearerQm7Zt4Lp", "refresh_token": "x2-RefreshVw3Kd8Nq",
             "client_id": "x2-ClientJb5Hs1", "client_secret": "x2-ClientSecretTy6Gr2"}
    with FakeX(bearer_tokens=set(), refresh_token=creds["refresh_token"],
               client_id=creds["client_id"], client_secret=creds["client_secret"]) as fake:
        s = load_settings(
            data_dir=tmp_path / "data",
            accounts=[{"name": "x", "platform": "twitter", "auth": "oauth2",
                       "api_base": fake.url, "min_spacing_minutes": 0}],
            credentials={"x": creds}, feeds=[], http={"timeout_seconds": 2},
        )
        queue(store, s, n=2)
        (first,) = dispatch_account(s, store, s.account("x"), owner="t")
        assert first.status == "sent"
        stored = tmp_path / "data" / "secrets" / "credentials" / "x"
        assert (stored / "refresh_token").read_text() == fake.refresh_token
        assert (stored / "refresh_token").stat().st_mode & 0o777 == 0o600
        new_bearer = (stored / "bearer_token").read_text()
        assert new_bearer != creds["bearer_token"]
        (second,) = dispatch_account(s, store, s.account("x"), owner="t")
        assert second.status == "sent"
        assert len(fake.calls("POST", "/2/oauth2/token")) == 1  # the old refresh token is gone
        assert fake.calls("POST", "/2/tweets")[-1].header("authorization") == \
            f"Bearer {new_bearer}"
