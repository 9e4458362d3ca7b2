"""What X costs, through the real command: the price of each post, a monthly budget that
holds a post as over_budget, `bot status` with the month's spend, and a raised budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.adapters.conftest import X_SECRETS
from tests.e2e.test_live_post import Live, live_platforms


def article(tmp: Path, n: int) -> Path:
    # Written for this test.
    path = tmp / f"tram-{n}.md"
    path.write_text(f"""---
title: Tram line {n} opens to the old harbour
url: https://example.org/2026/tram-{n}
---
Tram line {n} opens on Saturday between the station and the old harbour.
Trams run every eight minutes in the day and every twenty minutes at night.
The city says the line will carry twelve thousand passengers a day by spring.
""", encoding="utf-8")
    return path


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_platforms(tmp_path) as platforms:
        platforms.accounts = [{"name": "x", "platform": "twitter", "api_base": platforms.x.url,
                               "budget_usd_per_month": 0.3}]
        platforms.creds = {"x": {**X_SECRETS, "webhook_url": platforms.hook.hook_url}}
        yield platforms


def test_budget_holds_a_post_until_it_is_raised(live: Live, tmp_path: Path) -> None:
    first = live.run_json("post", str(article(tmp_path, 1)))["posts"][0]
    assert (first["status"], first["cost_usd"]) == ("sent", 0.2)

    res = live.run("post", str(article(tmp_path, 2)), "--json")
    assert res.returncode == 1  # not sent: it waits
    held = json.loads(res.stdout)["posts"][0]
    assert held["status"] == "over_budget" and held["cost_usd"] == 0.2
    assert "over budget" in held["error"] and "$0.200 of $0.300" in held["error"]
    assert len(live.x.posts) == 1
    (message,) = live.hook.posts
    assert "reached its monthly budget" in message["text"]

    status = live.run_json("status")
    (acc,) = status["accounts"]
    assert acc["counts"] == {"sent": 1, "over_budget": 1}
    assert acc["spend"]["usd"] == 0.2 and acc["spend"]["posts"] == 1
    assert acc["spend"]["budget_usd"] == 0.3
    assert [r["status"] for r in status["attention"]] == ["over_budget"]
    table = live.run("status", env={"COLUMNS": "200"}).stdout
    assert "$0.200 / $0.300" in table

    live.account("x")["budget_usd_per_month"] = 1.0  # raised
    again = live.run_json("post", str(article(tmp_path, 2)))["posts"][0]
    assert again["status"] == "sent" and len(live.x.posts) == 2
    assert live.run_json("status")["accounts"][0]["spend"]["usd"] == 0.4
