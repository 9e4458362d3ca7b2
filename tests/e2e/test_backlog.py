"""A post whose answer was lost, then a backlog of newer posts: never posted twice.

The issue's four commands, through the real CLI and daemon against fakes that page like the
platforms (processes, as in production): ``bot post A`` while every platform makes the
post and drops the answer (a ghost) — and colleagues post 100 times right after, then the
daemon posts 30 other articles from the feed, then ``bot post A`` again. The look-up before
the resend must read back past all 130 newer posts (two pages of 100 on X, Facebook,
YouTube's comments and Bluesky, three of 50 on YouTube's posts, four of Mastodon's 40)
and find A; every platform holds A exactly once.
"""

from __future__ import annotations

import json
import math
import random
import time
from pathlib import Path
from typing import Any

import yaml

from bot.adapters.registry import adapter_class
from bot.store import Store
from tests.e2e.cli_helpers import bot
from tests.e2e.harness import (
    PLATFORMS,
    POST_PATHS,
    FakePlatform,
    FeedSite,
    Fleet,
    make_article,
    post_link,
    stop_all,
    write_config,
)

NEWER = 30
COLLEAGUES = 100
LINK = "https://news.example.org/backlog/a"
ARTICLE = """Harbour plan approved after a long debate

The council approved the harbour plan on Tuesday after a debate that lasted most of the day.
Work on the northern quay starts next spring and should end within a year, the council said.
Residents asked for a public meeting about traffic during the works; one is planned for May.
"""


def _post_a(config: Path, tmp: Path) -> dict[str, dict[str, Any]]:
    article = tmp / "a.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    res = bot("post", str(article), "--url", LINK, "--json", cwd=tmp,
              env={"BOT_CONFIG": str(config), "BOT_SECRETS_DIRS": "/nonexistent-secrets"})
    assert "Traceback" not in res.stderr, res.stderr
    doc = json.loads(res.stdout)
    return {p["account"]: {**p, "stderr": res.stderr} for p in doc["posts"]}


def _lookups(stderr: str) -> dict[str, tuple[int, int, str]]:
    """account -> (posts read, pages, outcome) of the look-ups logged by `bot post`."""
    out = {}
    for line in stderr.splitlines():
        if line.startswith("{") and '"lookup_posts"' in line:
            rec = json.loads(line)
            out[rec["account"]] = (rec["lookup_posts"], rec["lookup_pages"], rec["lookup"])
    return out


def test_a_ghost_behind_130_newer_posts_is_found_not_posted_again(tmp_path: Path) -> None:
    fakes: dict[str, FakePlatform] = {}
    site: FeedSite | None = None
    fleet: Fleet | None = None
    try:
        for i, name in enumerate(PLATFORMS):
            fakes[name] = FakePlatform(name, tmp_path, fail_rate=0, seed=i,
                                       options={"others_after_ghost": COLLEAGUES})
        site = FeedSite(tmp_path)
        config = write_config(tmp_path / "bot.yaml", data_dir=tmp_path / "data",
                              database_url=None, feed_url=site.url, fakes=fakes)
        doc = yaml.safe_load(config.read_text(encoding="utf-8"))
        # A's retry waits (full jitter: any delay up to this, ~0 chance of under a minute)
        doc["scheduler"].update(backoff_base_seconds=10**7, backoff_max_seconds=10**7,
                                dispatch_interval_seconds=0.05)
        doc["feeds"][0]["backfill"] = NEWER  # the daemon's first poll queues them all
        config.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

        # 1. `bot post A`: every platform makes the post, the answer is lost
        for name, fake in fakes.items():
            fake.configure(script=[{"action": "ghost", "method": "POST",
                                    "path": POST_PATHS[name]}])
        first = _post_a(config, tmp_path)
        assert {a: p["status"] for a, p in first.items()} == dict.fromkeys(PLATFORMS, "retry")

        # 2. the daemon posts 30 newer articles (A waits for its backoff)
        site.publish([make_article(n, "backlog", random.Random(n)) for n in range(NEWER)])
        fleet = Fleet(1, config, tmp_path, failpoints=None)
        fleet.start()
        store = Store(f"sqlite:///{tmp_path / 'data' / 'bot.db'}")
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                counts = store.counts()
                if all(counts.get(a, {}).get("sent") == NEWER for a in PLATFORMS):
                    break
                time.sleep(0.5)
            assert counts == {a: {"sent": NEWER, "failed": 1} for a in PLATFORMS}, fleet.tail()
        finally:
            store.close()
        assert fleet.stop() == [0]

        # 3. `bot post A` again: found behind the backlog, not posted again
        again = _post_a(config, tmp_path)
        assert {a: p["status"] for a, p in again.items()} == dict.fromkeys(
            PLATFORMS, "already_sent"), again
        read = _lookups(next(iter(again.values()))["stderr"])
        for name, fake in fakes.items():
            posts = fake.posts()
            ours = [p for p in posts if not p.get("by_others")]
            links = [post_link(name, p) for p in ours]
            assert links.count(LINK) == 1 and len(ours) == NEWER + 1, name
            (made,) = [p for p in ours if post_link(name, p) == LINK]
            assert again[name]["remote_id"] == str(made["id"])
            assert len(posts) == NEWER + 1 + COLLEAGUES
            posts_read, pages, outcome = read[name]
            size = adapter_class(PLATFORMS[name]).lookup_page_size  # Mastodon's is 40
            if name == "youtube_posts":  # the posts resource pages by 50
                size = 50
            assert outcome == "found" and posts_read > NEWER + COLLEAGUES, read
            assert pages == math.ceil(posts_read / size), read
    finally:
        stop_all(fleet, site, fakes)
