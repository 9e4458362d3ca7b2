"""The editor's desk in a terminal, through the real `bot` command: queue, show, approve, edit,
reschedule, skip (each with --json), refusals as one line and an exit code, and
`bot web passwd`."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli_helpers import assert_clean_failure, bot
from tests.fakes.feedserver import FeedServer, Item

BODY = ("<p>The bridge over the river reopened on Monday after two years of repairs.</p>"
        "<p>Traffic in the old town is expected to ease from next week, the council said.</p>")


class Desk:
    def __init__(self, cfg: Path) -> None:
        self.cfg = cfg

    def run(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return bot("--config", str(self.cfg), *args, stdin=stdin)

    def json(self, *args: str) -> dict[str, Any]:
        res = self.run(*args, "--json")
        assert res.returncode == 0, res.stderr
        doc: dict[str, Any] = json.loads(res.stdout)
        return doc

    def queue(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(q["title"], q["account"]): q for q in self.json("queue")["queue"]}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    now = datetime.now(UTC)
    items = [Item(f"Bridge story {n}", link=f"https://news.example.org/bridge-{n}",
                  guid=f"b{n}", content=BODY, published=now - timedelta(hours=n))
             for n in (1, 2)]
    cfg = tmp_path / "bot.yaml"
    with FeedServer() as srv:
        srv.add_feed("news", items)
        cfg.write_text(
            f"data_dir: {tmp_path / 'data'}\n"
            "accounts:\n"
            "  - {name: x, platform: twitter, review: required, timezone: Asia/Tokyo}\n"
            "  - {name: fb, platform: facebook}\n"
            f"feeds:\n  - {{name: news, url: {json.dumps(srv.url('/news.xml'))}}}\n",
            encoding="utf-8")
        res = bot("--config", str(cfg), "poll", "--once", "--backfill", "2")
        assert res.returncode == 0, res.stderr
    yield Desk(cfg)


def test_queue_lists_review_first_with_title_due_time_and_first_line(desk: Desk) -> None:
    queue = desk.json("queue")["queue"]
    assert [q["status"] for q in queue] == ["awaiting_review"] * 2 + ["pending"] * 2
    first = queue[0]
    assert first["account"] == "x" and first["title"].startswith("Bridge story")
    assert first["due"].endswith("+09:00") and first["timezone"] == "Asia/Tokyo"
    assert first["first_line"] and first["first_line"] in first["text"]
    assert (first["limit"], first["counting"]) == (280, "weighted")
    human = desk.run("queue")
    assert human.returncode == 0 and "Bridge story" in human.stdout and "x" in human.stdout
    assert desk.json("queue", "--account", "fb")["queue"][0]["account"] == "fb"
    assert_clean_failure(desk.run("queue", "--account", "nope"), 2)


def test_show_approve_edit_reschedule_skip(desk: Desk) -> None:
    q = desk.queue()
    one, two = q[("Bridge story 1", "x")], q[("Bridge story 2", "x")]
    shown = desk.json("show", str(one["id"]))
    assert shown["text"] == one["text"] and shown["history"][0]["kind"] == "queued"
    assert "version 1" in desk.run("show", str(one["id"])).stdout

    new_text = f"The bridge is open again. {one['link']}"
    edited = desk.json("edit", str(one["id"]), "--text", new_text, "--version", "1")
    assert edited["edited"][0]["version"] == 2
    approved = desk.json("approve", str(one["id"]), str(two["id"]))
    assert [a["status"] for a in approved["approved"]] == ["pending", "pending"]
    moved = desk.json("reschedule", str(two["id"]), "--at", "2031-01-02T08:00")
    assert moved["rescheduled"][0]["next_attempt"] == "2031-01-01T23:00:00+00:00"  # Tokyo
    assert desk.json("skip", str(one["id"]))["skipped"][0]["status"] == "skipped"

    history = desk.json("show", str(one["id"]))["history"]
    assert [e["kind"] for e in history] == ["queued", "edited", "approved", "skipped"]
    assert history[1]["detail"]["old_text"] == one["text"]
    assert all(e["actor"].startswith("cli:") for e in history[1:])


def test_refusals_are_one_line_with_an_exit_code(desk: Desk) -> None:
    q = desk.queue()
    x = q[("Bridge story 1", "x")]
    line = assert_clean_failure(desk.run("edit", str(x["id"]), "--text", "no link any more"), 2)
    assert "drops the article's link" in line
    long = "words " * 60 + x["link"]
    line = assert_clean_failure(desk.run("edit", str(x["id"]), "--text", long), 2)
    assert "too long for X" in line and "> 280" in line
    line = assert_clean_failure(desk.run("approve", str(x["id"]), "--version", "7"), 4)
    assert "changed since you read it" in line
    fb = q[("Bridge story 1", "fb")]
    line = assert_clean_failure(desk.run("approve", str(fb["id"])), 2)
    assert "pending; it cannot be approved" in line
    assert_clean_failure(desk.run("show", "9999"), 2)
    assert_clean_failure(desk.run("reschedule", str(x["id"]), "--at", "soon"), 2)
    res = desk.run("approve", str(x["id"]), "9999", "--json")  # one done, one refused
    assert res.returncode == 2
    doc = json.loads(res.stdout)
    assert doc["approved"][0]["id"] == x["id"] and doc["refused"][0]["id"] == 9999
    assert desk.json("show", str(x["id"]))["text"] == x["text"]  # refusals changed nothing


def test_edit_reads_the_new_text_from_stdin(desk: Desk) -> None:
    x = desk.queue()[("Bridge story 2", "x")]
    text = f"Read it from a pipe. {x['link']}\n"
    res = desk.run("edit", str(x["id"]), "--text", "-", stdin=text.encode())
    assert res.returncode == 0, res.stderr
    assert desk.json("show", str(x["id"]))["text"] == text.strip()


def test_web_passwd_stores_only_an_argon2_hash(desk: Desk, tmp_path: Path) -> None:
    res = desk.run("web", "passwd", "ann", "--password-stdin", stdin=b"a long pass phrase\n")
    assert res.returncode == 0, res.stderr
    secrets = tmp_path / "data" / "secrets" / "web"
    stored = (secrets / "users" / "ann").read_text()
    assert stored.startswith("$argon2id$") and "a long pass phrase" not in stored
    assert (secrets / "users" / "ann").stat().st_mode & 0o777 == 0o600
    assert (secrets / "session_secret").is_file()
    res = desk.run("web", "passwd", "ann", "--read-only", "--password-stdin",
                   stdin=b"another long phrase\n")
    assert res.returncode == 0 and "read-only" in res.stdout
    assert not (secrets / "users" / "ann").exists() and (secrets / "viewers" / "ann").exists()
    line = assert_clean_failure(desk.run("web", "passwd", "bo", "--password-stdin",
                                         stdin=b"short\n"), 2)
    assert "too short" in line
    shown = desk.run("config", "show", "--json")
    assert "$argon2id$" not in shown.stdout  # hashes are secrets too
