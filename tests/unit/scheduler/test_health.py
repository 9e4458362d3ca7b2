"""Health endpoints over real HTTP on 127.0.0.1, backed by a real store and daemon."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Health
from bot.errors import ConfigError
from bot.scheduler.daemon import Daemon
from bot.scheduler.health import HealthServer, readiness
from bot.store import Store
from tests.unit.scheduler.conftest import Recorder, make_settings, wait_for

UNREACHABLE_DB = "postgresql+psycopg://pubbot:hunter2@127.0.0.1:1/pubbot"  # nothing listens


@pytest.fixture
def running(tmp_path: Path, store: Store, recorder: Recorder,
            daemons: list[Daemon]) -> Iterator[Daemon]:
    d = Daemon(make_settings(tmp_path), store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    wait_for(lambda: set(d.last_poll_success()) == {"a", "b"}, what="first polls")
    yield d


def get(server: HealthServer, path: str) -> httpx.Response:
    return httpx.get(server.url + path, timeout=10)


def test_healthz_answers_while_alive(tmp_path: Path, store: Store) -> None:
    with HealthServer(make_settings(tmp_path), store) as server:
        assert server.port != 0
        r = get(server, "/healthz")
        assert (r.status_code, r.text) == (200, "ok\n")
        assert get(server, "/nope").status_code == 404
        assert httpx.head(server.url + "/healthz").status_code == 200


def test_port_in_use_is_a_clear_config_error(tmp_path: Path, store: Store) -> None:
    with HealthServer(make_settings(tmp_path), store) as first:
        second = HealthServer(make_settings(tmp_path), store, port=first.port)
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{first.port}"):
            second.start()


def test_ready_when_db_answers_scheduler_runs_and_polls_are_fresh(
    tmp_path: Path, store: Store, running: Daemon
) -> None:
    with HealthServer(running.settings, store, running) as server:
        r = get(server, "/readyz")
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "ready", "failing": []}


def test_not_ready_without_a_running_scheduler(
    tmp_path: Path, store: Store, recorder: Recorder
) -> None:
    d = Daemon(make_settings(tmp_path), store, jobs=recorder.jobs())  # never started
    with HealthServer(d.settings, store, d) as server:
        r = get(server, "/readyz")
        assert r.status_code == 503
        assert [f["check"] for f in r.json()["failing"]] == ["scheduler"]


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path, running: Daemon) -> None:
    dead = Store(UNREACHABLE_DB)
    try:
        with HealthServer(running.settings, dead, running) as server:
            r = get(server, "/readyz")
            assert r.status_code == 503
            failing = r.json()["failing"]
            assert {"check": "database", "detail": "the database does not answer"} in failing
            assert "hunter2" not in r.text
            # Liveness does not depend on the database.
            assert get(server, "/healthz").status_code == 200
            # A scrape still works; the delivery gauge is simply empty.
            assert get(server, "/metrics").status_code == 200
    finally:
        dead.close()


def test_not_ready_when_a_feed_has_not_been_polled_successfully(
    tmp_path: Path, store: Store, recorder: Recorder, daemons: list[Daemon]
) -> None:
    recorder.poll_raises["bad"] = RuntimeError("feed server down")
    settings = make_settings(tmp_path, feeds=["a", "bad"],
                             health=Health(port=0, max_poll_age_seconds=0.2))
    d = Daemon(settings, store, jobs=recorder.jobs())
    daemons.append(d)
    d.start()
    with HealthServer(settings, store, d) as server:
        def stale_bad() -> bool:
            r = get(server, "/readyz")
            return r.status_code == 503 and any(
                f["check"] == "feed:bad" for f in r.json()["failing"])
        wait_for(stale_bad, what="feed:bad reported stale")
        detail = next(f["detail"] for f in get(server, "/readyz").json()["failing"]
                      if f["check"] == "feed:bad")
        assert "never" in detail


def test_poll_age_rules(tmp_path: Path, store: Store, running: Daemon) -> None:
    # Feeds the running daemon does not poll itself, so only this test writes their rows.
    settings = make_settings(tmp_path, feeds=["p", "q", "r"],
                             health=Health(port=0, max_poll_age_seconds=600))
    started = running.started_at
    assert started is not None
    # Within the first max age after start nothing is stale, even a feed never polled.
    assert readiness(settings, store, running, now=started + timedelta(seconds=599)) == []
    later = started + timedelta(hours=3)
    store.save_feed_check("p", "u", checked_at=later - timedelta(seconds=60), ok=True)
    store.save_feed_check("q", "u", checked_at=later - timedelta(seconds=3600), ok=True)
    store.save_feed_check("q", "u", checked_at=later - timedelta(seconds=30), ok=False,
                          error="HTTP 500")  # a failed check is not a success
    failing = {f["check"]: f["detail"] for f in readiness(settings, store, running, now=later)}
    assert set(failing) == {"feed:q", "feed:r"}
    assert "3600 s ago" in failing["feed:q"]
    assert "never" in failing["feed:r"]  # no row, and the daemon never polled it successfully


def test_metrics_endpoint_lists_the_bot_metrics_and_counts_move(
    tmp_path: Path, store: Store, recorder: Recorder, running: Daemon
) -> None:
    now = datetime.now(UTC)
    store.add_article(id="https://example.org/1", feed="a", guid=None, url=None, title="T",
                      content_hash="h1", published_at=None, payload={}, now=now)
    for account in ("x", "y"):
        store.add_delivery(article_id="https://example.org/1", account=account,
                           platform="twitter", text="t", link=None, payload={},
                           next_attempt_at=now + timedelta(days=1), now=now)
    with HealthServer(running.settings, store, running) as server:
        r = get(server, "/metrics")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(r.text)}
        for name in ("bot_polls", "bot_articles", "bot_deliveries", "bot_errors",
                     "bot_job_failures", "bot_dispatch_latency_seconds", "bot_publish"):
            assert name in families, name
        gauge = {(s.labels["account"], s.labels["status"]): s.value
                 for s in families["bot_deliveries"].samples}
        assert gauge[("x", "pending")] == 1 and gauge[("y", "pending")] == 1

        def polls_of_a(text: str) -> float:
            fam = next(f for f in text_string_to_metric_families(text) if f.name == "bot_polls")
            return sum(s.value for s in fam.samples
                       if s.name == "bot_polls_total" and s.labels == {"feed": "a", "result": "ok"})

        first = polls_of_a(r.text)
        assert first >= 1
        wait_for(lambda: polls_of_a(get(server, "/metrics").text) > first, what="more polls")
        # No article text or URL ever becomes a label.
        assert "example.org" not in get(server, "/metrics").text


def test_readyz_body_is_json_with_failing_list(tmp_path: Path, store: Store) -> None:
    with HealthServer(make_settings(tmp_path), store, None) as server:
        r = get(server, "/readyz")
        body = json.loads(r.text)
        assert r.status_code == 503 and body["status"] == "not ready"
        assert all(set(f) == {"check", "detail"} for f in body["failing"])
