"""The web desk over a real SQLite ledger with rendered deliveries, through Starlette's
TestClient (real HTTP semantics: cookies, redirects, forms)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.config import Settings, load_settings
from bot.models import Article
from bot.pipeline import prepare_article
from bot.store import DeliveryRow, DeliveryStatus, Store, delivery_payload
from bot.web.app import create_app
from bot.web.security import hash_password
from tests.adapters.conftest import FB_SECRETS, X_SECRETS

PASSWORD = "correct horse battery"
VIEWER_PASSWORD = "just looking, thanks"
SECRET = "session-secret-for-tests-Hk29sLq0"


@cache
def hashed(password: str) -> str:
    return hash_password(password)


def desk_settings(**web: Any) -> Settings:
    return load_settings(
        site_name="Harbour Gazette",
        accounts=[
            {"name": "x", "platform": "twitter", "review": "required", "dry_run": True},
            {"name": "fb", "platform": "facebook", "review": "required", "dry_run": True},
            {"name": "yt", "platform": "youtube", "review": "required"},
        ],
        credentials={"x": X_SECRETS, "fb": FB_SECRETS,
                     "yt": {"webhook_url": "https://hooks.example.org/services/T0/B0/Zx8KqLm5"}},
        feeds=[{"name": "news", "url": "https://news.example.org/feed"}],
        web={"users": {"editor": hashed(PASSWORD)}, "viewers": {"reader": hashed(VIEWER_PASSWORD)},
             "session_secret": SECRET, **web},
    )


def add_article(store: Store, settings: Settings, n: int, *, title: str | None = None,
                status: DeliveryStatus = DeliveryStatus.AWAITING_REVIEW) -> list[DeliveryRow]:
    """One article rendered for every account, queued with ``status``."""
    link = f"https://news.example.org/2026/story-{n}"
    art = Article(title=title or f"The harbour ferry returns, part {n}", url=link,
                  image=f"http://127.0.0.1:9/img/{n}.jpg",
                  text="The city's harbour ferry will sail again from Monday, two winters after "
                       "its last crossing. The council bought an electric boat and trained six "
                       "new skippers. Crossings will run every twenty minutes.")
    now = datetime.now(UTC)
    store.add_article(id=link, feed="news", guid=None, url=link, title=art.title,
                      content_hash=art.content_hash, published_at=None, payload={}, now=now)
    rows = []
    for post in prepare_article(art, settings, settings.accounts).posts:
        row = store.add_delivery(article_id=link, account=post.account, platform=post.platform,
                                 text=post.text, link=post.link,
                                 payload=delivery_payload(post, art), status=status,
                                 next_attempt_at=now, now=now)
        assert row is not None
        rows.append(row)
    return rows


@pytest.fixture
def settings() -> Settings:
    return desk_settings()


@pytest.fixture
def client(settings: Settings, store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store), follow_redirects=False) as c:
        yield c


def token_in(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str = "editor", password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"name": name, "password": password,
                                       "csrf": token_in(page.text), "next": "/"})


@pytest.fixture
def editor(client: TestClient) -> TestClient:
    assert sign_in(client).status_code == 303
    return client


def form_of(client: TestClient, path: str = "/") -> Callable[..., dict[str, str]]:
    """The hidden fields of a page's form, for a given delivery and action."""
    html = client.get(path).text

    def fields(delivery_id: int, action: str, **extra: str) -> dict[str, str]:
        m = re.search(rf'action="/d/{delivery_id}/{action}"[^>]*>(.*?)</form>', html, re.S)
        assert m, f"no {action} form for delivery {delivery_id} on {path}"
        values = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', m.group(1)))
        return {**values, **extra}

    return fields

