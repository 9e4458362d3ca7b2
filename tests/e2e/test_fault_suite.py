"""Never twice, never lost: daemons killed at random while the platforms fail a third of calls.

Fake X, Facebook, YouTube (a comment account and a posts-API account), Bluesky and Mastodon
and a feed server run as processes; so do the daemons. While a stream of articles is published
into the feed, the harness SIGKILLs a daemon every few seconds and restarts it, the daemons
end themselves between the platform call and the commit (failpoint ``after_publish``), and
the fakes answer about 30 % of calls with 500s, 429s (with reset headers), connection resets,
timeouts and "ghosts" (the post is made, the answer is lost). The fakes page their lists like the
platforms, and there is a backlog: a backfill of 100 articles lands at once (retries must
keep their place ahead of it), and after each of the first ghosts on each platform
colleagues post 120 times, so the look-up before that retry reads back past more than 100
newer posts. Then faults stop, the daemons drain the queue and stop, and the fakes' own
records must hold every (article, account) exactly once, whatever others posted; ``bot
status --json`` must agree. One daemon on SQLite; three replicas on PostgreSQL.

The counts are printed at the end of each run (``-s`` not needed). ``FAULT_SEED`` replays
a run's choices of the harness (the daemons' timing is not reproducible);
``FAULT_TIME_SCALE=3`` gives the phases three times as long on a machine much busier than CI.

The fast tests at the top pin the pieces the long runs rely on, each failure mode once:
the failpoints themselves, a restart after ``kill -9`` on SQLite, a poll killed between an
article and its deliveries, and a lost answer that must not become a second post.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.adapters.registry import get_adapter
from bot.clock import fixed
from bot.config import Account, load_settings
from bot.dispatch import dispatch_account
from bot.errors import StoreError
from bot.failpoints import parse
from bot.models import Article
from bot.pipeline import prepare_article, select_accounts
from bot.store import DeliveryStatus, Store
from bot.store.schema import DaemonLock
from tests.e2e.harness import (
    FAILPOINT_EXIT,
    PLATFORMS,
    POST_PATHS,
    ROOT,
    YT_CREDS,
    FakePlatform,
    FeedSite,
    Fleet,
    bot_status,
    child_env,
    harnessed_fake,
    lookup_figures,
    make_article,
    post_link,
    stop_all,
    write_config,
)
from tests.fakes import FakeYouTube
from tests.fakes.feedserver import FeedServer

ARTICLES = 200
BATCH = 10
BACKFILL_AT, BACKFILL = 50, 100
"""After this many articles, this many land at once (a backfill: a backlog of deliveries)."""
GHOST_BACKLOG, GHOST_BACKLOGS = 120, 2
"""Posts by others right after each of the first ghosts on each platform (the 21st to 23rd
posts are always ghosts, whatever the random faults)."""
BEHIND = 100
"""Each platform must find at least one post of a retry behind this many newer posts."""
MIN_KILLS = 20
FAIL_RATE = 0.3
FAILPOINTS = "after_publish=0.05"
LEASE_SECONDS = 4.0
KILL_EVERY = (1.5, 4.5)
"""Seconds between two SIGKILLs (uniform)."""
CHAOS_UNTIL_SENT = 0.75
"""Faults and kills go on until this share of the deliveries is sent..."""
TIME_SCALE = float(os.environ.get("FAULT_TIME_SCALE") or 1)
"""Stretches the phases' time limits on a machine busier than CI (e.g. 3 under a load of
four times the cores); CI runs at 1."""
CHAOS_MAX_SECONDS = 120.0 * TIME_SCALE
"""...or for this long at most."""
DRAIN_TIMEOUT = 150.0 * TIME_SCALE


# --------------------------------------------------------------------------- fast pieces
def test_failpoint_spec_is_parsed_and_checked() -> None:
    assert parse("after_publish=0.05, after_article=1,") == {"after_publish": 0.05,
                                                             "after_article": 1.0}
    assert parse("") == {}
    for bad in ("after_publish", "after_publish=often", "after_publish=2", "=0.5"):
        with pytest.raises(ValueError, match="BOT_FAILPOINTS"):
            parse(bad)


@pytest.mark.parametrize(("spec", "code"), [
    ("after_publish=1", FAILPOINT_EXIT), ("after_publish=0", 0), ("other=1", 0), (None, 0),
    ("after_publish=nonsense", 0),  # a typo is logged, never a crash
])
def test_a_failpoint_ends_the_process_like_kill_9(spec: str | None, code: int) -> None:
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('cleanup ran'))\n"
              "from bot.failpoints import failpoint\n"
              "failpoint('after_publish')\n"
              "print('survived')\n")
    env = child_env(**({"BOT_FAILPOINTS": spec} if spec is not None else {}))
    res = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == code, res.stderr
    if code == FAILPOINT_EXIT:
        assert res.stdout == ""  # no atexit handler, nothing after the failpoint
    else:
        assert res.stdout.split() == ["survived", "cleanup", "ran"]


def test_sqlite_daemon_lock_of_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.upgrade()
    try:
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        now = datetime.now(UTC)
        with store._session("plant a lock") as s:  # as a daemon killed by -9 leaves it
            s.add(DaemonLock(id=1, owner="killed", pid=dead.pid, host=socket.gethostname(),
                             acquired_at=now, heartbeat_at=now))
        store.acquire_daemon_lock("restarted", now=now + timedelta(seconds=1))
        alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        try:
            with store._session("plant a live lock") as s:
                lock = s.get_one(DaemonLock, 1)
                lock.owner, lock.pid = "running", alive.pid
            with pytest.raises(StoreError, match="another bot daemon is running"):
                store.acquire_daemon_lock("second", now=now + timedelta(seconds=2))
        finally:
            alive.kill()
            alive.wait()
    finally:
        store.close()


def test_a_poll_killed_after_recording_an_article_queues_it_next_time(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.add_feed("news", [make_article(n, "killed-poll", random.Random(n)) for n in range(3)])
        config = tmp_path / "bot.yaml"
        config.write_text(yaml.safe_dump({
            "data_dir": str(tmp_path / "data"),
            "feeds": [{"name": "news", "url": srv.url("/news.xml"), "backfill": 10,
                       "fetch_page": "never"}],
        }), encoding="utf-8")

        def poll(**env: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "bot", "poll", "--once"], cwd=tmp_path,
                                  env=child_env(BOT_CONFIG=str(config), **env),
                                  capture_output=True, text=True, timeout=120)

        assert poll(BOT_FAILPOINTS="after_article=1").returncode == FAILPOINT_EXIT
        store = Store(f"sqlite:///{tmp_path / 'data' / 'bot.db'}")
        try:
            assert store.counts() == {}  # one article recorded, no delivery yet
            assert len(store.list_deliveries()) == 0
            res = poll()
            assert res.returncode == 0, res.stderr
            counts = store.counts()
        finally:
            store.close()
    # the default accounts (x, facebook, youtube in dry run) each owe all three articles
    assert counts == {a: {"pending": 3} for a in ("x", "facebook", "youtube")}


def test_a_lost_answer_is_looked_up_before_sending_again(tmp_path: Path) -> None:
    """YouTube has no duplicate check of its own: a retry after a ghost must look first."""
    with FakeYouTube() as yt:
        s = load_settings(
            accounts=[{"name": "yt", "platform": "youtube", "mode": "comment",
                       "api_base": yt.url, "min_spacing_minutes": 0}],
            credentials={"yt": YT_CREDS}, feeds=[], http={"timeout_seconds": 2},
            scheduler={"backoff_base_seconds": 0.2, "backoff_max_seconds": 1},
        )
        store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
        store.upgrade()
        try:
            link = "https://news.example.org/ghost/1"
            art = Article(title="Harbour plan approved", url=link,
                          text="The council approved the harbour plan on Tuesday. "
                               "Work starts next spring and ends within a year.")
            post = prepare_article(art, s, select_accounts(s)).posts[0]
            now = datetime.now(UTC)
            store.add_article(id=link, feed=None, guid=None, url=link, title=art.title,
                              content_hash=art.content_hash, published_at=None, payload={},
                              now=now)
            store.add_delivery(article_id=link, account="yt", platform="youtube",
                               text=post.text, link=link,
                               payload={"post": post.model_dump(mode="json")},
                               next_attempt_at=now, now=now)
            yt.expect(action="ghost", method="POST", path="/commentThreads$")
            (first,) = dispatch_account(s, store, s.account("yt"), owner="t")
            assert first.status == "retry" and len(yt.posts) == 1  # made, answer lost
            (row,) = store.list_deliveries()
            (second,) = dispatch_account(s, store, s.account("yt"), owner="t",
                                         clock=fixed(row.next_attempt_at + timedelta(seconds=1)))
            assert second.status == "already_sent"
            assert len(yt.posts) == 1 and len(yt.calls("POST", "/commentThreads$")) == 1
            (row,) = store.list_deliveries()
            assert row.status == DeliveryStatus.SENT and row.remote_id == yt.posts[0]["id"]
        finally:
            store.close()


def test_youtube_lookup_pages_back_to_a_comment_older_than_the_first_page() -> None:
    """A busy channel: the comment to find is not among the newest 100 threads."""
    fake = harnessed_fake("youtube")().start()
    try:
        start = time.time() - 300
        for n in range(150):  # oldest first, one a second
            stamp = datetime.fromtimestamp(start + n, UTC)
            fake.add_post({"id": f"Ugx{n:06d}fake", "videoId": "vidNewest01",
                           "text": f"Post {n} https://news.example.org/paged/{n}",
                           "publishedAt": stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
                           "created_ts": start + n, "author": fake.channel_id})
        acc = Account(name="yt", platform="youtube", mode="comment", api_base=fake.url)
        adapter = get_adapter(acc, load_settings(accounts=[acc.model_dump()], feeds=[],
                                                 credentials={"yt": YT_CREDS}))
        since = datetime.fromtimestamp(start, UTC)
        found = adapter.find_existing("https://news.example.org/paged/3", since=since)
        assert found is not None and found.remote_id == "Ugx000003fake"
        assert len(fake.calls("GET", "/commentThreads$")) == 2
        # what is older than `since` is never read past the page that reaches it
        late = datetime.fromtimestamp(start + 120, UTC)
        assert adapter.find_existing("https://news.example.org/paged/3", since=late) is None
        assert len(fake.calls("GET", "/commentThreads$")) == 3
    finally:
        fake.stop()


# --------------------------------------------------------------------------- the long runs
@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for one run, dropped afterwards."""
    base = os.environ.get("BOT_TEST_POSTGRES_URL")
    if not base:
        pytest.skip("the PostgreSQL run needs BOT_TEST_POSTGRES_URL (run scripts/start-postgres)")
    import psycopg
    from sqlalchemy import make_url

    url = make_url(base)
    name = "fault_" + uuid.uuid4().hex[:10]
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(request: pytest.FixtureRequest, title: str, lines: list[str]) -> None:
    """Write the counts to the terminal, past output capture (the lead quotes them)."""
    text = "\n".join(["", f"== fault suite: {title}", *[f"   {ln}" for ln in lines]])
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and tr is not None:
        with capture.global_and_fixture_disabled():
            tr.write_line(text)
    else:  # pragma: no cover - plugins switched off
        print(text)


def _wait_drained(store: Store, accounts: list[str], fleet: Fleet, timeout: float
                  ) -> dict[str, dict[str, int]]:
    """Poll the ledger until every delivery of every account is sent (or time runs out)."""
    deadline = time.monotonic() + timeout
    counts: dict[str, dict[str, int]] = {}
    while time.monotonic() < deadline:
        fleet.reap()
        with contextlib.suppress(StoreError):  # busy for a moment: ask again
            counts = store.counts()
        if all(counts.get(a, {}) == {"sent": ARTICLES} for a in accounts):
            return counts
        time.sleep(1.0)
    return counts


def _wait_first_poll(store: Store, fleet: Fleet, timeout: float = 60.0) -> None:
    """Until the daemons have polled the still empty feed once: a first poll records what
    the feed holds without posting it, so articles published before it would never be sent
    (on a busy machine a daemon can take longer to start than the first batch takes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fleet.reap()
        with contextlib.suppress(StoreError):  # no schema yet, or a daemon holds the lock
            feed = store.get_feed("news")
            if feed is not None and feed.initialized:
                return
        time.sleep(0.2)
    raise AssertionError(f"no daemon polled the feed within {timeout:g} s:\n{fleet.tail()}")


def run_fault_suite(tmp_path: Path, request: pytest.FixtureRequest, *, title: str,
                    database_url: str | None, daemons: int) -> None:
    seed = int(os.environ.get("FAULT_SEED") or random.randrange(1_000_000))
    rng = random.Random(seed)
    run = f"run{seed}"
    data_dir = tmp_path / "data"
    db_url = database_url or f"sqlite:///{data_dir / 'bot.db'}"

    fakes: dict[str, FakePlatform] = {}
    site: FeedSite | None = None
    fleet: Fleet | None = None
    store: Store | None = None
    try:
        for i, name in enumerate(PLATFORMS):
            fakes[name] = FakePlatform(name, tmp_path, fail_rate=FAIL_RATE, seed=seed + i,
                                       options={"others_after_ghost": GHOST_BACKLOG,
                                                "ghost_backlogs": GHOST_BACKLOGS})
            # besides the random ones, a few sure ghosts on every platform: each gets a backlog
            fakes[name].configure(script=[{"action": "ghost", "method": "POST",
                                           "path": POST_PATHS[name], "after": 20, "times": 3}])
        site = FeedSite(tmp_path)
        config = write_config(tmp_path / "bot.yaml", data_dir=data_dir, database_url=database_url,
                              feed_url=site.url, fakes=fakes, lease_seconds=LEASE_SECONDS)
        fleet = Fleet(daemons, config, tmp_path, failpoints=FAILPOINTS)
        fleet.start()

        # -- chaos: publish in batches, kill a daemon every few seconds, until the bulk of
        # the work has been done under fire (or the phase has lasted long enough)
        store = Store(db_url)
        _wait_first_poll(store, fleet)
        started = time.monotonic()
        published, sent = 0, 0
        next_batch = started + 2.0
        next_kill = started + rng.uniform(*KILL_EVERY)
        next_count = started
        while (published < ARTICLES or fleet.tally.kills < MIN_KILLS
               or (sent < CHAOS_UNTIL_SENT * ARTICLES * len(PLATFORMS)
                   and time.monotonic() - started < CHAOS_MAX_SECONDS)):
            now = time.monotonic()
            fleet.reap()
            if published < ARTICLES and now >= next_batch:
                size = min(BACKFILL if published == BACKFILL_AT else BATCH, ARTICLES - published)
                site.publish([make_article(published + k, run, rng) for k in range(size)])
                published += size
                next_batch = now + rng.uniform(1.0, 4.0)
            if now >= next_kill and fleet.kill_one(rng):
                next_kill = now + rng.uniform(*KILL_EVERY)
            if now >= next_count:
                with contextlib.suppress(StoreError):  # a daemon may hold the write lock
                    sent = sum(c.get("sent", 0) for c in store.counts().values())
                next_count = now + 1.0
            assert now - started < CHAOS_MAX_SECONDS + 60, f"chaos too long: {fleet.tally}"
            time.sleep(0.05)
        chaos_seconds = time.monotonic() - started

        # -- drain: no more faults; a last crash of everyone, then clean daemons -------------
        injected: Counter[str] = Counter()
        for fake in fakes.values():
            fake.configure(fail_rate=0)
            injected += fake.injected()
        fleet.kill_all()
        time.sleep(LEASE_SECONDS + 0.5)  # every lease left behind has run out
        fleet.restart_all(failpoints=None)
        accounts = list(PLATFORMS)
        counts = _wait_drained(store, accounts, fleet, DRAIN_TIMEOUT)
        drain_seconds = time.monotonic() - started - chaos_seconds
        stop_codes = fleet.stop()

        # -- what the platforms hold ------------------------------------------------------
        expected = {it.link for it in site.items}
        per_platform: dict[str, Counter[str]] = {}
        remote_ids: dict[tuple[str, str], list[str]] = {}
        by_others: dict[str, int] = {}
        for name, fake in fakes.items():
            seen: Counter[str] = Counter()
            held = fake.posts()
            ours = [post for post in held if not post.get("by_others")]
            by_others[name] = len(held) - len(ours)
            for post in ours:
                link = post_link(name, post)
                assert link is not None, f"{name}: a post without the article link: {post}"
                seen[link] += 1
                remote_ids.setdefault((name, link), []).append(str(post["id"]))
            per_platform[name] = seen
        duplicates = {name: {k: n for k, n in seen.items() if n > 1}
                      for name, seen in per_platform.items()}
        missing = {name: sorted(expected - set(seen)) for name, seen in per_platform.items()}
        strangers = {name: sorted(set(seen) - expected) for name, seen in per_platform.items()}
        n_dup = sum(n - 1 for d in duplicates.values() for n in d.values())
        n_missing = sum(len(m) for m in missing.values())
        posts = sum(sum(seen.values()) for seen in per_platform.values())

        logs = fleet.logs()
        found_after_crash = sum("found on the platform after a crash" in ln.get("msg", "")
                                for ln in logs)
        already = sum("already on the platform" in ln.get("msg", "") for ln in logs)
        lookups = lookup_figures(logs, BEHIND)
        tally = fleet.tally
        summary = {
            "backend": title, "seed": seed, "daemons": daemons,
            "articles": published, "accounts": len(accounts), "posts": posts,
            "duplicates": n_dup, "missing": n_missing,
            "kills (SIGKILL)": tally.kills,
            "kills between publish and commit (failpoint exit 137)": tally.failpoint_exits,
            "daemon starts": tally.starts, "other exits": tally.other_exits,
            "injected faults": dict(sorted(injected.items())),
            "injected total": sum(injected.values()),
            "reconciled as found on the platform after a crash": found_after_crash,
            "platform said already posted": already,
            "sent when the faults stopped": sent,
            "posts by others (backlogs after ghosts)": by_others,
            **{f"look-ups on {a}": fig for a, fig in sorted(lookups.items())},
            "posts returned by list calls (X bills $0.005 each)": {
                name: fake.items_listed() for name, fake in fakes.items()},
            "spend in the ledger (posts, posts read, USD)": {
                t.account: (t.posts, t.reads, t.micro_usd / 1e6)
                for t in store.spend_totals(datetime(2000, 1, 1, tzinfo=UTC)).values()},
            "chaos seconds": round(chaos_seconds, 1), "drain seconds": round(drain_seconds, 1),
        }
        (tmp_path / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
        _report(request, title, [f"{k}: {v}" for k, v in summary.items()])

        # -- the promises -----------------------------------------------------------------
        problems = {"duplicates": duplicates, "missing": missing, "strangers": strangers}
        assert n_dup == 0 and n_missing == 0 and not any(strangers.values()), (
            f"{json.dumps(problems, indent=1)}\nledger: {counts}\n{fleet.tail()}")
        assert published == ARTICLES and posts == ARTICLES * len(accounts)
        assert counts == {a: {"sent": ARTICLES} for a in accounts}, fleet.tail()
        assert tally.kills >= MIN_KILLS and tally.failpoint_exits >= 1, tally
        assert tally.other_exits == [], f"daemons ended unexpectedly: {fleet.tail()}"
        assert stop_codes == [0] * daemons, stop_codes
        assert sum(injected.values()) > 0 and set(injected) >= {"500", "429", "reset",
                                                                 "timeout", "ghost"}, injected
        # every platform found a post of a retry behind a backlog of 100+ newer posts
        assert all(lookups.get(a, {}).get("found behind >= backlog", 0) >= 1
                   for a in accounts), lookups

        # `bot status --json` tells the same story as the platforms
        doc = bot_status(config, tmp_path)
        assert {a["name"]: a["counts"] for a in doc["accounts"]} == {
            a: {"sent": ARTICLES} for a in accounts}
        assert doc["attention"] == []
        # and the ledger's remote ids are the platforms' ids of those very posts
        rows = store.list_deliveries(limit=ARTICLES * len(accounts) + 10)
        assert len(rows) == ARTICLES * len(accounts)
        wrong = [(r.id, r.account, r.link, r.remote_id) for r in rows
                 if r.status != DeliveryStatus.SENT
                 or (r.remote_id is not None
                     and [r.remote_id] != remote_ids.get((r.account, r.link or "")))]
        assert wrong == [], wrong[:20]
    finally:
        if store is not None:
            store.close()
        stop_all(fleet, site, fakes)


@pytest.mark.slow
@pytest.mark.timeout(480 * TIME_SCALE)
def test_sqlite_one_daemon_posts_everything_exactly_once(tmp_path: Path,
                                                        request: pytest.FixtureRequest) -> None:
    run_fault_suite(tmp_path, request, title="SQLite, 1 daemon", database_url=None, daemons=1)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.timeout(480 * TIME_SCALE)
def test_postgres_three_daemons_post_everything_exactly_once(
        tmp_path: Path, request: pytest.FixtureRequest, pg_database: str) -> None:
    run_fault_suite(tmp_path, request, title="PostgreSQL, 3 daemons", database_url=pg_database,
                    daemons=3)
