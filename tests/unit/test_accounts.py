"""Credential checks: ``check_accounts`` calls each platform (fakes over real HTTP), records
who each account is and when its token expires, and warns before the expiry."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.accounts import check_accounts
from bot.config import Settings
from bot.store import Store
from tests.adapters.conftest import FB_SECRETS
from tests.fakes import FakeFacebook, FakeX
from tests.unit.test_dispatch import make_settings

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fb_expiring() -> Iterator[FakeFacebook]:
    """A fake Graph API whose Page token expires in three days (and an hour)."""
    expires = NOW + timedelta(days=3, hours=1)
    with FakeFacebook(**FB_SECRETS, token_expires_at=int(expires.timestamp())) as fake:
        yield fake


def test_each_account_is_checked_and_who_it_is_recorded(x: FakeX, fb: FakeFacebook,
                                                        store: Store) -> None:
    s = make_settings(x, fb)
    checks = check_accounts(s, store, now=NOW)
    assert [(c.account, c.platform, c.ok, c.mode) for c in checks] == [
        ("x", "twitter", True, "live"), ("fb", "facebook", True, "live")]
    assert checks[0].identity == f"@{x.user['username']} ({x.user['id']})"
    assert checks[1].identity == f"{fb.page_name} ({fb.page_id})"
    assert all(c.error is None and c.warning is None for c in checks)
    states = store.account_states()
    assert states["x"].identity == checks[0].identity and states["x"].last_verified_at == NOW
    assert states["fb"].token_expires_at is None  # the fake's token never expires
    assert len(x.calls("GET", "/2/users/me")) == 1 and x.posts == []


def test_a_token_about_to_expire_is_warned_about_and_its_expiry_kept(
        x: FakeX, fb_expiring: FakeFacebook, store: Store,
        caplog: pytest.LogCaptureFixture) -> None:
    s = make_settings(x, fb_expiring)
    caplog.set_level(logging.WARNING, logger="bot.accounts")
    checks = {c.account: c for c in check_accounts(s, store, now=NOW)}
    fb = checks["fb"]
    expires = NOW + timedelta(days=3, hours=1)
    assert fb.ok and fb.expires_at == expires
    assert fb.warning == f"token expires in 3 days ({expires:%Y-%m-%d})"
    assert checks["x"].warning is None
    assert "renew it with `bot auth facebook --account fb`" in caplog.text
    assert store.account_states()["fb"].token_expires_at == expires


def test_no_warning_while_the_expiry_is_further_than_the_warning_days(
        x: FakeX, fb_expiring: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb_expiring)
    s = s.model_copy(update={"scheduler": s.scheduler.model_copy(
        update={"token_expiry_warn_days": 2})})
    fb = next(c for c in check_accounts(s, store, now=NOW) if c.account == "fb")
    assert fb.ok and fb.warning is None and fb.expires_at is not None


def test_a_refused_account_is_reported_and_the_others_still_checked(
        x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s = make_settings(x, fb)
    x.expect(401, {"title": "Unauthorized", "detail": "Unauthorized"}, method="GET",
             path="/2/users/me", times=5)
    xc, fbc = check_accounts(s, store, now=NOW)  # never raises for one account
    assert not xc.ok and xc.error and not xc.identity
    assert fbc.ok and fbc.identity
    states = store.account_states()
    assert "fb" in states and ("x" not in states or states["x"].last_verified_at is None)


def test_dry_run_and_disabled_accounts(x: FakeX, fb: FakeFacebook, store: Store) -> None:
    s: Settings = make_settings(x, fb)
    s.accounts[:] = [s.account("x").model_copy(update={"dry_run": True}),
                     s.account("fb").model_copy(update={"enabled": False})]
    (dry,) = check_accounts(s, store, now=NOW)  # the disabled one is left out
    assert (dry.account, dry.ok, dry.mode) == ("x", True, "dry run")
    assert x.requests == [] and fb.requests == []  # a dry run asks nobody
    (named,) = check_accounts(s, store, names=["fb"], now=NOW)  # unless asked for by name
    assert (named.account, named.ok, named.mode) == ("fb", True, "live")
    assert len(fb.requests) >= 1
