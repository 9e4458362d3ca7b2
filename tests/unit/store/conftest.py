"""Fixtures for the ledger tests: a fresh database per test, on SQLite and on PostgreSQL.

PostgreSQL tests need ``BOT_TEST_POSTGRES_URL`` (``scripts/start-postgres`` prints one);
each test gets its own schema (through ``search_path``) that is dropped afterwards, so
tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from bot.store import ArticleRow, DeliveryRow, Store

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
"""A fixed 'now' for the tests; the store never reads the clock itself."""


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def pg_base_url() -> str:
    url = os.environ.get("BOT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need BOT_TEST_POSTGRES_URL (run scripts/start-postgres)")
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL whose connections live in a schema of their own, dropped after the test."""
    base = make_url(pg_base_url())
    if base.drivername == "postgresql":
        base = base.set(drivername="postgresql+psycopg")
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger' / 'bot.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database: a SQLite file, or a fresh PostgreSQL schema."""
    name = "pg_url" if request.param == "postgres" else "sqlite_url"
    url: str = request.getfixturevalue(name)
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    st = Store(db_url)
    st.upgrade()
    try:
        yield st
    finally:
        st.close()


def article(st: Store, n: int = 1, *, feed: str | None = "blog", now: datetime = T0,
            guid: str | None = None, content_hash: str | None = None) -> ArticleRow:
    url = f"https://example.org/post/{n}"
    return st.add_article(
        id=url, feed=feed, guid=guid if guid is not None else f"guid-{n}", url=url,
        title=f"Post {n}", content_hash=content_hash or f"{n:064x}", published_at=now,
        payload={"title": f"Post {n}", "text": "body", "url": url}, now=now,
    )


def delivery(st: Store, n: int = 1, *, account: str = "x", due: datetime = T0,
             now: datetime = T0) -> DeliveryRow:
    a = st.get_article(f"https://example.org/post/{n}") or article(st, n, now=now)
    d = st.add_delivery(article_id=a.id, account=account, platform="twitter",
                        text=f"post {n} for {account}", link=a.url, payload={"n": n},
                        next_attempt_at=due, now=now)
    assert d is not None, "the helper expects a new delivery"
    return d
