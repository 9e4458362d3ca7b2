"""`bot post` live, end to end: the real command against fake X, Facebook and YouTube servers.

The fakes run in this process on 127.0.0.1; the bot runs as a subprocess with a YAML config
whose accounts point at them (``api_base``) and credentials in ``BOT_CREDENTIALS__…``
variables. :class:`Live` and :func:`live_platforms` are shared with the other live e2e files.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.adapters.conftest import FB_SECRETS, X_SECRETS, YT_SECRETS, leaked
from tests.e2e.cli_helpers import assert_clean_failure, bot
from tests.fakes import FakeFacebook, FakeWebhook, FakeX, FakeYouTube

SAMPLE_URL = "https://example.org/2026/putin-ankara"
POST_PATHS = {
    "x": ("POST", r"^/2/tweets$"),
    "fb": ("POST", r"/feed$"),
    "ytc": ("POST", r"/commentThreads$"),
}


class Live:
    """Four fake platforms, the config that points at them, and a way to run `bot`."""

    def __init__(
        self, tmp: Path, x: FakeX, fb: FakeFacebook, yt: FakeYouTube, hook: FakeWebhook
    ) -> None:
        self.tmp, self.data = tmp, tmp / "data"
        self.x, self.fb, self.yt, self.hook = x, fb, yt, hook
        self.accounts: list[dict[str, Any]] = [
            {"name": "x", "platform": "twitter", "api_base": x.url},
            {"name": "fb", "platform": "facebook", "api_base": fb.url, "page_id": fb.page_id},
            {"name": "yt", "platform": "youtube", "api_base": yt.url},
            {"name": "ytc", "platform": "youtube", "mode": "comment", "api_base": yt.url},
        ]
        self.creds: dict[str, dict[str, str]] = {
            "x": dict(X_SECRETS),
            "fb": dict(FB_SECRETS),
            "yt": {"webhook_url": hook.hook_url},
            "ytc": dict(YT_SECRETS),
        }
        self.settings: dict[str, Any] = {}
        """Extra top-level settings for the YAML file."""

    def account(self, name: str) -> dict[str, Any]:
        return next(a for a in self.accounts if a["name"] == name)

    def config(self) -> Path:
        path = self.tmp / "bot.yaml"
        doc = {
            "site_name": "Example Times",
            "feeds": [],
            "accounts": self.accounts,
            **self.settings,
        }
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return path

    def env(self) -> dict[str, str]:
        env = {"BOT_DATA_DIR": str(self.data)}
        for account, values in self.creds.items():
            for key, value in values.items():
                env[f"BOT_CREDENTIALS__{account.upper()}__{key.upper()}"] = value
        return env

    def run(
        self, *args: str, env: dict[str, str] | None = None, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        res = bot("--config", str(self.config()), *args, env={**self.env(), **(env or {})}, **kw)
        assert "Traceback" not in res.stderr, res.stderr
        assert self.leaks(res.stdout + res.stderr) == []
        return res

    def run_json(self, *args: str, code: int = 0, **kw: Any) -> dict[str, Any]:
        res = self.run(*args, "--json", **kw)
        assert res.returncode == code, (res.returncode, res.stderr)
        doc = json.loads(res.stdout)
        assert isinstance(doc, dict)
        return doc

    def leaks(self, text: str) -> list[str]:
        """Pieces of any configured secret found in ``text`` (the public app id aside)."""
        values = [
            v
            for c in self.creds.values()
            for k, v in c.items()
            if k not in ("app_id", "webhook_url")
        ]
        found = leaked(text, values, size=8)
        if self.hook.path.rsplit("/", 1)[-1] in text:  # the webhook URL's secret part
            found.append("webhook path")
        return found

    def post_calls(self) -> dict[str, int]:
        """How many publishing requests each fake has seen."""
        fakes = {"x": self.x, "fb": self.fb, "ytc": self.yt}
        counts = {name: len(fakes[name].calls(*POST_PATHS[name])) for name in fakes}
        counts["yt"] = len(self.hook.calls("POST"))
        return counts


@contextmanager
def live_platforms(tmp: Path, **fake_kw: dict[str, Any]) -> Iterator[Live]:
    """Start FakeX, FakeFacebook, FakeYouTube and FakeWebhook (``x=``, ``fb=``, ``yt=``,
    ``hook=`` give extra keyword arguments to each)."""
    with ExitStack() as stack:
        x = stack.enter_context(FakeX(**{**X_SECRETS, **fake_kw.get("x", {})}))
        fb = stack.enter_context(FakeFacebook(**{**FB_SECRETS, **fake_kw.get("fb", {})}))
        yt = stack.enter_context(FakeYouTube(**{**YT_SECRETS, **fake_kw.get("yt", {})}))
        hook = stack.enter_context(FakeWebhook(**fake_kw.get("hook", {})))
        yield Live(tmp, x, fb, yt, hook)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    with live_platforms(tmp_path) as platforms:
        yield platforms


def by_account(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["account"]: p for p in doc["posts"]}


def result_lines(stdout: str) -> dict[str, str]:
    """The plain `account (platform): result` lines printed after the panels."""
    found = re.findall(r"^(\w+) \((twitter|facebook|youtube)\): (.+)$", stdout, re.M)
    return {name: text for name, _, text in found}


# -- the happy path ------------------------------------------------------------------------------
def test_post_publishes_everywhere_and_prints_the_urls(
    live: Live, sample_article_path: Path
) -> None:
    res = live.run("post", str(sample_article_path), "--url", SAMPLE_URL)
    assert res.returncode == 0, res.stderr
    # one post on each platform, one hand-off message, one comment
    assert [len(live.x.posts), len(live.fb.posts), len(live.hook.posts), len(live.yt.posts)] == [
        1,
        1,
        1,
        1,
    ]
    tweet, page_post, comment = live.x.posts[0], live.fb.posts[0], live.yt.posts[0]
    assert SAMPLE_URL in tweet["text"]
    assert page_post["link"] == SAMPLE_URL and SAMPLE_URL in page_post["message"]
    assert comment["videoId"] == live.yt.videos[0]  # the newest upload
    assert SAMPLE_URL in comment["text"]
    # each result on its own line with the public URL, whole, even in a narrow terminal
    lines = result_lines(res.stdout)
    assert set(lines) == {"x", "fb", "yt", "ytc"}
    assert lines["x"] == f"sent · https://x.com/i/web/status/{tweet['id']}"
    assert lines["fb"] == f"sent · https://www.facebook.com/{page_post['id']}"
    assert lines["ytc"] == (
        f"sent · https://www.youtube.com/watch?v={comment['videoId']}&lc={comment['id']}"
    )
    assert "bot youtube pending" in lines["yt"]

    # the same command again sends nothing and says so
    before = live.post_calls()
    again = live.run("post", str(sample_article_path), "--url", SAMPLE_URL, env={"COLUMNS": "60"})
    assert again.returncode == 0, again.stderr
    assert live.post_calls() == before
    assert [len(live.x.posts), len(live.fb.posts), len(live.hook.posts), len(live.yt.posts)] == [
        1,
        1,
        1,
        1,
    ]
    lines = result_lines(again.stdout)
    for name in ("x", "fb", "ytc"):
        assert lines[name].startswith("already posted, not sent again"), lines[name]
    assert "yt" in lines  # the hand-off still waits for its human; the webhook was not called
    assert lines["x"].endswith(f"https://x.com/i/web/status/{tweet['id']}")


def test_post_json_reports_each_delivery(live: Live, sample_article_path: Path) -> None:
    doc = live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL)
    assert doc["article"]["url"] == SAMPLE_URL
    posts = by_account(doc)
    assert [p["account"] for p in doc["posts"]] == ["x", "fb", "yt", "ytc"]
    assert {n: p["status"] for n, p in posts.items()} == {
        "x": "sent",
        "fb": "sent",
        "yt": "awaiting_human",
        "ytc": "sent",
    }
    # what the platforms received is exactly the text the document shows
    assert live.x.posts[0]["text"] == posts["x"]["text"]
    assert live.fb.posts[0]["message"] == posts["fb"]["text"]
    assert live.yt.posts[0]["text"] == posts["ytc"]["text"]
    assert posts["yt"]["text"] in live.hook.posts[0]["text"]
    # remote ids and URLs come from the platforms' answers
    assert posts["x"]["remote_id"] == live.x.posts[0]["id"]
    assert posts["x"]["url"].endswith("/status/" + live.x.posts[0]["id"])
    assert posts["fb"]["remote_id"] == live.fb.posts[0]["id"]
    assert posts["ytc"]["remote_id"] == live.yt.posts[0]["id"]
    assert posts["yt"]["url"] is None
    ids = [p["delivery_id"] for p in doc["posts"]]
    assert len(set(ids)) == 4 and all(isinstance(i, int) for i in ids)
    assert all(p["error"] is None for p in doc["posts"])

    again = by_account(live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL))
    assert {n: again[n]["status"] for n in ("x", "fb", "ytc")} == dict.fromkeys(
        ("x", "fb", "ytc"), "already_sent"
    )
    # the hand-off is not sent again, whether it reads "already sent" or "still waiting"
    assert again["yt"]["status"] in ("already_sent", "awaiting_human")
    assert {n: p["delivery_id"] for n, p in again.items()} == {
        n: p["delivery_id"] for n, p in posts.items()
    }
    assert again["x"]["url"] == posts["x"]["url"] and again["fb"]["url"] == posts["fb"]["url"]
    assert [len(live.x.posts), len(live.fb.posts), len(live.hook.posts), len(live.yt.posts)] == [
        1,
        1,
        1,
        1,
    ]


def test_force_posts_again_with_a_warning(tmp_path: Path, sample_article_path: Path) -> None:
    no_dupes = {"duplicates": False}
    with live_platforms(tmp_path, x=no_dupes, fb=no_dupes) as live:
        first = by_account(live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL))
        res = live.run("post", str(sample_article_path), "--url", SAMPLE_URL, "--force", "--json")
        assert res.returncode == 0, res.stderr
        assert "warning: --force" in res.stderr
        forced = by_account(json.loads(res.stdout))
        assert {n: p["status"] for n, p in forced.items()} == {
            "x": "sent",
            "fb": "sent",
            "yt": "awaiting_human",
            "ytc": "sent",
        }
        assert [
            len(live.x.posts),
            len(live.fb.posts),
            len(live.hook.posts),
            len(live.yt.posts),
        ] == [2, 2, 2, 2]
        # the same ledger entries were sent again, and now point at the new posts
        assert forced["x"]["delivery_id"] == first["x"]["delivery_id"]
        assert forced["x"]["remote_id"] == live.x.posts[1]["id"] != first["x"]["remote_id"]
        assert forced["fb"]["remote_id"] == live.fb.posts[1]["id"]


def test_force_meets_the_platforms_duplicate_check(live: Live, sample_article_path: Path) -> None:
    """X and Facebook refuse an identical post; for the bot that means "already there"."""
    live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL, "--account", "x,fb")
    doc = live.run_json(
        "post", str(sample_article_path), "--url", SAMPLE_URL, "--account", "x,fb", "--force"
    )
    posts = by_account(doc)
    assert {n: p["status"] for n, p in posts.items()} == {"x": "already_sent", "fb": "already_sent"}
    assert live.post_calls()["x"] == 2 and live.post_calls()["fb"] == 2  # asked twice
    assert len(live.x.posts) == 1 and len(live.fb.posts) == 1  # posted once
    # X's answer to a duplicate carries no id: the adapter looked the post up by its link
    assert posts["x"]["url"].endswith("/status/" + live.x.posts[0]["id"])


def test_account_option_narrows(live: Live, sample_article_path: Path) -> None:
    doc = live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL, "--account", "x")
    assert [p["account"] for p in doc["posts"]] == ["x"]
    assert live.post_calls() == {"x": 1, "fb": 0, "ytc": 0, "yt": 0}
    assert live.fb.requests == [] and live.yt.requests == [] and live.hook.requests == []

    doc = live.run_json(
        "post", str(sample_article_path), "--url", SAMPLE_URL, "--account", "fb", "--account", "ytc"
    )
    assert [p["account"] for p in doc["posts"]] == ["fb", "ytc"]
    assert live.post_calls() == {"x": 1, "fb": 1, "ytc": 1, "yt": 0}

    # without the option the rest follows, and nothing is sent twice
    doc = live.run_json("post", str(sample_article_path), "--url", SAMPLE_URL)
    assert {p["account"]: p["status"] for p in doc["posts"]} == {
        "x": "already_sent",
        "fb": "already_sent",
        "yt": "awaiting_human",
        "ytc": "already_sent",
    }
    assert live.post_calls() == {"x": 1, "fb": 1, "ytc": 1, "yt": 1}


# -- failures --------------------------------------------------------------------------------------
def test_one_failing_account_does_not_stop_the_others(
    live: Live, sample_article_path: Path
) -> None:
    live.x.expect(
        500,
        FakeX.problem(500, "Internal Server Error", "Internal Server Error"),
        method="POST",
        path=r"^/2/tweets$",
    )
    live.creds["fb"]["page_token"] = "EAAG-a-page-token-that-was-revoked"
    args = ("post", str(sample_article_path), "--url", SAMPLE_URL)
    res = live.run(*args, "--json")
    assert res.returncode == 1, res.stderr
    posts = by_account(json.loads(res.stdout))
    assert {n: p["status"] for n, p in posts.items()} == {
        "x": "retry",
        "fb": "paused",
        "yt": "awaiting_human",
        "ytc": "sent",
    }
    assert "HTTP 500" in posts["x"]["error"]
    assert "Graph error 190" in posts["fb"]["error"]
    assert len(live.yt.posts) == 1 and len(live.hook.posts) == 1
    assert live.x.posts == [] and live.fb.posts == []

    # human view of the next run: X recovers, Facebook still fails, the exit code says so
    res = live.run(*args)
    assert res.returncode == 1
    lines = result_lines(res.stdout)
    tweet_id = live.x.posts[0]["id"]  # the URL carries the user name once the adapter knows it
    assert lines["x"] in (f"sent · https://x.com/i/web/status/{tweet_id}",
                          f"sent · https://x.com/pubbot/status/{tweet_id}")
    assert lines["fb"].startswith("account paused") and "Graph error 190" in lines["fb"]
    assert lines["ytc"].startswith("already posted")
    status = live.run_json("status")
    fb_state = next(a for a in status["accounts"] if a["name"] == "fb")
    assert fb_state["paused"] and "Graph error 190" in fb_state["paused_reason"]

    # fix the token, resume the account: only the missing post goes out
    live.creds["fb"]["page_token"] = FB_SECRETS["page_token"]
    resumed = live.run("accounts", "resume", "fb")
    assert resumed.returncode == 0, resumed.stderr
    doc = live.run_json(*args)
    assert by_account(doc)["fb"]["status"] == "sent"
    # fb: the refused first post, then (after the resume) the one that went out; the second
    # run's retry looked on the Page first, met the same refusal and sent nothing
    assert live.post_calls() == {"x": 2, "fb": 2, "ytc": 1, "yt": 1}
    assert len(live.fb.posts) == 1


def test_live_post_without_a_link_refuses(live: Live, sample_article_path: Path) -> None:
    res = live.run("post", str(sample_article_path))
    line = assert_clean_failure(res, 2)
    assert "--url" in line
    for fake in (live.x, live.fb, live.yt, live.hook):
        assert fake.requests == []


def test_post_with_only_dry_run_accounts_refuses(live: Live, sample_article_path: Path) -> None:
    live.accounts.append({"name": "draft", "platform": "twitter", "api_base": live.x.url})
    res = live.run("post", str(sample_article_path), "--url", SAMPLE_URL, "--account", "draft")
    line = assert_clean_failure(res, 2)
    assert "no live account" in line and "--dry-run" in line
    assert live.x.requests == []
