"""Shared pieces for the daemon and health tests: a real SQLite store and simple jobs that
return what the real ones return (:class:`IngestReport`, :class:`Outcome`, a count,
:class:`AccountCheck`)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.accounts import AccountCheck
from bot.config import Account, Feed, Health, Scheduler, Settings
from bot.dispatch import Outcome
from bot.ingest import IngestReport
from bot.scheduler.daemon import Daemon, Jobs
from bot.scheduler.metrics import REGISTRY
from bot.store import Store


def wait_for(pred: Callable[[], bool], timeout: float = 15.0, what: str = "condition") -> None:
    """Poll ``pred`` until true; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Recorder:
    """Plain job functions that note their calls; behaviour per feed/account is settable."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.poll_raises: dict[str, Exception] = {}
        self.dispatch_raises: dict[str, Exception] = {}
        self.poll_block: threading.Event | None = None
        self.poll_started = threading.Event()
        self.poll_finished = threading.Event()

    def _note(self, key: str) -> None:
        with self.lock:
            self.calls[key] += 1

    def count(self, key: str) -> int:
        with self.lock:
            return self.calls[key]

    def poll_feed(
        self, settings: Settings, store: Any, feed: Feed, /, *, owner: str
    ) -> IngestReport:
        self._note(f"poll:{feed.name}")
        if feed.name in self.poll_raises:
            raise self.poll_raises[feed.name]
        if self.poll_block is not None:
            self.poll_started.set()
            self.poll_block.wait(30)
            self.poll_finished.set()
        store.save_feed_check(feed.name, feed.url, checked_at=datetime.now(UTC), ok=True)
        return IngestReport(feed=feed.name, status="ok", new=2, duplicates=1, filtered=0)

    def dispatch_account(self, settings: Settings, store: Any, account: Account, /, *,
                         owner: str) -> list[Outcome]:
        self._note(f"dispatch:{account.name}")
        if account.name in self.dispatch_raises:
            raise self.dispatch_raises[account.name]
        return [Outcome(account=account.name, platform=account.platform, status="dry_run")]

    def reconcile(self, settings: Settings, store: Any, /, *, owner: str) -> int:
        self._note("reconcile")
        return 0

    def check_accounts(self, settings: Settings, store: Any, /) -> list[AccountCheck]:
        self._note("check_accounts")
        return [AccountCheck(a.name, a.platform, ok=True, mode="dry run")
                for a in settings.accounts if a.enabled]

    def close(self) -> None:
        self._note("close")

    def jobs(self) -> Jobs:
        return Jobs(poll_feed=self.poll_feed, dispatch_account=self.dispatch_account,
                    reconcile=self.reconcile, check_accounts=self.check_accounts,
                    close=self.close)


def make_settings(tmp_path: Path, feeds: list[str] | None = None, **kw: Any) -> Settings:
    feed_list = [Feed(name=n, url=f"http://127.0.0.1:9/{n}.xml", interval_seconds=1,
                      jitter_seconds=0) for n in (feeds if feeds is not None else ["a", "b"])]
    defaults: dict[str, Any] = {
        "data_dir": tmp_path,
        "feeds": feed_list,
        "accounts": [Account(name="x", platform="twitter"),
                     Account(name="y", platform="twitter"),
                     Account(name="z", platform="twitter", enabled=False)],
        "scheduler": Scheduler(dispatch_interval_seconds=0.2),
        "health": Health(port=0),
    }
    defaults.update(kw)
    return Settings(**defaults)


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'bot.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store(db_url)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def recorder(store: Store) -> Recorder:
    return Recorder(store)


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    """Daemons a test starts; all shut down afterwards whatever happened."""
    started: list[Daemon] = []
    yield started
    for d in started:
        d.shutdown(timeout=5)
