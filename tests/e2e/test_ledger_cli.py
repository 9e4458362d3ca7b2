"""`bot status`, `retry`, `skip`, `db upgrade` and `config check` end to end.

The ledger is made the way the daemon makes it (a real `bot poll --once --backfill 2` against a
loopback feed server), then states a human would meet (dead, failed, uncertain, awaiting a human,
a paused account) are set with the Store API on the same SQLite file, and the real command is run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.store import Store
from bot.store.migrate import head_revision
from tests.e2e.cli_helpers import assert_clean_failure, bot, bot_json
from tests.fakes.feedserver import FeedServer, Item

ARTICLES = ("http://127.0.0.1/articles/1", "http://127.0.0.1/articles/2")


def write_config(tmp_path: Path, data_dir: Path, feed_url: str, extra: str = "") -> Path:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text(
        f"data_dir: {data_dir}\n"
        "accounts:\n"
        "  - {name: x, platform: twitter}\n"
        "  - {name: fb, platform: facebook}\n"
        "feeds:\n"
        f"  - {{name: news, url: {json.dumps(feed_url)}, jitter_seconds: 0}}\n" + extra,
        encoding="utf-8",
    )
    return cfg


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir whose ledger holds 2 articles x 2 dry-run accounts, all pending."""
    root = tmp_path_factory.mktemp("seed")
    now = datetime.now(UTC)
    body = (
        "<p>The bridge over the river reopened on Monday after two years of repairs.</p>"
        "<p>Traffic in the old town is expected to ease from next week.</p>"
    )
    items = [
        Item(f"Bridge story {n}", link=ARTICLES[n - 1], guid=f"urn:bridge:{n}", content=body,
             published=now - timedelta(hours=n))
        for n in (1, 2)
    ]
    with FeedServer() as srv:
        srv.add_feed("news", items)
        cfg = write_config(root, root / "data", srv.url("/news.xml"))
        res = bot("--config", str(cfg), "poll", "--once", "--backfill", "2")
        assert res.returncode == 0, res.stderr
    return root / "data"


@dataclass
class Ledger:
    cfg: Path
    db_url: str
    ids: dict[tuple[str, str], int]
    """(article URL, account) -> delivery id"""

    def store(self) -> Store:
        return Store(self.db_url)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return bot("--config", str(self.cfg), *args)

    def status(self, *args: str) -> dict[str, Any]:
        return bot_json("--config", str(self.cfg), "status", *args)

    def statuses(self) -> dict[int, str]:
        return {r["id"]: r["status"] for r in self.status("--limit", "100")["recent"]}


@pytest.fixture
def ledger(seeded: Path, tmp_path: Path) -> Iterator[Ledger]:
    data = tmp_path / "data"
    shutil.copytree(seeded, data)
    cfg = write_config(tmp_path, data, "http://127.0.0.1:9/news.xml")  # never fetched here
    url = f"sqlite:///{data / 'bot.db'}"
    with Store(url) as st:
        rows = st.list_deliveries(limit=100)
    assert len(rows) == 4, rows
    yield Ledger(cfg, url, {(r.article_id, r.account): r.id for r in rows})


def now() -> datetime:
    return datetime.now(UTC)


# -- bot status --------------------------------------------------------------------------------


def test_status_json_shows_counts_paused_attention_and_next_due(ledger: Ledger) -> None:
    a1, a2 = ARTICLES
    dead, uncertain = ledger.ids[(a1, "x")], ledger.ids[(a1, "fb")]
    awaiting, waiting = ledger.ids[(a2, "fb")], ledger.ids[(a2, "x")]
    with ledger.store() as st:
        st.mark_dead(dead, error="gave up after 8 attempts", now=now())
        st.mark_uncertain(uncertain, error="crashed while sending", now=now())
        st.mark_awaiting_human(awaiting, now=now())
        st.pause_account("x", reason="the token was revoked", until=None, now=now())

    doc = ledger.status()

    accounts = {a["name"]: a for a in doc["accounts"]}
    assert accounts["x"]["counts"] == {"dead": 1, "pending": 1}
    assert accounts["fb"]["counts"] == {"uncertain": 1, "awaiting_human": 1}
    assert accounts["x"]["paused"] is True
    assert accounts["x"]["paused_reason"] == "the token was revoked"
    assert accounts["fb"]["paused"] is False
    assert all(a["mode"] == "dry run" for a in accounts.values())  # no credentials
    # x has a pending delivery but is paused until a human resumes it; nothing of fb's waits
    assert (accounts["x"]["next_due"], accounts["x"]["next_due_reason"]) == (None, "paused")
    assert accounts["fb"]["next_due"] is None
    assert accounts["fb"]["next_due_reason"] == "nothing queued"
    with ledger.store() as st:
        st.resume_account("x")
    resumed = {a["name"]: a for a in ledger.status()["accounts"]}["x"]
    due = datetime.fromisoformat(resumed["next_due"])
    assert abs((due - now()).total_seconds()) < 600 and resumed["next_due_reason"] == "due"
    with ledger.store() as st:
        st.pause_account("x", reason="the token was revoked", until=None, now=now())
    assert {r["id"]: r["status"] for r in doc["attention"]} == {
        dead: "dead",
        uncertain: "uncertain",
        awaiting: "awaiting_human",
    }
    assert {r["id"] for r in doc["recent"]} == {dead, uncertain, awaiting, waiting}
    dead_row = next(r for r in doc["recent"] if r["id"] == dead)
    assert dead_row["last_error"] == "gave up after 8 attempts"
    assert dead_row["article"] == a1 and dead_row["account"] == "x"

    assert len(ledger.status("--limit", "2")["recent"]) == 2

    text = ledger.run("status")  # the human view says the same
    assert text.returncode == 0, text.stderr
    assert "[paused] x: the token was revoked" in text.stdout
    assert "Needs attention" in text.stdout
    assert "PAUSED" in text.stdout


# -- bot retry / bot skip ------------------------------------------------------------------------


@pytest.mark.parametrize("given", ["dead", "uncertain"])
def test_retry_one_delivery_by_id(ledger: Ledger, given: str) -> None:
    target = ledger.ids[(ARTICLES[0], "x")]
    with ledger.store() as st:
        mark = st.mark_dead if given == "dead" else st.mark_uncertain
        mark(target, error="gave up", now=now())
    assert ledger.statuses()[target] == given

    res = ledger.run("retry", str(target))

    assert res.returncode == 0, res.stderr
    assert str(target) in res.stdout
    doc = ledger.status()
    row = next(r for r in doc["recent"] if r["id"] == target)
    assert row["status"] == "pending" and row["attempts"] == 0
    assert target not in {r["id"] for r in doc["attention"]}


def test_retry_failed_requeues_failed_and_dead_but_not_uncertain(ledger: Ledger) -> None:
    a1, a2 = ARTICLES
    failed, dead = ledger.ids[(a1, "x")], ledger.ids[(a1, "fb")]
    uncertain, untouched = ledger.ids[(a2, "x")], ledger.ids[(a2, "fb")]
    later = now() + timedelta(hours=1)
    with ledger.store() as st:
        st.mark_retry(failed, error="HTTP 503", next_attempt_at=later, now=now())
        st.mark_dead(dead, error="gave up", now=now())
        st.mark_uncertain(uncertain, error="crashed while sending", now=now())

    res = ledger.run("retry", "--failed")

    assert res.returncode == 0, res.stderr
    assert "queued 2 deliveries again" in res.stdout
    assert ledger.statuses() == {
        failed: "pending",
        dead: "pending",
        uncertain: "uncertain",  # a human checks the platform first, then retries it by id
        untouched: "pending",
    }
    with ledger.store() as st:
        row = st.get_delivery(failed)
    assert row is not None and row.next_attempt_at is not None
    assert row.next_attempt_at < later  # due now, not at the old retry time


def test_skip_then_retry(ledger: Ledger) -> None:
    target = ledger.ids[(ARTICLES[1], "fb")]

    res = ledger.run("skip", str(target))
    assert res.returncode == 0, res.stderr
    assert ledger.statuses()[target] == "skipped"
    with ledger.store() as st:
        assert st.next_due("fb") is not None  # its other delivery still waits

    res = ledger.run("retry", str(target))  # a skipped delivery can be queued again
    assert res.returncode == 0, res.stderr
    assert ledger.statuses()[target] == "pending"


def test_unknown_delivery_id_is_one_line_and_exit_2(ledger: Ledger) -> None:
    for command in ("retry", "skip"):
        line = assert_clean_failure(ledger.run(command, "9999"), 2)
        assert "9999" in line
    assert set(ledger.statuses().values()) == {"pending"}


def test_a_sent_delivery_is_neither_retried_nor_skipped(ledger: Ledger) -> None:
    target = ledger.ids[(ARTICLES[0], "x")]
    with ledger.store() as st:
        st.mark_sent(target, remote_id="dry-run", remote_url=None, now=now())

    for command in ("retry", "skip"):  # a user's mistake (2), not a database problem (3)
        line = assert_clean_failure(ledger.run(command, str(target)), 2)
        assert str(target) in line and "sent" in line
    assert ledger.statuses()[target] == "sent"


def test_retry_needs_exactly_one_of_id_or_failed(ledger: Ledger) -> None:
    assert_clean_failure(ledger.run("retry"), 2)
    target = ledger.ids[(ARTICLES[0], "x")]
    with ledger.store() as st:
        st.mark_dead(target, error="gave up", now=now())
    assert_clean_failure(ledger.run("retry", str(target), "--failed"), 2)
    assert ledger.statuses()[target] == "dead"  # nothing was done


# -- bot db upgrade / bot config check -----------------------------------------------------------


def test_db_upgrade_prints_the_revision_and_is_idempotent(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    cfg = write_config(tmp_path, data, "http://127.0.0.1:9/news.xml")
    head = head_revision()
    assert head

    first = bot("--config", str(cfg), "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith(f"at revision {head}")
    assert (data / "bot.db").is_file()

    second = bot("--config", str(cfg), "db", "upgrade")
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert bot_json("--config", str(cfg), "status")["recent"] == []


def test_db_upgrade_keeps_an_existing_ledger(ledger: Ledger) -> None:
    before = ledger.statuses()
    res = ledger.run("db", "upgrade")
    assert res.returncode == 0, res.stderr
    assert ledger.statuses() == before


def test_config_check_ok_then_a_broken_template(tmp_path: Path) -> None:
    data = tmp_path / "data"
    cfg = write_config(tmp_path, data, "http://127.0.0.1:9/news.xml")
    ok = bot("--config", str(cfg), "config", "check")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("configuration ok:")
    assert "2 accounts" in ok.stdout and "dry run: x, fb" in ok.stdout

    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "twitter.j2").write_text("{{ title }}\n{{ link\n", encoding="utf-8")
    cfg = write_config(tmp_path, data, "http://127.0.0.1:9/news.xml",
                       extra=f"templates_dir: {templates}\n")
    line = assert_clean_failure(bot("--config", str(cfg), "config", "check"), 2)
    assert "twitter.j2" in line and "line 2" in line
