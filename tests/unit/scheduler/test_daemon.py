"""The daemon on a real SQLite store with simple job functions."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Account, Feed, Settings
from bot.dispatch import Outcome
from bot.errors import StoreError, Transient
from bot.scheduler.daemon import Daemon, Jobs
from bot.store import DeliveryStatus, Store
from tests.fakes.feedserver import FeedServer, Item
from tests.unit.scheduler.conftest import Recorder, make_settings, metric, wait_for

ROOT = Path(__file__).resolve().parents[3]


def test_runs_a_poll_job_per_feed_and_dispatches_every_enabled_account(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon]
) -> None:
    settings = make_settings(tmp_path)
    polls_before = metric("bot_polls_total", feed="a", result="ok")
    new_before = metric("bot_articles_total", feed="a", outcome="new")
    dup_before = metric("bot_articles_total", feed="a", outcome="duplicate")
    d = Daemon(settings, store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    assert d.running
    wait_for(lambda: recorder.count("poll:a") >= 2 and recorder.count("poll:b") >= 2, what="polls")
    wait_for(lambda: recorder.count("dispatch:x") >= 2 and recorder.count("dispatch:y") >= 2,
             what="dispatch runs")
    wait_for(lambda: recorder.count("reconcile") >= 1 and recorder.count("check_accounts") >= 1,
             what="reconcile and account check at start")
    assert recorder.count("dispatch:z") == 0  # disabled

    status = d.status()
    assert status["running"] is True
    ids = {j["id"] for j in status["jobs"]}
    assert ids == {"poll:a", "poll:b", "dispatch", "reconcile", "check_accounts", "lock_heartbeat"}
    assert all(j["next_run"] is not None for j in status["jobs"])
    assert set(status["last_poll_success"]) == {"a", "b"}
    assert status["last_errors"] == {}

    assert d.shutdown(timeout=5) is True
    assert not d.running
    assert d.status()["running"] is False

    # Every poll finished (clean shutdown) and each reported 2 new and 1 duplicate item.
    polls = metric("bot_polls_total", feed="a", result="ok") - polls_before
    assert polls == recorder.count("poll:a") >= 2
    assert metric("bot_articles_total", feed="a", outcome="new") - new_before == 2 * polls
    assert metric("bot_articles_total", feed="a", outcome="duplicate") - dup_before == polls


def test_a_failing_job_does_not_stop_the_others(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon]
) -> None:
    settings = make_settings(tmp_path, feeds=["a", "bad"])
    recorder.poll_raises["bad"] = RuntimeError("parser exploded")
    recorder.dispatch_raises["x"] = Transient("X answered 503")
    poll_fail_before = metric("bot_job_failures_total", job="poll")
    dispatch_fail_before = metric("bot_job_failures_total", job="dispatch")
    runtime_before = metric("bot_errors_total", kind="RuntimeError")
    poll_err_before = metric("bot_polls_total", feed="bad", result="error")

    d = Daemon(settings, store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    wait_for(lambda: recorder.count("poll:bad") >= 2 and recorder.count("poll:a") >= 2,
             what="repeated polls")
    wait_for(lambda: recorder.count("dispatch:x") >= 3 and recorder.count("dispatch:y") >= 3,
             what="repeated dispatch")
    assert d.running
    assert d.shutdown(timeout=5) is True  # settle the counters before reading them

    status = d.status()
    assert "RuntimeError: parser exploded" in status["last_errors"]["poll:bad"]["error"]
    assert status["last_errors"]["dispatch:x"]["error"] == "X answered 503"
    assert "poll:a" not in status["last_errors"] and "dispatch:y" not in status["last_errors"]
    assert status["runs"]["dispatch:x"]["consecutive_failures"] >= 2
    assert status["runs"]["dispatch:y"]["consecutive_failures"] == 0
    assert "bad" not in status["last_poll_success"]

    assert metric("bot_job_failures_total", job="poll") - poll_fail_before >= 2
    assert metric("bot_job_failures_total", job="dispatch") - dispatch_fail_before >= 2
    assert metric("bot_errors_total", kind="RuntimeError") - runtime_before >= 2
    assert metric("bot_polls_total", feed="bad", result="error") - poll_err_before >= 2


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_failure_is_logged_as_one_line(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon],
    caplog: pytest.LogCaptureFixture, level: str,
) -> None:
    caplog.set_level(level, logger="bot.scheduler.daemon")
    recorder.poll_raises["a"] = RuntimeError("boom")
    d = Daemon(make_settings(tmp_path, feeds=["a"]), store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    wait_for(lambda: any("poll:a failed" in r.getMessage() for r in caplog.records),
             what="failure log line")
    rec = next(r for r in caplog.records if "poll:a failed" in r.getMessage())
    assert rec.levelname == "ERROR"
    # the traceback only at DEBUG (the secret filter may have turned exc_info into exc_text)
    assert bool(rec.exc_info or rec.exc_text) == (level == "DEBUG")
    assert rec.feed == "a"  # type: ignore[attr-defined]


def test_dispatch_latency_from_the_ledger(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon]
) -> None:
    published = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    sent = published + timedelta(seconds=90)
    store.add_article(id="https://example.org/a", feed="a", guid=None,
                      url="https://example.org/a", title="A", content_hash="h",
                      published_at=published, payload={}, now=published)
    row = store.add_delivery(article_id="https://example.org/a", account="x", platform="twitter",
                             text="t", link=None, payload={}, next_attempt_at=published,
                             now=published)
    assert row is not None
    store.mark_sent(row.id, remote_id="1", remote_url=None, now=sent)
    done = threading.Event()

    def dispatch(settings: Settings, store: Any, account: Account, /, *, owner: str) -> Any:
        if account.name != "x" or done.is_set():
            return []
        done.set()
        return [Outcome(account="x", platform="twitter", status="sent", delivery_id=row.id)]

    count_before = metric("bot_dispatch_latency_seconds_count")
    sum_before = metric("bot_dispatch_latency_seconds_sum")
    sent_before = metric("bot_publish_total", account="x", result="sent")
    jobs = Jobs(recorder.poll_feed, dispatch, recorder.reconcile, recorder.check_accounts)
    d = Daemon(make_settings(tmp_path, feeds=[]), store, jobs=jobs)
    daemons.append(d)
    d.start()
    wait_for(lambda: metric("bot_publish_total", account="x", result="sent") > sent_before,
             what="publish counted")
    assert metric("bot_dispatch_latency_seconds_count") - count_before == 1
    assert metric("bot_dispatch_latency_seconds_sum") - sum_before == pytest.approx(90)


def test_graceful_stop_waits_for_the_job_in_flight(
    tmp_path: Path, store: Store, db_url: str, recorder: Recorder, daemons: list[Daemon]
) -> None:
    recorder.poll_block = threading.Event()
    d = Daemon(make_settings(tmp_path, feeds=["a"]), store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    assert recorder.poll_started.wait(10)
    result: list[bool] = []
    stopper = threading.Thread(target=lambda: result.append(d.shutdown(timeout=20)))
    stopper.start()
    stopper.join(0.5)
    assert stopper.is_alive(), "shutdown returned while a job was still running"
    assert not recorder.poll_finished.is_set()
    recorder.poll_block.set()
    stopper.join(10)
    assert result == [True]
    assert recorder.poll_finished.is_set()
    # The lock is free again: another daemon may start on this file.
    other = Store(db_url)
    other.acquire_daemon_lock("next", now=datetime.now(UTC))
    other.release_daemon_lock("next")
    other.close()


def test_stop_wait_is_bounded(
    tmp_path: Path, store: Store, db_url: str, recorder: Recorder
) -> None:
    recorder.poll_block = threading.Event()
    d = Daemon(make_settings(tmp_path, feeds=["a"]), store, jobs=recorder.jobs())
    d.start()
    try:
        assert recorder.poll_started.wait(10)
        assert d.shutdown(timeout=0.3) is False  # gave up waiting for the stuck job
        assert "poll:a" in d.status()["in_flight"]
        other = Store(db_url)
        other.acquire_daemon_lock("next", now=datetime.now(UTC))  # released anyway
        other.close()
    finally:
        recorder.poll_block.set()


def test_second_daemon_on_the_same_sqlite_file_is_refused(
    tmp_path: Path, store: Store, db_url: str, recorder: Recorder, daemons: list[Daemon]
) -> None:
    settings = make_settings(tmp_path)
    first = Daemon(settings, store, jobs=recorder.jobs())
    daemons.append(first)
    first.start()
    second_store = Store(db_url)
    second = Daemon(settings, second_store, jobs=recorder.jobs())
    daemons.append(second)
    with pytest.raises(StoreError, match="another bot daemon is running"):
        second.start()
    assert not second.running
    assert first.running
    first.shutdown(timeout=5)
    second.start()  # the first one released the lock on the way out
    assert second.running
    second.shutdown(timeout=5)
    first.start()  # and a daemon can be started again after shutdown()
    assert first.running
    first.shutdown(timeout=5)
    second_store.close()


def test_daemon_stops_when_another_takes_its_lock(
    tmp_path: Path, store: Store, db_url: str, recorder: Recorder
) -> None:
    d = Daemon(make_settings(tmp_path, feeds=[]), store, jobs=recorder.jobs(),
               lock_stale_seconds=2)  # heartbeat every second
    runner = threading.Thread(target=d.run_forever, kwargs={"serve_health": False})
    runner.start()
    try:
        wait_for(lambda: d.running, what="daemon running")
        intruder = Store(db_url)
        intruder.acquire_daemon_lock("intruder", now=datetime.now(UTC) + timedelta(seconds=10),
                                     stale_after=1)
        runner.join(15)
        assert not runner.is_alive(), "daemon kept running without its lock"
        assert "lost the daemon lock" in d.status()["last_errors"]["lock_heartbeat"]["error"]
        intruder.close()
    finally:
        d.stop()
        runner.join(5)


def test_each_daemon_owns_its_claims_under_its_own_name(tmp_path: Path, store: Store) -> None:
    d = Daemon(make_settings(tmp_path), store)
    host, pid, rnd = d.owner.split(":")
    assert host == socket.gethostname() and pid == str(os.getpid()) and len(rnd) >= 4
    assert Daemon(make_settings(tmp_path), store).owner != d.owner


def test_without_jobs_given_the_daemon_runs_the_real_pipeline(
    tmp_path: Path, store: Store, daemons: list[Daemon]
) -> None:
    """The default jobs poll the feed, queue its article and send it (a dry run here)."""
    with FeedServer() as server:
        server.add_feed("news", [Item(
            title="Night trains return to the coast", link="https://news.example.org/trains",
            guid="trains-1", published=datetime.now(UTC) - timedelta(hours=1),
            content="<p>Night trains return to the coast this summer, the operator said on "
                    "Monday.</p><p>Tickets go on sale next week for the first departures.</p>")])
        feed = Feed(name="news", url=server.url("/news.xml"), interval_seconds=3600,
                    jitter_seconds=0, backfill=1, fetch_page="never")
        settings = make_settings(tmp_path, feeds=[], accounts=[
            Account(name="x", platform="twitter", min_spacing_minutes=0)])
        d = Daemon(settings.model_copy(update={"feeds": [feed]}), store)
        daemons.append(d)
        d.start()
        wait_for(lambda: [r.status for r in store.list_deliveries(account="x")]
                 == [DeliveryStatus.PREVIEWED], what="the article previewed on x")
        assert d.shutdown(timeout=10) is True
    (row,) = store.list_deliveries(account="x")
    assert row.article_id and "Night trains" in row.text
    state = store.get_feed("news")
    assert state is not None and state.last_success_at is not None


def test_shutdown_releases_the_jobs_resources_once(
    tmp_path: Path, store: Store, recorder: Recorder
) -> None:
    d = Daemon(make_settings(tmp_path), store, jobs=recorder.jobs())
    d.start()
    wait_for(lambda: recorder.count("dispatch:x") >= 1, what="a dispatch run")
    assert recorder.count("close") == 0
    assert d.shutdown(timeout=5)
    assert recorder.count("close") == 1
    d.shutdown(timeout=5)  # not running any more: nothing to release again
    assert recorder.count("close") == 1


SCRIPT = """
import sys, threading, time
from pathlib import Path
from bot.config import Account, Feed, Health, Scheduler, Settings
from bot.ingest import IngestReport
from bot.scheduler.daemon import Daemon, Jobs
from bot.store import Store

tmp = Path(sys.argv[1])
store = Store(f"sqlite:///{tmp / 'bot.db'}")
store.upgrade()
started = threading.Event()

def poll(settings, store, feed, *, owner):
    print("poll-start", flush=True)
    time.sleep(1.0)  # in flight when SIGTERM arrives
    print("poll-end", flush=True)
    return IngestReport(feed=feed.name, status="ok")

def dispatch(settings, store, account, *, owner):
    return []

def reconcile(settings, store, *, owner):
    return 0

def check_accounts(settings, store):
    return []

settings = Settings(data_dir=tmp, health=Health(port=0),
                    feeds=[Feed(name="a", url="http://127.0.0.1:9/a", interval_seconds=3600)],
                    accounts=[Account(name="x", platform="twitter")],
                    scheduler=Scheduler(dispatch_interval_seconds=0.5))
Daemon(settings, store, jobs=Jobs(poll, dispatch, reconcile, check_accounts)).run_forever()
print("exited", flush=True)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_signal_stops_the_process_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    script = tmp_path / "run_daemon.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "poll-start"
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    # The job that was running finished before the process left; nothing new started.
    assert out.split() == ["poll-end", "exited"]
    store = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    store.acquire_daemon_lock("after", now=datetime.now(UTC))  # the lock was released
    store.close()


def test_review_timeouts_run_only_where_a_timeout_is_configured(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon]
) -> None:
    from dataclasses import replace

    from bot.scheduler import jobs as job_functions

    assert Daemon(make_settings(tmp_path), store).jobs.review_timeouts is (
        job_functions.review_timeouts_job)
    calls: list[str] = []
    jobs = replace(recorder.jobs(), review_timeouts=lambda s, st: calls.append("review"))
    plain = Daemon(make_settings(tmp_path, feeds=[]), store, jobs=jobs)
    daemons.append(plain)
    plain.start()
    assert "review_timeouts" not in {j["id"] for j in plain.status()["jobs"]}
    plain.shutdown(timeout=5)
    timed = make_settings(tmp_path, feeds=[], accounts=[
        Account(name="x", platform="twitter", review="required", review_timeout_hours=2)])
    d = Daemon(timed, store, jobs=jobs)
    daemons.append(d)
    d.start()
    assert "review_timeouts" in {j["id"] for j in d.status()["jobs"]}
    wait_for(lambda: calls == ["review"], what="the review timeouts job at start")
    d.shutdown(timeout=5)
