"""The Bluesky and Mastodon fakes behave as their platforms document (what the adapter tests
rely on): page sizes and cursors, idempotency, sign-in limits, error bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
import time_machine

from tests.fakes import FakeBluesky, FakeMastodon


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky() as fake:
        yield fake


@pytest.fixture
def masto() -> Iterator[FakeMastodon]:
    with FakeMastodon() as fake:
        yield fake


def bsky_session(pds: FakeBluesky) -> dict[str, str]:
    body = httpx.post(f"{pds.url}/xrpc/com.atproto.server.createSession",
                      json={"identifier": pds.handle, "password": pds.app_password}).json()
    return {"Authorization": f"Bearer {body['accessJwt']}"}


def test_list_records_pages_newest_first_with_a_record_key_cursor(pds: FakeBluesky) -> None:
    now = time.time()
    for n in range(120):
        pds.posts.append(pds.other_post(n, now + n))
    auth = bsky_session(pds)
    url = f"{pds.url}/xrpc/com.atproto.repo.listRecords"
    params = {"repo": pds.did, "collection": "app.bsky.feed.post"}
    first = httpx.get(url, params=params, headers=auth).json()
    assert len(first["records"]) == 50  # the default page
    keys = [r["uri"].rsplit("/", 1)[1] for r in first["records"]]
    assert keys == sorted(keys, reverse=True)
    rest = httpx.get(url, params={**params, "limit": 100, "cursor": first["cursor"]},
                     headers=auth).json()
    assert len(rest["records"]) == 70 and rest["cursor"] == rest["records"][-1]["uri"].rsplit(
        "/", 1)[1]  # a cursor even on the last page, as the reference PDS gives
    empty = httpx.get(url, params={**params, "cursor": rest["cursor"]}, headers=auth).json()
    assert empty == {"records": []}
    too_many = httpx.get(url, params={**params, "limit": 101}, headers=auth)
    assert too_many.status_code == 400 and too_many.json()["error"] == "InvalidRequest"


def test_sign_ins_are_limited_and_tokens_expire(pds: FakeBluesky) -> None:
    pds.configure(session_limit=(2, 300.0), access_ttl=1)
    url = f"{pds.url}/xrpc/com.atproto.server.createSession"
    login = {"identifier": pds.handle, "password": pds.app_password}
    token = httpx.post(url, json=login).json()["accessJwt"]
    assert httpx.post(url, json=login).status_code == 200
    limited = httpx.post(url, json=login)
    assert limited.status_code == 429 and limited.json()["error"] == "RateLimitExceeded"
    assert int(limited.headers["ratelimit-reset"]) > time.time()
    time.sleep(1.1)
    expired = httpx.get(f"{pds.url}/xrpc/com.atproto.server.getSession",
                        headers={"Authorization": f"Bearer {token}"})
    assert (expired.status_code, expired.json()["error"]) == (400, "ExpiredToken")


def test_statuses_page_with_max_id_at_most_40(masto: FakeMastodon) -> None:
    now = time.time()
    for n in range(60):
        masto.posts.append(masto.other_post(n, now))
    auth = {"Authorization": "Bearer mastodon-user-token-0123456789"}
    url = f"{masto.url}/api/v1/accounts/{masto.account_id}/statuses"
    first = httpx.get(url, headers=auth)
    assert len(first.json()) == 20  # the default page
    big = httpx.get(url, params={"limit": 80}, headers=auth)
    page = big.json()
    assert len(page) == 40  # clamped, not refused
    ids = [int(s["id"]) for s in page]
    assert ids == sorted(ids, reverse=True)
    assert f"max_id={page[-1]['id']}" in big.headers["Link"] and 'rel="next"' in big.headers["Link"]
    rest = httpx.get(url, params={"limit": 40, "max_id": page[-1]["id"]}, headers=auth).json()
    assert len(rest) == 20 and int(rest[0]["id"]) < ids[-1]
    assert 'href="https://elsewhere.example/' in rest[0]["content"]  # links live in the HTML


def test_an_idempotency_key_is_remembered_for_an_hour(masto: FakeMastodon) -> None:
    auth = {"Authorization": "Bearer mastodon-user-token-0123456789", "Idempotency-Key": "k1"}
    url = f"{masto.url}/api/v1/statuses"
    with time_machine.travel(time.time(), tick=True) as clock:
        first = httpx.post(url, data={"status": "Hello https://example.org/a"}, headers=auth)
        again = httpx.post(url, data={"status": "Hello https://example.org/a"}, headers=auth)
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        assert len(masto.posts) == 1
        clock.shift(3601)
        later = httpx.post(url, data={"status": "Hello https://example.org/a"}, headers=auth)
        assert later.json()["id"] != first.json()["id"] and len(masto.posts) == 2


def test_mastodon_counts_graphemes_urls_and_the_warning(masto: FakeMastodon) -> None:
    masto.configure(max_characters=30)
    auth = {"Authorization": "Bearer mastodon-user-token-0123456789"}
    url = f"{masto.url}/api/v1/statuses"
    # 2 family emoji (one grapheme each) + a space + a URL (23) + a 4-letter warning = 30
    ok = httpx.post(url, data={"status": "👨‍👩‍👧👨‍👩‍👧 https://example.org/" + "x" * 80,
                               "spoiler_text": "News"}, headers=auth)
    assert ok.status_code == 200
    over = httpx.post(url, data={"status": "abc https://example.org/", "spoiler_text": "News"},
                      headers=auth)
    assert over.status_code == 422
    assert over.json() == {"error": "Validation failed: Text character limit of 30 exceeded"}
