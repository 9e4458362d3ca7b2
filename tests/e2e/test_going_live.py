"""Safe by default, end to end: the real `bot` (and `bot run`) in subprocesses against the fake X
(which checks every OAuth 1.0a signature against the URL it was called on) and a loopback feed.

* the sample feed is a demo: never live, only with no configuration at all;
* dry run → live: what was only previewed waits for a decision; `bot send ID`, `bot retry ID`
  and `bot post` send it live; nothing posts twice;
* `bot status` tells when and why a post waits, in the account's zone, by title;
* `bot post --force` keeps and shows the earlier post's URL; a failed one-shot post says how
  to retry it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.adapters.conftest import X_SECRETS
from tests.e2e.cli_helpers import ROOT, assert_clean_failure, bot, terminate
from tests.fakes import FakeX
from tests.fakes.feedserver import FeedServer, Item

T = TypeVar("T")
BODY = ("<p>The night train to the coast returns in June after a five-year break, the operator "
        "said on Tuesday.</p><p>Tickets go on sale next week; sleeper cabins cost less than a "
        "hotel room in the old town.</p>")
TEXT = ("The night train to the coast returns in June after a five-year break, the operator said "
        "on Tuesday.\n\nTickets go on sale next week; sleeper cabins cost less than a hotel "
        "room in the old town.")
X_ENV = {f"BOT_CREDENTIALS__X__{k.upper()}": v for k, v in X_SECRETS.items()}


class World:
    """A feed server, the fake X, a data folder, a config file and a way to run `bot`."""

    def __init__(self, tmp: Path, feeds: FeedServer, x: FakeX) -> None:
        self.tmp, self.feeds, self.x = tmp, feeds, x
        self.data = tmp / "data"
        self.cfg = tmp / "bot.yaml"
        self.items: list[Item] = []
        self.doc = feeds.add_feed("news", self.items)
        self.log = tmp / "daemon.log"

    def add_item(self, n: int, minutes_ago: int = 5) -> Item:
        item = Item(f"Night train story number {n}", link=self.feeds.url(f"/articles/{n}"),
                    guid=f"urn:train:{n}", content=BODY,
                    published=datetime.now(UTC) - timedelta(minutes=minutes_ago))
        self.doc.items.insert(0, item)
        return item

    def write(self, accounts: list[dict[str, Any]], **extra: Any) -> None:
        doc = {"data_dir": str(self.data), "site_name": "Example Times", "accounts": accounts,
               "feeds": [{"name": "news", "url": self.feeds.url("/news.xml"), "backfill": 10,
                          "interval_seconds": 1, "jitter_seconds": 0}],
               "health": {"enabled": False},
               "scheduler": {"dispatch_interval_seconds": 0.2,
                             "reconcile_interval_seconds": 1}, **extra}
        self.cfg.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")

    def x_account(self, **kw: Any) -> dict[str, Any]:
        return {"name": "x", "platform": "twitter", "api_base": self.x.url,
                "min_spacing_minutes": 0, **kw}

    def run(self, *args: str, live: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
        res = bot("--config", str(self.cfg), *args, env={**(X_ENV if live else {}), **env},
                  cwd=self.tmp)
        assert "Traceback" not in res.stderr, res.stderr
        return res

    def status(self, live: bool = False) -> dict[str, Any]:
        res = self.run("status", "--json", "--limit", "100", live=live)
        assert res.returncode == 0, res.stderr
        doc = json.loads(res.stdout)
        assert isinstance(doc, dict)
        return doc

    def x_links(self) -> list[str]:
        """The article link of every post the fake X holds, in order."""
        out = []
        for p in self.x.posts:
            found = re.findall(r"http://127\.0\.0\.1:\d+/articles/\d+", p["text"])
            out.append(found[0] if found else p["text"])
        return out

    @contextmanager
    def daemon(self, *, live: bool) -> Iterator[subprocess.Popen[bytes]]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        env.update(PYTHONPATH=str(ROOT), BOT_SECRETS_DIRS="/nonexistent-secrets",
                   BOT_LOG_FORMAT="json", **(X_ENV if live else {}))
        with self.log.open("ab") as log:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(self.cfg),
                                     "run"], cwd=self.tmp, env=env, stdout=log, stderr=log)
        try:
            yield proc
        finally:
            code = terminate(proc)
            assert code is not None, "bot run did not stop within 20 s of SIGTERM"
            assert code == 0, self.log_lines()[-5:]

    def wait_counts(self, proc: subprocess.Popen[bytes], expected: dict[str, int], *,
                    account: str = "x", live: bool = False) -> dict[str, Any]:
        """Wait until ``account``'s delivery counts are ``expected``; the status document."""
        def probe() -> dict[str, Any] | None:
            doc = self.status(live=live)
            return doc if counts(doc, account) == expected else None
        return self.wait(f"{account} at {expected}", probe, proc)

    def log_lines(self) -> list[str]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [json.loads(ln)["msg"] for ln in lines if ln.startswith("{")]

    def wait(self, what: str, probe: Callable[[], T | None], proc: subprocess.Popen[bytes],
             timeout: float = 60) -> T:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"bot run exited waiting for {what}: {self.log_lines()}"
            value = probe()
            if value is not None:
                return value
            time.sleep(0.3)
        raise AssertionError(f"timed out waiting for {what}; log: {self.log_lines()[-10:]}")


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with FeedServer() as feeds, FakeX(**X_SECRETS) as x:
        yield World(tmp_path, feeds, x)


def counts(doc: dict[str, Any], account: str = "x") -> dict[str, int]:
    acc = next(a for a in doc["accounts"] if a["name"] == account)
    result: dict[str, int] = acc["counts"]
    return result


def ids_by_title(doc: dict[str, Any]) -> dict[str, int]:
    return {r["title"]: r["id"] for r in doc["recent"]}


# -- the sample feed is a demo ---------------------------------------------------------------
def test_the_sample_feed_is_never_live(world: World) -> None:
    demo = {"BOT_DATA_DIR": str(world.data)}
    # no configuration at all: the sample feed, every account in dry run
    check = bot("config", "check", cwd=world.tmp, env=demo)
    assert check.returncode == 0, check.stderr
    assert "live: none" in check.stdout and "the bundled sample feed" in check.stdout
    polled = bot("poll", "--once", cwd=world.tmp, env=demo)
    assert polled.returncode == 0, polled.stderr
    queued = json.loads(bot("status", "--json", cwd=world.tmp, env=demo).stdout)
    assert {a["mode"] for a in queued["accounts"]} == {"dry run"}
    assert counts(queued) == {"pending": 4}

    # credentials for x, still no configuration: refused, naming the fix (no feeds were read)
    for args in (("config", "check"), ("run",)):
        line = assert_clean_failure(bot(*args, cwd=world.tmp, env={**demo, **X_ENV}), 2)
        assert line.startswith("config error: feeds: none configured while x is live")
        assert "`feeds:`" in line and "`feeds: []`" in line
    # a config file with a live account and no feeds: key: the same
    world.cfg.write_text(yaml.safe_dump({"data_dir": str(world.data),
                                         "accounts": [world.x_account()]}), encoding="utf-8")
    assert_clean_failure(world.run("run", live=True), 2)

    # feeds: [] (posting by hand only) on the demo's ledger: the sample articles queued for x
    # in the demo are never sent, by the daemon or by hand
    world.write([world.x_account()], feeds=[])
    check = world.run("config", "check", live=True)
    assert check.returncode == 0 and "live: x" in check.stdout and "0 feeds" in check.stdout
    def settled() -> dict[str, Any] | None:
        doc = world.status(live=True)
        done = set(counts(doc)) <= {"dead", "skipped"} and sum(counts(doc).values()) == 4
        return doc if done else None

    with world.daemon(live=True) as proc:
        doc = world.wait("the sample deliveries refused or skipped", settled, proc)
    assert world.x.calls("POST") == []
    said = [m for m in world.log_lines() if "sample article (demo) is never sent live" in m]
    assert len(said) == 4, world.log_lines()  # each refused (dead) or skipped by the sweep
    dropped = [r for r in doc["recent"] if r["account"] == "x"]
    res = world.run("send", str(dropped[0]["id"]), live=True)  # even asked by hand
    assert res.returncode == 1 and "never sent live" in res.stdout
    assert world.x.calls("POST") == []


# -- dry run, then live --------------------------------------------------------------------------
def test_dry_run_then_live_posts_each_article_once(world: World) -> None:
    for n in (1, 2, 3):
        world.add_item(n, minutes_ago=10 * n)
    world.write([world.x_account()])
    check = world.run("config", "check", live=True)
    assert check.returncode == 0, check.stderr
    assert "(live: x; dry run: none), 1 feed configured, none is the bundled sample" in (
        check.stdout)

    # 1. no credentials: the daemon previews the three articles and sends nothing
    with world.daemon(live=False) as proc:
        world.wait_counts(proc, {"previewed": 3})
    assert world.x.requests == []
    # 2. a fourth article is queued with no daemon running, still in dry run
    world.add_item(4, minutes_ago=1)
    assert world.run("poll", "--once").returncode == 0
    assert counts(world.status()) == {"previewed": 3, "pending": 1}

    # 3. credentials added: nothing previewed or queued in dry run is blasted out
    with world.daemon(live=True) as proc:
        doc = world.wait_counts(proc, {"previewed": 4}, live=True)  # the 4th is held too
        assert world.x.calls("POST") == []
        waiting = {w["title"]: w["id"] for w in doc["waiting_for_decision"]}
        assert set(waiting) == {f"Night train story number {n}" for n in (1, 2, 3, 4)}
        assert all(w["skip_after"] for w in doc["waiting_for_decision"])
        x_doc = next(a for a in doc["accounts"] if a["name"] == "x")
        assert x_doc["mode"] == "live" and x_doc["waiting_for_decision"] == 4

        # an article published now that the account is live goes out by itself
        world.add_item(5, minutes_ago=0)
        world.wait_counts(proc, {"previewed": 4, "sent": 1}, live=True)
        # one command sends one preview, live
        sent = world.run("send", str(waiting["Night train story number 1"]), live=True)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        assert re.search(r"^x \(twitter\): sent · https://x\.com/", sent.stdout, re.M)
        # `bot post` of a previewed article posts it live
        page = world.tmp / "story2.md"
        page.write_text(f"---\ntitle: Night train story number 2\nurl: "
                        f"{world.feeds.url('/articles/2')}\n---\n{TEXT}\n", encoding="utf-8")
        posted = world.run("post", str(page), live=True)
        assert posted.returncode == 0, posted.stdout + posted.stderr
        # `bot retry` hands one to the daemon, which sends it at the next slot
        assert world.run("retry", str(waiting["Night train story number 3"]),
                         live=True).returncode == 0
        world.wait_counts(proc, {"previewed": 1, "sent": 4}, live=True)
        assert world.run("skip", str(waiting["Night train story number 4"]),
                         live=True).returncode == 0
    links = world.x_links()
    assert sorted(links) == sorted(world.feeds.url(f"/articles/{n}") for n in (1, 2, 3, 5))
    said = world.log_lines()
    assert any("wait for a decision" in m for m in said)
    assert any("queued while" in m and "in dry run" in m for m in said)  # the 4th was held

    # nothing posts twice: the same `bot post` again, a daemon restart
    again = world.run("post", str(page), live=True)
    assert again.returncode == 0 and "already posted, not sent again" in again.stdout
    with world.daemon(live=True):
        time.sleep(4)
    assert len(world.x.posts) == 4
    final = world.status(live=True)
    assert counts(final) == {"sent": 4, "skipped": 1}
    assert [a["waiting_for_decision"] for a in final["accounts"]] == [0]


# -- status tells the truth ------------------------------------------------------------------------
def test_status_says_when_and_why_in_the_accounts_zone(world: World) -> None:
    for n in (1, 2):
        world.add_item(n, minutes_ago=10 * n)
    ist = ZoneInfo("Europe/Istanbul")
    opens = (datetime.now(ist) + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    window = {"start": opens.strftime("%H:%M"),
              "end": (opens + timedelta(hours=1)).strftime("%H:%M")}
    world.write([
        world.x_account(name="win", timezone="Europe/Istanbul", window=window),
        world.x_account(name="spaced", timezone="America/New_York", min_spacing_minutes=60),
    ])
    with world.daemon(live=False) as proc:
        world.wait_counts(proc, {"previewed": 1, "pending": 1}, account="spaced")
        world.wait("the wait logged", lambda: True if sum(
            "next post at" in m for m in world.log_lines()) >= 2 else None, proc)
    said = world.log_lines()
    hhmm = opens.strftime("%H:%M")
    assert any(re.fullmatch(rf"win: next post at (\d{{4}}-\d\d-\d\d )?{hhmm} Europe/Istanbul "
                            r"\(posting window\)", m) for m in said), said
    assert any(re.fullmatch(r"spaced: next post at (\d{4}-\d\d-\d\d )?\d\d:\d\d "
                            r"America/New_York \(spacing\)", m) for m in said), said

    doc = world.status()
    acc = {a["name"]: a for a in doc["accounts"]}
    assert acc["win"]["next_due_reason"] == "posting window"
    assert datetime.fromisoformat(acc["win"]["next_due"]) == opens
    assert acc["win"]["next_due"].endswith("+03:00")  # in the account's zone
    assert acc["win"]["counts"] == {"pending": 2}
    assert acc["spaced"]["next_due_reason"] == "spacing"
    due = datetime.fromisoformat(acc["spaced"]["next_due"])
    assert due.utcoffset() == due.astimezone(ZoneInfo("America/New_York")).utcoffset()
    assert timedelta(minutes=55) < due - datetime.now(UTC) <= timedelta(minutes=60)
    assert acc["spaced"]["last_sent"] is None  # a preview is not a post
    titles = {r["title"] for r in doc["recent"]}
    assert titles == {"Night train story number 1", "Night train story number 2"}

    text = world.run("status", COLUMNS="250")
    assert text.returncode == 0, text.stderr
    assert "Europe/Istanbul (posting window)" in text.stdout
    assert "America/New_York (spacing)" in text.stdout
    assert "Night train story number 1" in text.stdout


# -- bot post: --force history, and a failure says how to retry ---------------------------------
def test_force_keeps_the_earlier_url_and_a_failed_post_says_how_to_retry(world: World) -> None:
    world.write([world.x_account()], feeds=[])
    page = world.tmp / "story.md"
    page.write_text(f"---\ntitle: Night train story number 7\nurl: "
                    f"{world.feeds.url('/articles/7')}\n---\n{TEXT}\n", encoding="utf-8")
    world.x.configure(duplicates=False)

    first = world.run("post", str(page), "--json", live=True)
    assert first.returncode == 0, first.stderr
    (one,) = json.loads(first.stdout)["posts"]
    forced = world.run("post", str(page), "--force", live=True)
    assert forced.returncode == 0, forced.stderr
    assert f"(posted before: {one['url']}, kept in its history)" in forced.stdout
    assert len(world.x.posts) == 2
    (row,) = [r for r in world.status(live=True)["recent"] if r["id"] == one["delivery_id"]]
    assert row["earlier_urls"] == [one["url"]] and row["remote_url"] != one["url"]
    assert row["title"] == "Night train story number 7"
    text = world.run("status", live=True, COLUMNS="250")
    assert f"(before: {one['url']})" in text.stdout

    other = world.tmp / "story8.md"
    other.write_text(f"---\ntitle: Night train story number 8\nurl: "
                     f"{world.feeds.url('/articles/8')}\n---\n{TEXT}\n", encoding="utf-8")
    world.x.expect(503, {"title": "Service Unavailable"}, method="POST", path="/2/tweets")
    failed = world.run("post", str(other), "--json", live=True)
    assert failed.returncode == 1
    (post,) = json.loads(failed.stdout)["posts"]
    delivery = post["delivery_id"]
    assert post["status"] == "retry"
    assert post["retry_hint"] == (
        f"this command does not retry: a running daemon (`bot run`) retries delivery {delivery} "
        f"by itself, or try again now with `bot send {delivery}`")
    sent = world.run("send", str(delivery), "--json", live=True)
    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert json.loads(sent.stdout)["status"] == "sent"
    assert len(world.x.posts) == 3


def test_x_signatures_cover_the_api_base_actually_called(world: World) -> None:
    world.write([world.x_account()], feeds=[])
    ok = world.run("accounts", "check", "--json", live=True)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert world.x.calls("GET", "/2/users/me")  # signed, with a query string, and accepted
    wrong = {**X_ENV, "BOT_CREDENTIALS__X__CONSUMER_SECRET": "not-the-app-secret-at-all"}
    refused = bot("--config", str(world.cfg), "accounts", "check", env=wrong, cwd=world.tmp)
    assert refused.returncode == 1 and "401" in refused.stdout + refused.stderr
