"""YouTube ``mode: posts`` through the real command: an image post against the fake's posts
resource, and a project outside the pilot falling back to hand-off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.conftest import YT_SECRETS
from tests.e2e.test_live_post import Live, live_platforms
from tests.fakes.feedserver import FeedServer
from tests.fakes.youtube_posts import png

ARTICLE_URL = "https://example.org/2026/night-trains"


@pytest.fixture
def site() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        srv.serve("/img/night-train.png", png(), content_type="image/png")
        yield srv


@pytest.fixture
def article(tmp_path: Path, site: FeedServer) -> Path:
    # Written for this test; its image is served on loopback (tests never reach the internet).
    path = tmp_path / "night-trains.md"
    path.write_text(f"""---
title: Night trains return to the northern line
url: {ARTICLE_URL}
image: {site.url("/img/night-train.png")}
---
Sleeper services return to the northern line in March after a four-year pause.
The operator leased twelve refurbished carriages with compartments for four people.
Trains leave the capital at ten in the evening and reach the coast by seven.
Fares start at the price of a hotel room and include breakfast on board.
The route had lost its sleepers when the old rolling stock failed its safety review.
""", encoding="utf-8")
    return path


def _posts_only(live: Live, **account: str) -> None:
    live.accounts = [{"name": "ytp", "platform": "youtube", "mode": "posts",
                      "api_base": live.yt.url, **account}]
    live.creds = {"ytp": {**YT_SECRETS, "webhook_url": live.hook.hook_url}}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_platforms(tmp_path) as platforms:
        _posts_only(platforms)
        yield platforms


@pytest.fixture
def refused(tmp_path: Path) -> Iterator[Live]:
    with live_platforms(tmp_path, yt={"posts_refusal": "forbidden"}) as platforms:
        _posts_only(platforms)
        yield platforms


def test_image_post_through_the_cli(live: Live, article: Path) -> None:
    doc = live.run_json("post", str(article))
    (post,) = doc["posts"]
    assert post["status"] == "sent"
    (made,) = [p for p in live.yt.posts if p.get("resource") == "post"]
    assert ARTICLE_URL in made["text"] and len(made["images"]) == 1
    assert post["url"] == f"https://www.youtube.com/post/{made['id']}"
    assert live.hook.posts == []  # nothing for a human to do

    # the same command again sends nothing: the ledger says it is out
    again = live.run_json("post", str(article))
    assert again["posts"][0]["status"] == "already_sent"
    assert len([p for p in live.yt.posts if p.get("resource") == "post"]) == 1

    check = live.run_json("accounts", "check")["accounts"][0]
    assert check["ok"] and check["warning"] is None


def test_no_pilot_access_hands_off_and_check_says_what_to_request(
        refused: Live, article: Path) -> None:
    check = refused.run_json("accounts", "check")["accounts"][0]
    assert check["ok"] and "posts pilot" in check["warning"]
    assert "Ask YouTube to admit the project" in check["warning"]
    table = refused.run("accounts", "check", env={"COLUMNS": "200"})
    squashed = "".join(ch for ch in table.stdout if ch.isalnum())  # the note column wraps
    assert table.returncode == 0 and "AskYouTubetoadmittheproject" in squashed

    res = refused.run("post", str(article), "--json")
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("posts pilot") == 1  # one clear warning
    pending = refused.run_json("youtube", "pending")["pending"]
    assert len(pending) == 1 and ARTICLE_URL in pending[0]["text"]
    (message,) = refused.hook.posts
    assert f"bot youtube done {pending[0]['id']}" in message["text"]
    assert [p for p in refused.yt.posts if p.get("resource") == "post"] == []
