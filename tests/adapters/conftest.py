"""Shared helpers for the adapter tests: settings for one account, secret checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pytest

from bot.config import Account, Credentials, Http, Settings
from bot.models import Post

# Long, distinctive secret values: any 4-character piece of them in output is a leak.
X_SECRETS = {
    "consumer_key": "Qz7vCKHv93LpXw2Rt8Nb",
    "consumer_secret": "Wm4qCSjT61sZr9YpUe0KfG5h",
    "access_token": "1001-Vb8nATLq2Zx7Jd4Hs0Mc",
    "access_token_secret": "Pk3wASnY58gRt1VcXz6LbQ2e",
}
FB_SECRETS = {
    "page_token": "EAAGPTq9Wv4Lz7Ns2Kd8Jx1Rb",
    "app_id": "4286319057",
    "app_secret": "fQ3sAS7dZk1Wm9Xv5Lp2Ty",
}
BSKY_SECRETS = {
    "app_password": "kq7v-w2zx-m4np-t8rb",
    "bsky_session": "Vb2Qx7.Mq:::did:plc:Wq4Zr8Tv:::eyJhY2Nlc3M.Xk2:::eyJyZWZy.Lp9:::Hn7Jc",
}
MASTODON_SECRETS = {
    "access_token": "Zq8Lw3Xv9Rt2-Kp4Mn7Bx-Wd6Hs1",
    "client_id": "Mc7Qv2Nx8Lz4Rb1Tw",
    "client_secret": "Hs5Kd9Wq3Zx7Pv2Lm",
}
YT_SECRETS = {
    "client_id": "5738-YCidQw9Zr4TvB6",
    "client_secret": "GOCSPX-Yc7Sk2Nf9Wq4Lz1Vb",
    "refresh_token": "1//0gRT5xMq8Kc3Zv7Nb2Wd",
}

def make_settings(account: Account, creds: dict[str, str] | None = None,
                  timeout: float = 2.0) -> Settings:
    credentials = {account.name: Credentials(**creds)} if creds else {}
    return Settings(accounts=[account], credentials=credentials, feeds=[],
                    http=Http(timeout_seconds=timeout))


def make_post(platform: str, text: str = "New article: https://example.org/story?utm_source=s",
              **kw: Any) -> Post:
    return Post(platform=platform, account=kw.pop("account", "a"), text=text,
                link=kw.pop("link", "https://example.org/story?utm_source=s"),
                length=len(text), limit=280, fits=True, **kw)


def leaked(text: str, secrets: Iterable[str], size: int = 4) -> list[str]:
    """Every piece of length ``size`` of a secret that appears in ``text``."""
    found = []
    for secret in secrets:
        for i in range(len(secret) - size + 1):
            piece = secret[i:i + size]
            if piece in text:
                found.append(piece)
    return found


def distinctive(secrets: Iterable[str]) -> list[str]:
    """Secret values worth scanning for (long enough to be meaningful)."""
    return [s for s in secrets if len(s) >= 8]


@pytest.fixture
def x_fake() -> Iterator[Any]:
    from tests.fakes import FakeX

    with FakeX(**X_SECRETS) as fake:
        yield fake


@pytest.fixture
def fb_fake() -> Iterator[Any]:
    from tests.fakes import FakeFacebook

    with FakeFacebook(**FB_SECRETS) as fake:
        yield fake


@pytest.fixture
def yt_fake() -> Iterator[Any]:
    from tests.fakes import FakeYouTube

    with FakeYouTube(**YT_SECRETS) as fake:
        yield fake


@pytest.fixture
def hook() -> Iterator[Any]:
    from tests.fakes import FakeWebhook

    with FakeWebhook() as fake:
        yield fake
