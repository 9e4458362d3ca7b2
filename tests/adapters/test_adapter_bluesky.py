"""The Bluesky adapter against the fake PDS over real HTTP (tests/fakes/bluesky.py)."""

from __future__ import annotations

import io
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PIL import Image

from bot.adapters.bluesky import BlueskyAdapter
from bot.adapters.registry import get_adapter
from bot.config import Account
from bot.errors import AuthError, RateLimited, Rejected, Transient
from bot.models import Post
from tests.adapters.conftest import leaked, make_settings
from tests.fakes import FakeBluesky
from tests.fakes.feedserver import FeedServer

PASSWORD = "kq7v-w2zx-m4np-t8rb"
LINK = "https://news.example.org/2026/harbour-plan?utm_source=bluesky"


@pytest.fixture
def pds() -> Iterator[FakeBluesky]:
    with FakeBluesky(app_password=PASSWORD) as fake:
        yield fake


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def adapter(fake: FakeBluesky, creds: dict[str, str] | None = None, timeout: float = 2.0,
            **account: Any) -> BlueskyAdapter:
    acc = Account(name="bsky", platform="bluesky", handle=fake.handle, api_base=fake.url,
                  **account)
    made = get_adapter(acc, make_settings(acc, creds or {"app_password": PASSWORD}, timeout),
                       dry_run=False)
    assert isinstance(made, BlueskyAdapter)
    return made


def post(text: str = f"Harbour plan approved 🎉 — Çanakkale votes {LINK} #Harbour",
         **kw: Any) -> Post:
    fields: dict[str, Any] = {"link": LINK, "title": "Harbour plan approved",
                              "description": "Work starts next spring.", "language": "tr"}
    fields.update(kw)
    return Post(platform="bluesky", account="bsky", text=text, length=len(text), limit=300,
                fits=True, **fields)


def image_bytes(size: tuple[int, int], fmt: str, noise: bool = False) -> bytes:
    img = Image.new("RGB", size, (200, 40, 40))
    if noise:  # incompressible: a large file
        rng = random.Random(7)
        img.frombytes(bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3)))
    out = io.BytesIO()
    img.save(out, format=fmt)
    return out.getvalue()


# --------------------------------------------------------------------------- posting
def test_a_post_is_a_record_with_facets_at_utf8_byte_offsets_and_a_card(pds: FakeBluesky) -> None:
    result = adapter(pds).publish(post(), delivery_id=7)
    (made,) = pds.posts
    record = made["record"]
    text = record["text"]
    data = text.encode("utf-8")
    spans = {f["features"][0]["$type"].split("#")[1]:
             data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode("utf-8")
             for f in record["facets"]}
    # the emoji, the dash and the Turkish letters before them are several bytes each
    assert spans == {"link": LINK, "tag": "#Harbour"}
    assert record["facets"][0]["features"][0]["uri"] == LINK
    assert record["langs"] == ["tr"]
    assert record["embed"]["$type"] == "app.bsky.embed.external"
    assert record["embed"]["external"] == {
        "$type": "app.bsky.embed.external#external", "uri": LINK,
        "title": "Harbour plan approved", "description": "Work starts next spring."}
    assert result.remote_id == made["id"] and result.remote_id.startswith("at://did:plc:")
    assert result.url == f"https://bsky.app/profile/{pds.handle}/post/{made['rkey']}"
    assert result.detail == "link card without an image"


def test_mentions_become_facets_only_when_the_handle_resolves(pds: FakeBluesky) -> None:
    pds.configure(handles={pds.handle: pds.did, "desk.example.org": "did:plc:desk0000000001"})
    text = f"Thanks @desk.example.org and @nobody.example.org {LINK}"
    adapter(pds).publish(post(text))
    facets = pds.posts[0]["record"]["facets"]
    mentions = [f for f in facets if f["features"][0]["$type"].endswith("#mention")]
    assert [m["features"][0]["did"] for m in mentions] == ["did:plc:desk0000000001"]
    data = text.encode()
    (m,) = mentions
    assert data[m["index"]["byteStart"]:m["index"]["byteEnd"]] == b"@desk.example.org"


def test_the_card_carries_the_article_image_uploaded_as_a_blob(pds: FakeBluesky,
                                                               site: FeedServer) -> None:
    png = image_bytes((120, 63), "PNG")
    site.serve("/img/harbour.png", png, content_type="image/png")
    result = adapter(pds).publish(post(image=site.url("/img/harbour.png")))
    thumb = pds.posts[0]["record"]["embed"]["external"]["thumb"]
    blob = pds.blobs[thumb["ref"]["$link"]]
    assert blob["data"] == png and blob["mime"] == "image/png" and thumb["size"] == len(png)
    assert result.detail == "link card with the article image"


def test_an_image_over_1_mb_is_shrunk_to_fit(pds: FakeBluesky, site: FeedServer) -> None:
    big = image_bytes((900, 700), "PNG", noise=True)
    assert len(big) > 1_000_000
    site.serve("/img/big.png", big, content_type="image/png")
    result = adapter(pds).publish(post(image=site.url("/img/big.png")))
    thumb = pds.posts[0]["record"]["embed"]["external"]["thumb"]
    blob = pds.blobs[thumb["ref"]["$link"]]
    assert blob["mime"] == "image/jpeg" and blob["size"] <= 1_000_000
    with Image.open(io.BytesIO(blob["data"])) as shrunk:
        assert shrunk.format == "JPEG" and shrunk.size[0] / shrunk.size[1] == pytest.approx(
            900 / 700, rel=0.01)
    assert result.detail == "link card with the article image (resized)"


@pytest.mark.parametrize(("body", "ctype", "status"), [
    (b"GIF89a not really an image", "image/gif", 200),  # unreadable: nothing to shrink
    (b"gone", "text/plain", 404),
    (b"<html>a page, not an image</html>", "text/html", 200),
])
def test_an_unusable_image_leaves_the_card_without_one(pds: FakeBluesky, site: FeedServer,
                                                       body: bytes, ctype: str,
                                                       status: int) -> None:
    site.serve("/img/x", body, content_type=ctype, status=status)
    result = adapter(pds).publish(post(image=site.url("/img/x")))
    assert "thumb" not in pds.posts[0]["record"]["embed"]["external"]
    assert pds.blobs == {} and result.detail == "link card without an image"


def test_a_post_too_long_for_the_pds_is_rejected(pds: FakeBluesky) -> None:
    with pytest.raises(Rejected, match="300 graphemes"):
        adapter(pds).publish(post("é" * 290 + " " + LINK))
    assert pds.posts == []


# --------------------------------------------------------------------------- sessions
def test_the_session_is_kept_and_reused_without_signing_in_again(pds: FakeBluesky) -> None:
    first = adapter(pds)
    first.publish(post())
    stored = first.refreshed_credentials()
    assert set(stored) == {"bsky_session"}
    assert len(pds.calls("POST", "createSession$")) == 1
    second = adapter(pds, creds={"app_password": PASSWORD, **stored})
    second.publish(post(f"Second story {LINK}2"))
    assert len(pds.calls("POST", "createSession$")) == 1  # the stored session did it
    assert second.refreshed_credentials() == {}  # nothing new to store
    assert len(pds.posts) == 2


def test_an_access_token_near_expiry_is_refreshed_and_the_new_session_kept(
        pds: FakeBluesky) -> None:
    pds.configure(access_ttl=600)  # within the SDK's 15-minute margin: refresh first
    first = adapter(pds)
    first.verify()
    stored = first.refreshed_credentials()["bsky_session"]
    old_refresh = stored.split(":::")[3]
    second = adapter(pds, creds={"app_password": PASSWORD, "bsky_session": stored})
    second.publish(post())
    assert len(pds.calls("POST", "refreshSession$")) >= 1
    renewed = second.refreshed_credentials()["bsky_session"]
    assert renewed != stored and old_refresh not in pds.refresh  # the old one is spent
    assert renewed.split(":::")[3] in pds.refresh
    assert len(pds.calls("POST", "createSession$")) == 1


def test_a_session_that_cannot_be_refreshed_signs_in_again(pds: FakeBluesky) -> None:
    first = adapter(pds)
    first.verify()
    stored = first.refreshed_credentials()["bsky_session"]
    pds.access.clear()
    pds.refresh.clear()  # the PDS forgot every session (revoked, expired)
    again = adapter(pds, creds={"app_password": PASSWORD, "bsky_session": stored})
    again.publish(post())
    assert len(pds.calls("POST", "createSession$")) == 2 and len(pds.posts) == 1
    assert again.refreshed_credentials()["bsky_session"] != stored


def test_a_revoked_app_password_is_an_auth_error_and_nothing_is_posted(pds: FakeBluesky) -> None:
    pds.revoke()
    with pytest.raises(AuthError, match="Invalid identifier or password") as caught:
        adapter(pds).publish(post())
    assert pds.posts == [] and leaked(str(caught.value), [PASSWORD]) == []


def test_describe_and_verify(pds: FakeBluesky) -> None:
    a = adapter(pds)
    line = a.describe()
    assert f"@{pds.handle}" in line and leaked(line, [PASSWORD]) == []
    ident = a.verify()
    assert (ident.id, ident.name) == (pds.did, f"@{pds.handle}")


# --------------------------------------------------------------------------- errors, limits
def test_a_spent_point_budget_is_rate_limited_until_the_reset(pds: FakeBluesky) -> None:
    pds.configure(points_per_hour=6)
    a = adapter(pds)
    a.publish(post())
    assert a.paused_until() is None  # 3 points left: one more post
    a.publish(post(f"Second {LINK}2"))
    reset = a.paused_until()
    assert reset is not None and 3500 < reset - time.time() <= 3602
    with pytest.raises(RateLimited) as caught:
        a.publish(post(f"Third {LINK}3"))
    assert caught.value.retry_after is not None and 3500 < caught.value.retry_after <= 3602
    assert len(pds.posts) == 2


def test_server_errors_and_timeouts_are_transient(pds: FakeBluesky) -> None:
    a = adapter(pds, timeout=0.5)
    a.verify()
    pds.expect(500, {"error": "InternalServerError", "message": "Internal Server Error"},
               method="POST", path="createRecord$")
    with pytest.raises(Transient, match="HTTP 500"):
        a.publish(post())
    pds.configure(timeout_sleep=1.0)
    pds.expect(action="timeout", method="POST", path="createRecord$")
    with pytest.raises(Transient, match="timed out"):
        a.publish(post())
    assert pds.posts == []


# --------------------------------------------------------------------------- look-ups
def test_the_look_up_pages_back_through_the_repository(pds: FakeBluesky) -> None:
    a = adapter(pds)
    sent = a.publish(post())
    pds.add_others(150)
    since = datetime.now(UTC) - timedelta(minutes=5)
    found = a.find_existing(LINK, since=since)
    assert found is not None and found.remote_id == sent.remote_id
    assert len(pds.calls("GET", "listRecords$")) == 2
    assert a.find_existing("https://news.example.org/never", since=since) is None
    assert len(pds.calls("GET", "listRecords$")) == 4  # every page read before "not there"


def test_a_look_up_cut_short_is_transient_never_none(pds: FakeBluesky) -> None:
    a = adapter(pds)
    pds.add_others(130)
    pds.expect(500, {"error": "InternalServerError", "message": "Internal Server Error"},
               method="GET", path="listRecords$", after=1)
    with pytest.raises(Transient):
        a.find_existing(LINK, since=datetime.now(UTC) - timedelta(minutes=5))
    pds.add_others(5 * 100)
    with pytest.raises(Transient, match="cannot tell"):
        a.find_existing(LINK, since=datetime.now(UTC) - timedelta(minutes=5))


def test_the_look_up_stops_at_since(pds: FakeBluesky) -> None:
    a = adapter(pds)
    a.publish(post())
    pds.add_others(250)
    assert a.find_existing(LINK, since=datetime.now(UTC) + timedelta(minutes=1)) is None
    assert len(pds.calls("GET", "listRecords$")) == 1  # the first page was already older
