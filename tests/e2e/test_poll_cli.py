"""`bot poll --once` and `bot feeds` end to end: the real command against a loopback feed server.

Every account here has no credentials, so it is a dry-run account: polling queues deliveries
for it exactly as for a live one, and nothing ever leaves the machine.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli_helpers import ROOT, assert_clean_failure, bot, bot_json
from tests.fakes.feedserver import FeedServer, Item

ACCOUNTS = ("x", "fb")


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def article(n: int, srv: FeedServer, *, hours_ago: float | None = None) -> Item:
    """A feed entry with full content (no page fetch) published ``hours_ago`` (default n)."""
    age = n if hours_ago is None else hours_ago
    return Item(
        f"River report number {n}",
        link=srv.url(f"/articles/{n}"),
        guid=f"urn:test:{n}",
        content=(
            f"<p>Report {n} says the river rose by a metre overnight in the old town.</p>"
            "<p>Volunteers filled sandbags along the quay until the early morning.</p>"
            "<p>The council will decide on new flood walls next month.</p>"
        ),
        categories=["Floods"],
        published=datetime.now(UTC) - timedelta(hours=age),
    )


def write_config(tmp_path: Path, feeds: dict[str, str], **feed_options: Any) -> Path:
    """Two dry-run accounts and the given feeds (name -> URL); the ledger in tmp_path/data."""
    lines = [f"data_dir: {tmp_path / 'data'}", "accounts:"]
    lines += ["  - {name: x, platform: twitter}", "  - {name: fb, platform: facebook}"]
    lines.append("feeds:")
    for name, url in feeds.items():
        opts = {"name": name, "url": url, "jitter_seconds": 0, **feed_options}
        lines.append("  - " + json.dumps(opts))  # JSON is YAML
    cfg = tmp_path / "bot.yaml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def status(cfg: Path) -> dict[str, Any]:
    return bot_json("--config", str(cfg), "status", "--limit", "100")


def counts(doc: dict[str, Any]) -> dict[str, dict[str, int]]:
    """account -> status -> deliveries, from a `bot status --json` document."""
    return {a["name"]: a["counts"] for a in doc["accounts"]}


def queued_articles(doc: dict[str, Any]) -> set[str]:
    return {r["article"] for r in doc["recent"]}


def feed_rows(cfg: Path) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in bot_json("--config", str(cfg), "feeds")["feeds"]}


def poll(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return bot("--config", str(cfg), "poll", "--once", *args)


def line_of(res: subprocess.CompletedProcess[str], feed: str) -> str:
    found = [ln for ln in res.stdout.splitlines() if ln.startswith(f"{feed}: ")]
    assert len(found) == 1, res.stdout
    return found[0]


# -- first run, later runs, state across processes ---------------------------------------


def test_first_poll_records_existing_items_and_queues_none(srv: FeedServer, tmp_path: Path) -> None:
    srv.add_feed("news", [article(n, srv) for n in (1, 2, 3)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")})

    res = poll(cfg)

    assert res.returncode == 0, res.stderr
    line = line_of(res, "news")
    assert "3 items" in line and "0 queued" in line and "3 recorded (first run)" in line
    assert counts(status(cfg)) == {"x": {}, "fb": {}}  # nothing waits to be posted
    row = feed_rows(cfg)["news"]
    assert row["last_success"] is not None and row["consecutive_errors"] == 0 and row["healthy"]


def test_state_survives_between_processes(srv: FeedServer, tmp_path: Path) -> None:
    feed = srv.add_feed("news", [article(n, srv) for n in (1, 2, 3)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")})
    assert poll(cfg).returncode == 0

    # A new process sends the stored validators and the unchanged feed costs one 304.
    res = poll(cfg)
    assert res.returncode == 0, res.stderr
    assert line_of(res, "news") == "news: not modified"
    first, second = srv.requests("/news.xml")
    assert "if-none-match" not in first
    assert second.get("if-none-match"), "the stored ETag was not sent back"

    # One item appears: the three known ones are recognised as duplicates, only it is queued.
    feed.items.insert(0, article(0, srv, hours_ago=0.1))
    res = poll(cfg)
    assert res.returncode == 0, res.stderr
    line = line_of(res, "news")
    assert "4 items" in line and "1 new" in line and "1 queued" in line, line
    assert "first run" not in line
    doc = status(cfg)
    assert counts(doc) == {"x": {"pending": 1}, "fb": {"pending": 1}}
    assert queued_articles(doc) == {srv.url("/articles/0")}
    assert {r["account"] for r in doc["recent"]} == set(ACCOUNTS)

    # And once more: the new item is now known too; nothing is queued twice.
    res = poll(cfg)
    assert line_of(res, "news") == "news: not modified"
    assert counts(status(cfg)) == {"x": {"pending": 1}, "fb": {"pending": 1}}


def test_backfill_queues_the_newest_items_on_the_first_run(
    srv: FeedServer, tmp_path: Path
) -> None:
    # Out of date order in the document: "newest" must come from the dates, not the position.
    items = [article(3, srv), article(1, srv), article(4, srv), article(2, srv)]
    srv.add_feed("news", items)
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")})

    res = poll(cfg, "--backfill", "2")

    assert res.returncode == 0, res.stderr
    line = line_of(res, "news")
    assert "2 queued" in line and "2 recorded (first run)" in line, line
    doc = status(cfg)
    assert counts(doc) == {"x": {"pending": 2}, "fb": {"pending": 2}}
    assert queued_articles(doc) == {srv.url("/articles/1"), srv.url("/articles/2")}


def test_backfill_on_a_known_feed_queues_its_newest_items_once(
    srv: FeedServer, tmp_path: Path
) -> None:
    srv.add_feed("news", [article(n, srv) for n in (1, 2, 3)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")})
    assert poll(cfg).returncode == 0

    res = poll(cfg, "--backfill", "2")  # a backfill ignores the 304 shortcut
    assert res.returncode == 0, res.stderr
    assert "2 queued" in line_of(res, "news")
    doc = status(cfg)
    assert counts(doc) == {"x": {"pending": 2}, "fb": {"pending": 2}}
    assert queued_articles(doc) == {srv.url("/articles/1"), srv.url("/articles/2")}

    # Asking again never makes a second delivery for the same (article, account).
    assert poll(cfg, "--backfill", "2").returncode == 0
    assert counts(status(cfg)) == {"x": {"pending": 2}, "fb": {"pending": 2}}


def test_a_repeated_backfill_reports_nothing_queued(srv: FeedServer, tmp_path: Path) -> None:
    srv.add_feed("news", [article(n, srv) for n in (1, 2, 3)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")}, backfill=2)
    assert "2 queued" in line_of(poll(cfg), "news")  # the feed's own backfill, first run

    res = poll(cfg, "--backfill", "2")

    assert res.returncode == 0, res.stderr
    assert "0 queued" in line_of(res, "news")


# -- choosing feeds ------------------------------------------------------------------------


def test_feed_option_polls_only_that_feed(srv: FeedServer, tmp_path: Path) -> None:
    srv.add_feed("news", [article(1, srv)])
    srv.add_feed("sport", [article(2, srv)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml"), "sport": srv.url("/sport.xml")})

    res = poll(cfg, "--feed", "sport")

    assert res.returncode == 0, res.stderr
    assert [ln.split(":")[0] for ln in res.stdout.splitlines()] == ["sport"]
    assert srv.hits("/sport.xml") == 1 and srv.hits("/news.xml") == 0
    rows = feed_rows(cfg)
    assert rows["sport"]["last_checked"] is not None
    assert rows["news"]["last_checked"] is None


def test_unknown_feed_name_is_one_line_and_exit_2(srv: FeedServer, tmp_path: Path) -> None:
    srv.add_feed("news", [article(1, srv)])
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml")})

    line = assert_clean_failure(poll(cfg, "--feed", "nope"), 2)

    assert "nope" in line and "news" in line  # names the mistake and what exists
    assert srv.hits("/news.xml") == 0


# -- a broken feed -------------------------------------------------------------------------


def test_feed_error_exits_1_and_shows_in_feeds(srv: FeedServer, tmp_path: Path) -> None:
    srv.add_feed("news", [article(1, srv)])
    srv.serve_html("/broken.xml")  # a web page where the feed should be
    cfg = write_config(tmp_path, {"news": srv.url("/news.xml"), "broken": srv.url("/broken.xml")})

    res = poll(cfg)

    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    assert line_of(res, "broken").startswith("broken: error: ")
    assert "error" not in line_of(res, "news")  # one bad feed does not stop the others
    rows = feed_rows(cfg)
    assert rows["broken"]["consecutive_errors"] == 1
    assert rows["broken"]["last_success"] is None and not rows["broken"]["healthy"]
    assert "html" in (rows["broken"]["last_error"] or "").lower()
    assert rows["news"]["healthy"] and rows["news"]["consecutive_errors"] == 0

    assert poll(cfg).returncode == 1
    assert feed_rows(cfg)["broken"]["consecutive_errors"] == 2

    text = bot("--config", str(cfg), "feeds")  # the table a human reads
    assert text.returncode == 0, text.stderr
    broken = [ln for ln in text.stdout.splitlines() if "broken" in ln]
    assert broken and "never" in broken[0] and " 2 " in broken[0], text.stdout


# -- the progress bar ------------------------------------------------------------------------


def _many_feeds(srv: FeedServer, tmp_path: Path, n: int = 8) -> Path:
    feeds: dict[str, str] = {}
    for i in range(n):
        doc = srv.add_feed(f"f{i}", [article(i, srv)])
        # slow answers keep the bar on screen long enough to be drawn more than once
        srv.serve(f"/f{i}.xml", doc.render(), content_type=doc.content_type, delay=0.2)
        feeds[f"f{i}"] = srv.url(f"/f{i}.xml")
    cfg = write_config(tmp_path, feeds)
    text = cfg.read_text(encoding="utf-8") + "http: {concurrency: 2}\n"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def _run_with_tty_stderr(cfg: Path) -> tuple[int, str, bytes]:
    """Run `bot poll --once` with stderr (and stdin) on a pseudo-terminal, stdout on a pipe."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(PYTHONPATH=str(ROOT), BOT_SECRETS_DIRS="/nonexistent", COLUMNS="100",
               TERM="xterm-256color")
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(cfg), "poll", "--once"],
        stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=env, cwd=ROOT,
    )
    os.close(slave)
    tty = b""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not chunk:
                    break
                tty += chunk
            elif proc.poll() is not None:
                break
        assert proc.stdout is not None
        out = proc.stdout.read().decode("utf-8", "replace")
        code = proc.wait(timeout=30)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return code, out, tty


def test_progress_bar_on_a_terminal_keeps_stdout_clean(srv: FeedServer, tmp_path: Path) -> None:
    cfg = _many_feeds(srv, tmp_path)

    code, out, tty = _run_with_tty_stderr(cfg)

    assert code == 0, (out, tty[-2000:])
    assert b"polling feeds" in tty, tty[-2000:]  # the bar was drawn on the terminal
    assert b"first run" in tty  # log lines reach the terminal too
    # stdout (a pipe) carries exactly the report lines: no bar, no escape codes, no blanks
    lines = out.splitlines()
    assert sorted(ln.split(":")[0] for ln in lines) == sorted(f"f{i}" for i in range(8)), out
    assert "\x1b" not in out and "polling feeds" not in out


def test_no_progress_bar_without_a_terminal(srv: FeedServer, tmp_path: Path) -> None:
    cfg = _many_feeds(srv, tmp_path)

    res = poll(cfg)

    assert res.returncode == 0, res.stderr
    for stream in (res.stdout, res.stderr):
        assert "polling feeds" not in stream and "\x1b" not in stream and "━" not in stream
    assert len(res.stdout.splitlines()) == 8
    # off a terminal the log is JSON lines (log_format auto): every stderr line parses
    for ln in res.stderr.splitlines():
        if ln.strip():
            assert isinstance(json.loads(ln), dict), ln
