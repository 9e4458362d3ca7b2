"""Metrics read from what the pipeline's jobs return (its real report types)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.dispatch import Outcome
from bot.ingest import IngestReport
from bot.scheduler import metrics
from bot.store import Store
from tests.unit.scheduler.conftest import metric


def test_ingest_report_counts_polls_and_articles() -> None:
    feed = "metrics_feed_1"
    metrics.observe_ingest(feed, IngestReport(feed=feed, status="ok", new=3, duplicates=2,
                                              filtered=1, too_old=4, edited=1))
    metrics.observe_ingest(feed, IngestReport(feed=feed, status="not_modified"))
    metrics.observe_ingest(feed, IngestReport(feed=feed, status="error", error="HTTP 500"))
    assert metric("bot_polls_total", feed=feed, result="ok") == 1
    assert metric("bot_polls_total", feed=feed, result="not_modified") == 1
    assert metric("bot_polls_total", feed=feed, result="error") == 1
    expected = {"new": 3, "duplicate": 2, "filtered": 1, "too_old": 4, "edited": 1}
    for outcome, n in expected.items():
        assert metric("bot_articles_total", feed=feed, outcome=outcome) == n, outcome


def test_dispatch_outcomes_count_by_result() -> None:
    account = "metrics_acct_1"
    outcomes = [Outcome(account=account, platform="twitter", status=s)
                for s in ("sent", "sent", "retry", "dry_run")]
    metrics.observe_dispatch(account, outcomes)
    assert metric("bot_publish_total", account=account, result="sent") == 2
    assert metric("bot_publish_total", account=account, result="retry") == 1
    assert metric("bot_publish_total", account=account, result="dry_run") == 1


def test_latency_only_for_sent_and_never_negative() -> None:
    account = "metrics_acct_2"
    t = datetime(2024, 1, 1, tzinfo=UTC)
    count0 = metric("bot_dispatch_latency_seconds_count")
    sum0 = metric("bot_dispatch_latency_seconds_sum")
    sent_at = {1: t + timedelta(minutes=5), 2: t + timedelta(minutes=9),
               3: t - timedelta(minutes=1)}

    def latency(o: Outcome) -> float | None:  # what the daemon reads from the ledger
        if o.delivery_id is None:
            return None
        return (sent_at[o.delivery_id] - t).total_seconds()

    metrics.observe_dispatch(account, [
        Outcome(account=account, platform="x", status="sent", delivery_id=1),
        Outcome(account=account, platform="x", status="retry", delivery_id=2),
        Outcome(account=account, platform="x", status="sent", delivery_id=3),  # negative
        Outcome(account=account, platform="x", status="sent"),  # unknown
    ], latency=latency)
    assert metric("bot_dispatch_latency_seconds_count") - count0 == 1
    assert metric("bot_dispatch_latency_seconds_sum") - sum0 == pytest.approx(300)


def test_deliveries_gauge_follows_the_store_and_survives_its_failure(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'm.db'}")
    store.upgrade()
    now = datetime.now(UTC)
    store.add_article(id="art", feed=None, guid=None, url=None, title="T", content_hash="h",
                      published_at=None, payload={}, now=now)
    row = store.add_delivery(article_id="art", account="gauge_acct", platform="twitter",
                             text="t", link=None, payload={}, next_attempt_at=now, now=now)
    assert row is not None
    metrics.bind_store(store)
    try:
        assert metric("bot_deliveries", account="gauge_acct", status="pending") == 1
        store.skip(row.id, now=now)
        assert metric("bot_deliveries", account="gauge_acct", status="pending") == 0
        assert metric("bot_deliveries", account="gauge_acct", status="skipped") == 1

        dead = Store("postgresql+psycopg://u:p@127.0.0.1:1/none")
        metrics.bind_store(dead)
        before = metric("bot_errors_total", kind="StoreError")
        names = {f.name for f in text_string_to_metric_families(metrics.render().decode())}
        assert "bot_deliveries" in names  # still exposed, just without samples
        assert metric("bot_errors_total", kind="StoreError") > before
        dead.close()
    finally:
        metrics.bind_store(None)
        store.close()
