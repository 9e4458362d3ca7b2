"""YouTube community posts handed to a human, through the real command: post → webhook →
`bot youtube pending` → `bot youtube done` → `bot status`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import assert_clean_failure
from tests.e2e.test_live_post import Live, live_platforms

ARTICLE_URL = "https://example.org/2026/harbour-ferry"
IMAGE_URL = "https://example.org/img/harbour-ferry.jpg"
COMMUNITY_URL = "https://www.youtube.com/post/UgkxFakeCommunityPost01"

# Written for this test: a short article with front matter naming its link and image.
ARTICLE = f"""---
title: The harbour ferry returns after two winters away
url: {ARTICLE_URL}
image: {IMAGE_URL}
tags: [ferries, harbour]
---
The city's harbour ferry will sail again from Monday, two winters after its last crossing.
The council bought a second-hand electric boat and trained six new skippers over the summer.
Crossings will run every twenty minutes between the old customs pier and the island market.
Tickets cost the same as a bus fare, and season passes work on both.
The operator says the boat charges at the island end while passengers board.
Residents of the island had campaigned for the service since the old diesel ferry was retired.
"""


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_platforms(tmp_path) as platforms:
        platforms.accounts = [a for a in platforms.accounts if a["name"] in ("x", "yt")]
        platforms.creds = {k: v for k, v in platforms.creds.items() if k in ("x", "yt")}
        yield platforms


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "harbour-ferry.md"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


def test_handoff_lifecycle(live: Live, article: Path) -> None:
    doc = live.run_json("post", str(article))
    posts = {p["account"]: p for p in doc["posts"]}
    assert posts["x"]["status"] == "sent"
    handoff = posts["yt"]
    assert handoff["status"] == "awaiting_human" and handoff["url"] is None
    delivery = handoff["delivery_id"]
    assert live.yt.requests == []  # hand-off mode never calls the YouTube API

    # the webhook got one Slack-style message with everything a human needs
    (call,) = live.hook.calls("POST")
    assert call.path == live.hook.path
    assert (call.header("content-type") or "").startswith("application/json")
    message = call.json
    assert set(message) == {"text"}
    text = message["text"]
    assert "'yt'" in text
    assert f"*Link:* {ARTICLE_URL}" in text and f"*Image:* {IMAGE_URL}" in text
    assert f"```\n{handoff['text']}\n```" in text  # the post, ready to paste
    assert f"bot youtube done {delivery}" in text

    # pending lists it with the same text, the link and the image
    pending = live.run_json("youtube", "pending")["pending"]
    assert len(pending) == 1
    item = pending[0]
    assert item["id"] == delivery and item["account"] == "yt"
    assert item["text"] == handoff["text"]
    assert item["link"] == handoff["link"] and item["link"].startswith(ARTICLE_URL)
    assert item["image"] == IMAGE_URL
    human = live.run("youtube", "pending")
    assert human.returncode == 0
    assert f"image: {IMAGE_URL}" in human.stdout
    assert f"bot youtube done {delivery}" in human.stdout
    assert "harbour ferry returns" in human.stdout

    # a human posts it and says so
    done = live.run("youtube", "done", str(delivery), COMMUNITY_URL)
    assert done.returncode == 0, done.stderr
    assert COMMUNITY_URL in done.stdout

    status = live.run_json("status")
    row = next(r for r in status["recent"] if r["id"] == delivery)
    assert row["status"] == "sent" and row["remote_url"] == COMMUNITY_URL
    assert all(r["id"] != delivery for r in status["attention"])
    yt_counts = next(a for a in status["accounts"] if a["name"] == "yt")["counts"]
    assert yt_counts.get("sent") == 1 and not yt_counts.get("awaiting_human")

    assert live.run_json("youtube", "pending") == {"pending": []}
    empty = live.run("youtube", "pending")
    assert empty.returncode == 0 and "nothing waiting" in empty.stdout

    # posting the article again hands nothing over twice
    again = {p["account"]: p for p in live.run_json("post", str(article))["posts"]}
    assert again["yt"]["status"] == "already_sent" and again["yt"]["url"] == COMMUNITY_URL
    assert len(live.hook.posts) == 1


def test_done_refuses_what_is_not_waiting(live: Live, article: Path) -> None:
    doc = live.run_json("post", str(article))
    ids = {p["account"]: p["delivery_id"] for p in doc["posts"]}

    line = assert_clean_failure(live.run("youtube", "done", "9999"), 2)
    assert "9999" in line
    line = assert_clean_failure(live.run("youtube", "done", str(ids["x"])), 2)
    assert f"delivery {ids['x']}" in line and "not awaiting" in line

    ok = live.run("youtube", "done", str(ids["yt"]))  # the URL is optional
    assert ok.returncode == 0, ok.stderr
    line = assert_clean_failure(live.run("youtube", "done", str(ids["yt"])), 2)
    assert "not awaiting" in line
    status = live.run_json("status")
    row = next(r for r in status["recent"] if r["id"] == ids["yt"])
    assert row["status"] == "sent" and row["remote_url"] is None


def test_webhook_failure_still_leaves_the_post_waiting(live: Live, article: Path) -> None:
    live.hook.expect(500, "internal_error", method="POST")
    res = live.run("post", str(article), "--account", "yt", "--json")
    assert res.returncode == 0, res.stderr
    (post,) = json.loads(res.stdout)["posts"]
    assert post["status"] == "awaiting_human"
    assert "webhook answered HTTP 500" in res.stderr
    assert [p["id"] for p in live.run_json("youtube", "pending")["pending"]] == [
        post["delivery_id"]
    ]
