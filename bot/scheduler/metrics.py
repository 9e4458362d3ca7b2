"""Prometheus metrics of the bot, on a registry of their own (served at ``/metrics``).

Labels only ever carry configured names (feed, account), fixed words (result, outcome,
status) or exception class names: never article text, URLs or secrets.

The daemon feeds these from what the jobs return (see :func:`observe_ingest` and
:func:`observe_dispatch`); ``bot_deliveries`` is read from the store at scrape time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

ARTICLE_OUTCOMES: tuple[str, ...] = ("new", "duplicate", "filtered", "too_old", "edited")
_OUTCOME_ALIASES: dict[str, tuple[str, ...]] = {"duplicate": ("duplicate", "duplicates")}

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


# -- reading what the pipeline's jobs return --------------------------------------------
# The job results are the pipeline's types; they are read by attribute name so that this
# module stays below the pipeline in the layering.


def _as_count(value: object) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        return len(value)
    return 0


def _enum_text(value: object) -> str | None:
    if value is None:
        return None
    text = getattr(value, "value", value)
    return text if isinstance(text, str) and text else None


def poll_result_of(report: object) -> str:
    """The poll result word of an ingest report: ``status`` on it or on its ``poll``."""
    for holder in (report, getattr(report, "poll", None), getattr(report, "result", None)):
        status = _enum_text(getattr(holder, "status", None)) if holder is not None else None
        if status:
            return status
    return "ok"


def observe_ingest(feed: str, report: object) -> None:
    """Count one finished poll and its articles.

    Reads the report's ``status`` (or ``poll.status``) and, for each outcome in
    :data:`ARTICLE_OUTCOMES`, an attribute of that name (an int, or a list of items; the
    plural ``duplicates`` is accepted too), or a ``counts``/``outcomes`` mapping.
    """
    record_poll(feed, poll_result_of(report))
    mapping: Mapping[str, Any] = {}
    for name in ("counts", "outcomes"):
        candidate = getattr(report, name, None)
        if isinstance(candidate, Mapping):
            mapping = candidate
            break
    for outcome in ARTICLE_OUTCOMES:
        n = 0
        for name in _OUTCOME_ALIASES.get(outcome, (outcome,)):
            value = mapping[name] if name in mapping else getattr(report, name, None)
            n = _as_count(value)
            if n:
                break
        if n > 0:
            ARTICLES.labels(feed=feed, outcome=outcome).inc(n)


def observe_dispatch(
    account: str,
    outcomes: object,
    latency: Callable[[object], float | None] | None = None,
) -> None:
    """Count the publish results of one dispatch run and their latency.

    Each outcome's result word is its ``result`` or ``status`` attribute (an enum's value
    is used). The latency of a ``sent`` outcome is ``sent_at - published_at`` when the
    outcome carries both, else whatever ``latency(outcome)`` says (None: unknown).
    """
    if not isinstance(outcomes, Iterable):
        return
    for outcome in outcomes:
        result = _enum_text(getattr(outcome, "result", None)) or _enum_text(
            getattr(outcome, "status", None)) or "unknown"
        PUBLISH.labels(account=account, result=result).inc()
        if result != "sent":
            continue
        seconds = _own_latency(outcome)
        if seconds is None and latency is not None:
            try:
                seconds = latency(outcome)
            except Exception as exc:  # metrics never break a job
                log.debug("metrics: latency lookup failed: %s", exc)
        if seconds is not None and seconds >= 0:
            DISPATCH_LATENCY.observe(seconds)


def _own_latency(outcome: object) -> float | None:
    sent_at = getattr(outcome, "sent_at", None)
    published_at = getattr(outcome, "published_at", None)
    if isinstance(sent_at, datetime) and isinstance(published_at, datetime):
        try:
            return (sent_at - published_at).total_seconds()
        except TypeError:  # naive vs aware
            return None
    return None
