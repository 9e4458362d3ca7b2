"""`bot run` end to end: health endpoints, metrics, readiness, SIGTERM, the single-daemon lock,
and the two log formats.

The daemon runs as a real subprocess on a temporary SQLite ledger, polling a loopback feed
server; its accounts have no credentials, so they are dry-run and their deliveries end up
``sent`` with remote id ``dry-run``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.store import Store
from tests.e2e.cli_helpers import ROOT, bot
from tests.fakes.feedserver import FeedServer, Item

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(tmp_path: Path, feed_url: str, *, port: int, max_poll_age: float) -> Path:
    cfg = tmp_path / "bot.yaml"
    cfg.write_text(
        f"data_dir: {tmp_path / 'data'}\n"
        "accounts:\n"
        "  - {name: x, platform: twitter, min_spacing_minutes: 0}\n"
        "  - {name: fb, platform: facebook, min_spacing_minutes: 0}\n"
        "feeds:\n"
        f"  - {{name: news, url: {json.dumps(feed_url)}, interval_seconds: 1,"
        " jitter_seconds: 0, backfill: 2}\n"
        f"health: {{port: {port}, max_poll_age_seconds: {max_poll_age}}}\n"
        "scheduler: {dispatch_interval_seconds: 0.2}\n",
        encoding="utf-8",
    )
    return cfg


def items(srv: FeedServer) -> list[Item]:
    now = datetime.now(UTC)
    body = (
        "<p>The night train to the coast returns in June after a five-year break.</p>"
        "<p>Tickets go on sale next week, the operator said on Tuesday.</p>"
    )
    return [
        Item(f"Night train story {n}", link=srv.url(f"/articles/{n}"), guid=f"urn:train:{n}",
             content=body, published=now - timedelta(minutes=10 * n))
        for n in (1, 2)
    ]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(PYTHONPATH=str(ROOT), BOT_SECRETS_DIRS="/nonexistent-secrets")
    return env


def start(cfg: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "--config", str(cfg), *extra, "run"],
        cwd=cfg.parent, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes], timeout: float = 15) -> tuple[int, str]:
    """SIGTERM, then the exit code and stderr; fails when it takes longer than ``timeout``."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError(f"bot run did not stop within {timeout} s of SIGTERM") from None
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.fixture
def daemons() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Daemons a test started; any still running at the end are killed."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def get(url: str) -> tuple[int | None, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return int(r.status), r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")
    except OSError:
        return None, ""


def wait_for(what: str, probe: Callable[[], T | None], proc: subprocess.Popen[bytes],
             timeout: float = 45) -> T:
    """Call ``probe`` until it returns something (not None); fail early if the daemon died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"bot run exited with {proc.returncode} waiting for {what}: {err}")
        value = probe()
        if value is not None:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text format, or None when absent."""
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group(3))
    return None


@pytest.mark.slow
def test_health_metrics_readiness_and_sigterm(tmp_path: Path,
                                              daemons: list[subprocess.Popen[bytes]]) -> None:
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=port, max_poll_age=3)
        proc = start(cfg, "--log-format", "json")
        daemons.append(proc)

        wait_for("/healthz", lambda: True if get(f"{base}/healthz") == (200, "ok\n") else None,
                 proc)

        # The feed was polled, both articles (backfill 2) were previewed by both dry-run accounts.
        def all_previewed() -> str | None:
            code, text = get(f"{base}/metrics")
            if code != 200:
                return None
            done = all(metric(text, "bot_deliveries", account=a, status="previewed") == 2
                       for a in ("x", "fb"))
            return text if done else None

        text = wait_for("four previewed deliveries in /metrics", all_previewed, proc)
        assert (metric(text, "bot_polls_total", feed="news", result="ok") or 0) >= 1
        assert (metric(text, "bot_articles_total", feed="news", outcome="new") or 0) == 2
        assert (metric(text, "bot_publish_total", account="x", result="dry_run") or 0) >= 2
        with Store(f"sqlite:///{tmp_path / 'data' / 'bot.db'}") as st:
            rows = st.list_deliveries(limit=10)
        assert len(rows) == 4
        assert {(str(r.status), r.remote_id, r.sent_at) for r in rows} == {
            ("previewed", None, None)}

        ready = wait_for("/readyz 200",
                         lambda: (lambda r: r if r[0] == 200 else None)(get(f"{base}/readyz")),
                         proc)
        assert json.loads(ready[1]) == {"status": "ready", "failing": []}

        # The feed turns into a web page: polls fail, and after max_poll_age /readyz says so.
        srv.serve_html("/news.xml")

        def not_ready() -> dict[str, Any] | None:
            code, body = get(f"{base}/readyz")
            return json.loads(body) if code == 503 else None

        doc = wait_for("/readyz 503", not_ready, proc)
        assert doc["status"] == "not ready"
        assert [f["check"] for f in doc["failing"]] == ["feed:news"]
        assert "last successful poll" in doc["failing"][0]["detail"]
        assert get(f"{base}/healthz")[0] == 200  # alive, just not ready
        code, text = get(f"{base}/metrics")
        assert (metric(text, "bot_polls_total", feed="news", result="error") or 0) >= 1

        t0 = time.monotonic()
        code, err = stop(proc, timeout=15)
        assert code == 0, err
        assert time.monotonic() - t0 < 15

    # --log-format json: every stderr line is one JSON object
    records = [json.loads(ln) for ln in err.splitlines() if ln.strip()]
    assert records and all({"ts", "level", "logger", "msg"} <= set(r) for r in records)
    assert any(r.get("feed") == "news" and r["level"] == "WARNING" for r in records)
    assert records[-1]["msg"] == "daemon stopped"
    assert get(f"{base}/healthz")[0] is None  # the health server went away with it


@pytest.mark.slow
def test_a_second_daemon_on_the_same_sqlite_file_refuses(
    tmp_path: Path, daemons: list[subprocess.Popen[bytes]]
) -> None:
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        port = free_port()
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=port, max_poll_age=1800)
        first = start(cfg)
        daemons.append(first)
        wait_for("/healthz", lambda: True if get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                 else None, first)

        for _ in range(2):  # the refusal must not break the first daemon's lock either
            other = free_port()
            res = bot("--config", str(cfg), "run", env={"BOT_HEALTH__PORT": str(other)},
                      timeout=60)
            assert res.returncode not in (0, None), res.stderr
            assert "Traceback" not in res.stderr
            lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
            assert len(lines) == 1, res.stderr
            assert "another bot daemon is running" in lines[0]
            assert str(first.pid) in lines[0]  # it says which process holds the database
            assert get(f"http://127.0.0.1:{other}/healthz")[0] is None

        assert first.poll() is None and get(f"http://127.0.0.1:{port}/healthz")[0] == 200
        code, err = stop(first)
        assert code == 0, err

        # Once the first one is gone, a new daemon may take the database.
        again = start(cfg)
        daemons.append(again)
        wait_for("/healthz of the new daemon",
                 lambda: True if get(f"http://127.0.0.1:{port}/healthz")[0] == 200 else None,
                 again)
        code, err = stop(again)
        assert code == 0, err


def test_text_log_format_gives_human_lines(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=0, max_poll_age=1800)
        res = bot("--config", str(cfg), "--log-format", "text", "poll", "--once")
    assert res.returncode == 0, res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert lines, "nothing was logged"
    for ln in lines:
        assert not ln.lstrip().startswith("{"), ln
        assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (INFO|WARNING|ERROR|DEBUG) ", ln), ln
    first_run = [ln for ln in lines if "feed news: first run" in ln]
    assert first_run and "bot.ingest" in first_run[0] and "feed=news" in first_run[0]


def test_json_log_format_gives_json_lines(tmp_path: Path) -> None:
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=0, max_poll_age=1800)
        res = bot("--config", str(cfg), "--log-format", "json", "poll", "--once")
    assert res.returncode == 0, res.stderr
    records = [json.loads(ln) for ln in res.stderr.splitlines() if ln.strip()]
    first_run = [r for r in records if r["msg"].startswith("feed news: first run")]
    assert first_run and first_run[0]["feed"] == "news" and first_run[0]["level"] == "INFO"
    assert first_run[0]["logger"] == "bot.ingest"
