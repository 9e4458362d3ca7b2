"""Prometheus metrics of the bot, on a registry of their own (served at ``/metrics``).

Labels only ever carry configured names (feed, account), fixed words (result, outcome,
status) or exception class names: never article text, URLs or secrets.

The daemon feeds these from what the jobs return, their real report types
(:class:`bot.ingest.IngestReport` to :func:`observe_ingest`, :class:`bot.dispatch.Outcome`
to :func:`observe_dispatch`); ``bot_deliveries`` is read from the store at scrape time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.dispatch import Outcome
    from bot.ingest import IngestReport

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLE_OUTCOMES: tuple[str, ...] = ("new", "duplicate", "filtered", "too_old", "edited")

POLLS = Counter(
    "bot_polls", "Feed polls by result (ok, not_modified, skipped, error).",
    ["feed", "result"], registry=REGISTRY,
)
ARTICLES = Counter(
    "bot_articles", "Feed items seen, by outcome (new, duplicate, filtered, too_old, edited).",
    ["feed", "outcome"], registry=REGISTRY,
)
ERRORS = Counter(
    "bot_errors", "Errors by kind (the exception class name).", ["kind"], registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "bot_job_failures", "Scheduled jobs that raised, by job kind.", ["job"], registry=REGISTRY,
)
DISPATCH_LATENCY = Histogram(
    "bot_dispatch_latency_seconds", "Time from an article's publication to its post being sent.",
    buckets=(10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400, float("inf")),
    registry=REGISTRY,
)
PUBLISH = Counter(
    "bot_publish", "Publish attempts by account and result.", ["account", "result"],
    registry=REGISTRY,
)


class CountsSource(Protocol):
    def counts(self) -> dict[str, dict[str, int]]: ...


class DeliveriesCollector(Collector):
    """``bot_deliveries{account,status}``: a gauge read from ``store.counts()`` per scrape."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: CountsSource | None = None

    def bind(self, store: CountsSource | None) -> None:
        with self._lock:
            self._store = store

    def unbind(self, store: CountsSource) -> None:
        """Forget ``store`` if it is still the bound one (another may have replaced it)."""
        with self._lock:
            if self._store is store:
                self._store = None

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("bot_deliveries", "Deliveries by account and status.",
                                  labels=["account", "status"])]

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily("bot_deliveries", "Deliveries by account and status.",
                                   labels=["account", "status"])
        with self._lock:
            store = self._store
        if store is not None:
            try:
                counts = store.counts()
            except Exception as exc:  # a scrape must never fail because the DB is down
                ERRORS.labels(kind=type(exc).__name__).inc()
                log.warning("metrics: cannot read delivery counts: %s", exc)
                counts = {}
            for account, by_status in sorted(counts.items()):
                for status, n in sorted(by_status.items()):
                    family.add_metric([str(account), str(status)], float(n))
        yield family


DELIVERIES = DeliveriesCollector()
REGISTRY.register(DELIVERIES)


def bind_store(store: CountsSource | None) -> None:
    """Make ``bot_deliveries`` read from ``store`` (None: report nothing)."""
    DELIVERIES.bind(store)


def render() -> bytes:
    """The registry in the Prometheus text exposition format."""
    return generate_latest(REGISTRY)


def record_error(exc: BaseException) -> None:
    ERRORS.labels(kind=type(exc).__name__).inc()


def record_job_failure(job: str, exc: BaseException) -> None:
    JOB_FAILURES.labels(job=job).inc()
    record_error(exc)


def record_poll(feed: str, result: str) -> None:
    POLLS.labels(feed=feed, result=result).inc()


# -- reading what the jobs return ---------------------------------------------------------
def observe_ingest(feed: str, report: IngestReport) -> None:
    """Count one finished poll (by its status) and its articles (by outcome)."""
    record_poll(feed, report.status)
    counts = {"new": report.new, "duplicate": report.duplicates, "filtered": report.filtered,
              "too_old": report.too_old, "edited": report.edited}
    for outcome in ARTICLE_OUTCOMES:
        if counts[outcome] > 0:
            ARTICLES.labels(feed=feed, outcome=outcome).inc(counts[outcome])


def observe_dispatch(
    account: str,
    outcomes: Iterable[Outcome],
    latency: Callable[[Outcome], float | None] | None = None,
) -> None:
    """Count the publish results of one dispatch run, and the latency of each ``sent`` one
    as ``latency(outcome)`` says (None: unknown; a lookup that fails is logged, not raised)."""
    for outcome in outcomes:
        PUBLISH.labels(account=account, result=outcome.status).inc()
        if outcome.status != "sent" or latency is None:
            continue
        try:
            seconds = latency(outcome)
        except Exception as exc:  # metrics never break a job
            log.debug("metrics: latency lookup failed: %s", exc)
            continue
        if seconds is not None and seconds >= 0:
            DISPATCH_LATENCY.observe(seconds)
