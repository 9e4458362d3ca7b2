"""Fake kits: how a test drives one platform's fake through one of our adapters.

A :class:`FakeKit` says how to start the platform's fake, how to make an account and
settings that point the real adapter at it, and how to make the fake misbehave in the ways
every platform can: a ghost (the post is made, the answer lost), posts by others (a
backlog), refused tokens, a rate limit. The adapter contract test
(``tests/adapters/test_adapter_contract.py``) runs every adapter of the registry through
its kit; an adapter without a kit fails there until one is added to :data:`KITS`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.adapters.base import Adapter
from bot.adapters.registry import get_adapter
from bot.config import Account, Credentials, Http, Settings
from bot.models import Post
from tests.fakes import fake_class
from tests.fakes.base import FakeServer

_DATA = tempfile.TemporaryDirectory(prefix="pubbot-kits-")
"""The kits' ``data_dir`` (adapters may cache what they learn there: Mastodon's limits),
removed when the test run ends."""


def script_429(fake: FakeServer) -> None:
    """The platform's own rate-limit answer (body and headers), for every next request."""
    reply = fake.error_reply("429", None)  # type: ignore[arg-type]  # the shapes ignore req
    fake.expect(reply.status, reply.body, reply.headers, times=100)


@dataclass(frozen=True)
class FakeKit:
    """Everything platform-specific the contract test needs (see the module docstring)."""

    platform: str
    """The adapter registry's name for the platform (``bot.adapters.registry.ADAPTERS``)."""
    fake: str
    """Name of the fake in ``tests.fakes.FAKES``."""
    fake_options: dict[str, Any]
    """Keyword arguments of the fake (the credentials it accepts, ids)."""
    creds: dict[str, str]
    """The credentials the adapter presents (accepted by the fake as started)."""
    post_path: str
    """Regex of the path that creates a post (ghosts are scripted on it)."""
    list_path: str
    """Regex of the path a look-up pages through."""
    refuse_tokens: Callable[[Any], None]
    """Make the platform refuse the adapter's credentials from now on."""
    account_options: dict[str, Any] = field(default_factory=dict)
    """Account settings the platform needs (page id, mode)."""
    duplicates: bool = True
    """The platform answers a repeated post with "duplicate" (YouTube comments do not)."""
    rate_limit: Callable[[Any], None] = script_429
    """Make the platform rate-limit (or quota-limit) every next request, with a known wait."""

    def start(self, **knobs: Any) -> Any:
        """A started fake of this platform (stop it with ``.stop()``)."""
        return fake_class(self.fake)(**{**self.fake_options, **knobs}).start()

    def account(self, fake: FakeServer, name: str = "contract") -> Account:
        return Account(name=name, platform=self.platform, api_base=fake.url,
                       **self.account_options)

    def settings(self, fake: FakeServer, *, timeout: float = 2.0) -> Settings:
        acc = self.account(fake)
        return Settings(accounts=[acc], credentials={acc.name: Credentials(**self.creds)},
                        feeds=[], http=Http(timeout_seconds=timeout), data_dir=Path(_DATA.name))

    def adapter(self, fake: FakeServer, *, timeout: float = 2.0) -> Adapter:
        settings = self.settings(fake, timeout=timeout)
        return get_adapter(settings.accounts[0], settings, dry_run=False)

    def post(self, link: str, text: str | None = None) -> Post:
        body = text or f"A new article: {link}"
        return Post(platform=self.platform, account="contract", text=body, link=link,
                    length=len(body), limit=280, fits=True)

    def ghost(self, fake: FakeServer) -> None:
        """The next post is made but its answer is lost (the connection drops)."""
        fake.expect(action="ghost", method="POST", path=self.post_path)

    @staticmethod
    def ours(fake: FakeServer) -> list[dict[str, Any]]:
        """What the fake holds that the adapter posted (not the posts by others)."""
        return [p for p in fake.posts if not p.get("by_others")]


X_CREDS = {"consumer_key": "kit-ck-Qz7vCKHv93", "consumer_secret": "kit-cs-Wm4qCSjT61",
           "access_token": "1001-kit-at-Vb8nATLq", "access_token_secret": "kit-ats-Pk3wASnY"}
FB_CREDS = {"page_token": "kit-fb-page-token-0123456789"}
YT_CREDS = {"client_id": "kit-yt-client-id", "client_secret": "kit-yt-client-secret",
            "refresh_token": "kit-yt-refresh-token-0123"}


def _x_refuse(fake: Any) -> None:
    fake.access_token = "1001-issued-to-someone-else"  # the user revoked our token


def _fb_refuse(fake: Any) -> None:
    fake.token_invalid_subcode = 460  # the admin changed their password


BSKY_CREDS = {"app_password": "kq7v-w2zx-m4np-t8rb"}
MASTODON_CREDS = {"access_token": "kit-mastodon-token-Zq8Lw3Xv9Rt2"}


def _yt_use_up_quota(fake: Any) -> None:
    fake.quota_per_day = fake.units_used  # the day's 10,000 units are gone


def _yt_use_up_posts_quotas(fake: Any) -> None:
    fake.post_list_quota = fake.posts_api.units["list"]  # the posts resource's own quotas
    fake.post_write_quota = fake.posts_api.units["write"]


KITS: dict[str, FakeKit] = {
    "twitter": FakeKit(
        platform="twitter", fake="x", fake_options=dict(X_CREDS), creds=X_CREDS,
        post_path=r"^/2/tweets$", list_path=r"^/2/users/\w+/tweets$", refuse_tokens=_x_refuse,
    ),
    "facebook": FakeKit(
        platform="facebook", fake="facebook",
        fake_options={"page_id": "4242", "page_token": FB_CREDS["page_token"]}, creds=FB_CREDS,
        post_path=r"/feed$", list_path=r"/posts$", refuse_tokens=_fb_refuse,
        account_options={"page_id": "4242"},
    ),
    "youtube": FakeKit(
        platform="youtube", fake="youtube", fake_options=dict(YT_CREDS), creds=YT_CREDS,
        post_path=r"/commentThreads$", list_path=r"/commentThreads$",
        refuse_tokens=lambda fake: fake.revoke(), account_options={"mode": "comment"},
        duplicates=False, rate_limit=_yt_use_up_quota,
    ),
    # Bluesky has no duplicate check; Mastodon's Idempotency-Key hands back the first status
    # (a success, not a "duplicate" answer): for both the look-up is what guards a resend
    "bluesky": FakeKit(
        platform="bluesky", fake="bluesky", fake_options=dict(BSKY_CREDS),
        creds=BSKY_CREDS, post_path=r"/xrpc/com\.atproto\.repo\.createRecord$",
        list_path=r"/xrpc/com\.atproto\.repo\.listRecords$",
        refuse_tokens=lambda fake: fake.revoke(), account_options={"handle": "news.example.org"},
        duplicates=False,
    ),
    "mastodon": FakeKit(
        platform="mastodon", fake="mastodon", fake_options=dict(MASTODON_CREDS),
        creds=MASTODON_CREDS, post_path=r"^/api/v1/statuses$",
        list_path=r"^/api/v1/accounts/\d+/statuses$", refuse_tokens=lambda fake: fake.revoke(),
        duplicates=False,
    ),
    "youtube:posts": FakeKit(
        platform="youtube", fake="youtube", fake_options={**YT_CREDS, "others": "posts"},
        creds=YT_CREDS, post_path=r"^/youtube/v3/posts$", list_path=r"^/youtube/v3/posts$",
        refuse_tokens=lambda fake: fake.revoke(), account_options={"mode": "posts"},
        duplicates=False, rate_limit=_yt_use_up_posts_quotas,
    ),
}
"""One kit per adapter in the registry, under the registry's name, and one per other mode
of an adapter that publishes another way (``platform:mode``)."""
