"""``/metrics``: what each account spent this month (UTC) and its budget.

``bot_spend_usd{account,kind}`` (kind ``post`` or ``read``) and ``bot_budget_usd{account}``
are gauges read from the ledger at scrape time, like ``bot_deliveries``, so every replica
reports the same figures and a restart loses none.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.adapters.pricing import prices_for, usd
from bot.budget import month_start
from bot.config import Settings
from bot.scheduler.metrics import ERRORS, REGISTRY
from bot.store import SpendTotal

log = logging.getLogger(__name__)

SPEND_HELP = "Platform spend this calendar month (UTC) in US dollars, by account and kind."
BUDGET_HELP = "The account's monthly budget in US dollars (budget_usd_per_month)."


@runtime_checkable
class SpendSource(Protocol):
    def spend_totals(self, since: datetime) -> dict[str, SpendTotal]: ...


class SpendCollector(Collector):
    """The two gauges, from the bound store and settings (nothing when unbound)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bound: tuple[SpendSource, Settings] | None = None

    def bind(self, store: object, settings: Settings) -> None:
        """Read from ``store`` (one without ``spend_totals`` reports nothing)."""
        with self._lock:
            self._bound = (store, settings) if isinstance(store, SpendSource) else None

    def unbind(self, store: object) -> None:
        with self._lock:
            if self._bound is not None and self._bound[0] is store:
                self._bound = None

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily("bot_spend_usd", SPEND_HELP, labels=["account", "kind"]),
                GaugeMetricFamily("bot_budget_usd", BUDGET_HELP, labels=["account"])]

    def collect(self) -> Iterable[Metric]:
        spend = GaugeMetricFamily("bot_spend_usd", SPEND_HELP, labels=["account", "kind"])
        budget = GaugeMetricFamily("bot_budget_usd", BUDGET_HELP, labels=["account"])
        with self._lock:
            bound = self._bound
        if bound is not None:
            store, settings = bound
            try:
                totals = store.spend_totals(month_start(datetime.now(UTC)))
            except Exception as exc:  # a scrape must never fail because the DB is down
                ERRORS.labels(kind=type(exc).__name__).inc()
                log.warning("metrics: cannot read spend: %s", exc)
                totals = {}
            for a in settings.accounts:
                if prices_for(a) is None and a.name not in totals:
                    continue  # a platform that does not bill
                t = totals.get(a.name)
                posts = t.micro_usd - t.read_micro_usd if t else 0
                spend.add_metric([a.name, "post"], usd(posts))
                spend.add_metric([a.name, "read"], usd(t.read_micro_usd) if t else 0.0)
                if a.budget_usd_per_month is not None:
                    budget.add_metric([a.name], a.budget_usd_per_month)
        yield spend
        yield budget


SPEND = SpendCollector()
REGISTRY.register(SPEND)
