"""The daemon: APScheduler 3.x runs the pipeline's jobs on intervals until SIGTERM.

Jobs, each wrapped so that a failure is recorded (metrics, ``status()``, one log line)
and never stops the scheduler:

* ``poll:<feed>``     - every ``feed.interval_seconds`` (+ jitter), first run at start;
* ``dispatch``        - every ``scheduler.dispatch_interval_seconds``: each enabled account
  in turn, an exception for one account does not keep the others from sending;
* ``reconcile``       - stale ``sending`` rows, at start and every ``reconcile_seconds``;
* ``check_accounts``  - at start and every ``scheduler.account_check_hours``;
* ``lock_heartbeat``  - SQLite only: keeps the single-daemon lock fresh.

Polls run on their own thread pool, the other jobs on a small "control" pool, so a burst
of slow feeds never delays sending or the lock heartbeat.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import TYPE_CHECKING, Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from bot.clock import iso
from bot.config import Account, Feed, Settings
from bot.errors import BotError, LockLost
from bot.scheduler import metrics
from bot.scheduler.pool import PoolExecutor
from bot.store import make_owner

if TYPE_CHECKING:
    from bot.dispatch import Outcome
    from bot.ingest import IngestReport
    from bot.store import ArticleRow, DeliveryRow

log = logging.getLogger(__name__)

LOCK_STALE_SECONDS = 60.0
"""A SQLite daemon lock whose heartbeat is older than this may be taken over."""


# -- what the daemon needs from the store and the pipeline ------------------------------
class DaemonStore(Protocol):
    @property
    def is_postgres(self) -> bool: ...
    def ping(self) -> bool: ...
    def list_feeds(self) -> Sequence[Any]: ...
    def counts(self) -> dict[str, dict[str, int]]: ...
    def get_delivery(self, delivery_id: int) -> DeliveryRow | None: ...
    def get_article(self, article_id: str) -> ArticleRow | None: ...
    def acquire_daemon_lock(
        self, owner: str, *, now: datetime, stale_after: float = ...
    ) -> None: ...
    def heartbeat_daemon_lock(self, owner: str, *, now: datetime) -> None: ...
    def release_daemon_lock(self, owner: str) -> None: ...


class PollFeedJob(Protocol):
    def __call__(
        self, settings: Settings, store: Any, feed: Feed, /, *, owner: str
    ) -> IngestReport: ...


class DispatchAccountJob(Protocol):
    def __call__(
        self, settings: Settings, store: Any, account: Account, /, *, owner: str
    ) -> list[Outcome]: ...


class ReconcileJob(Protocol):
    def __call__(self, settings: Settings, store: Any, /, *, owner: str) -> Any: ...


class CheckAccountsJob(Protocol):
    def __call__(self, settings: Settings, store: Any, /) -> Any: ...


def _nothing() -> None:
    return None


@dataclass(frozen=True)
class Jobs:
    """The four job functions the daemon calls (:mod:`bot.scheduler.jobs` by default), and
    what releases their shared resources at shutdown."""

    poll_feed: PollFeedJob
    dispatch_account: DispatchAccountJob
    reconcile: ReconcileJob
    check_accounts: CheckAccountsJob
    close: Callable[[], None] = _nothing

    @classmethod
    def default(cls) -> Jobs:
        """The real job functions (:mod:`bot.scheduler.jobs`)."""
        from bot.scheduler import jobs

        return cls(
            poll_feed=jobs.poll_feed_job,
            dispatch_account=jobs.dispatch_account_job,
            reconcile=jobs.reconcile_job,
            check_accounts=jobs.check_accounts_job,
            close=jobs.close_jobs,
        )


def describe_error(exc: BaseException) -> str:
    """One line for logs and status: our own messages as they are, others with their class."""
    text = str(exc) if isinstance(exc, BotError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass
class _RunState:
    runs: int = 0
    failures: int = 0
    """Consecutive failures (0 after a success)."""
    last_ok: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


class Daemon:
    """Runs the bot's jobs until told to stop. See the module docstring."""

    def __init__(
        self,
        settings: Settings,
        store: DaemonStore,
        *,
        owner: str | None = None,
        jobs: Jobs | None = None,
        shutdown_grace: float = 25.0,
        reconcile_seconds: float | None = None,
        lock_stale_seconds: float = LOCK_STALE_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.owner = owner or make_owner()
        self.jobs = jobs if jobs is not None else Jobs.default()
        self.shutdown_grace = shutdown_grace
        self.reconcile_seconds = (
            reconcile_seconds if reconcile_seconds is not None
            else settings.scheduler.reconcile_interval_seconds
        )
        self.lock_stale_seconds = lock_stale_seconds
        self._now = clock or (lambda: datetime.now(UTC))
        self._scheduler: BackgroundScheduler | None = None
        self._stop_event = threading.Event()
        self._force_event = threading.Event()
        self._stopping = False
        self._started_at: datetime | None = None
        self._lock_held = False
        self._last_heartbeat: datetime | None = None
        self._state = threading.Lock()
        self._idle = threading.Condition(self._state)
        self._in_flight: dict[str, int] = {}
        self._runs: dict[str, _RunState] = {}
        self._last_poll_ok: dict[str, datetime] = {}

    # -- life cycle --------------------------------------------------------------------
    @property
    def running(self) -> bool:
        sched = self._scheduler
        return sched is not None and sched.running and not self._stopping

    @property
    def started_at(self) -> datetime | None:
        return self._started_at

    def start(self) -> None:
        """Take the SQLite lock (StoreError if another daemon holds it) and start the jobs."""
        if self._scheduler is not None:
            return
        if self._started_at is not None:  # a restart after shutdown()
            self._stop_event.clear()
        self._stopping = False
        self._force_event.clear()
        now = self._now()
        if not self.store.is_postgres:
            self.store.acquire_daemon_lock(self.owner, now=now, stale_after=self.lock_stale_seconds)
            self._lock_held = True
            self._last_heartbeat = now
        try:
            self._scheduler = self._build_scheduler(now)
            self._started_at = now
            self._scheduler.start()
        except BaseException:
            self._release_lock()
            self._scheduler = None
            raise
        log.info("daemon started: %d feeds, %d accounts", len(self.settings.feeds),
                 sum(1 for a in self.settings.accounts if a.enabled), extra={"owner": self.owner})

    def _build_scheduler(self, now: datetime) -> BackgroundScheduler:
        s = self.settings
        control_workers = 4
        sched = BackgroundScheduler(
            timezone=UTC,
            executors={
                "default": PoolExecutor(control_workers, "bot-control"),
                "polls": PoolExecutor(max(1, s.http.concurrency), "bot-poll"),
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        )
        for feed in s.feeds:
            sched.add_job(
                self._poll, "interval", args=[feed],
                id=f"poll:{feed.name}", name=f"poll {feed.name}",
                seconds=feed.interval_seconds, jitter=feed.jitter_seconds or None,
                next_run_time=now, executor="polls",
                misfire_grace_time=max(30, int(feed.interval_seconds)),
            )
        sched.add_job(self._dispatch, "interval", id="dispatch", name="dispatch",
                      seconds=s.scheduler.dispatch_interval_seconds, next_run_time=now)
        sched.add_job(self._reconcile, "interval", id="reconcile", name="reconcile",
                      seconds=self.reconcile_seconds, next_run_time=now)
        sched.add_job(self._check_accounts, "interval", id="check_accounts", name="check accounts",
                      hours=s.scheduler.account_check_hours, next_run_time=now,
                      misfire_grace_time=3600)
        if self._lock_held:
            sched.add_job(self._heartbeat, "interval", id="lock_heartbeat", name="lock heartbeat",
                          seconds=max(1.0, self.lock_stale_seconds / 4))
        return sched

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return (safe from signal handlers and other threads)."""
        self._stop_event.set()

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop starting jobs, wait up to ``timeout`` s for running ones, close the jobs'
        shared resources (HTTP clients), release the lock.

        Returns True when every running job finished in time.
        """
        self._stop_event.set()
        sched, self._scheduler = self._scheduler, None
        if sched is None:
            return True
        self._stopping = True
        with suppress(Exception):
            sched.shutdown(wait=False)  # also cancels jobs queued but not yet started
        grace = self.shutdown_grace if timeout is None else timeout
        clean = self.wait_idle(grace)
        if not clean:
            with self._state:
                busy = sorted(self._in_flight)
            log.warning("stopping with jobs still running after %.0f s: %s", grace, ", ".join(busy))
        try:
            self.jobs.close()
        except Exception as exc:
            log.warning("could not release the jobs' resources: %s", describe_error(exc))
        self._release_lock()
        log.info("daemon stopped", extra={"owner": self.owner})
        return clean

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is running (False on timeout or a second stop signal)."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0 or self._force_event.is_set():
                    return False
                self._idle.wait(min(left, 0.2))
        return True

    def run_forever(self, *, serve_health: bool | None = None) -> None:
        """Start, serve health endpoints, block until SIGTERM/SIGINT or :meth:`stop`, shut down."""
        from bot.scheduler.health import HealthServer

        health: HealthServer | None = None
        with self._signals():
            self.start()
            try:
                if serve_health if serve_health is not None else self.settings.health.enabled:
                    health = HealthServer(self.settings, self.store, self).start()
                while not self._stop_event.wait(0.5):
                    pass
                log.info("stopping: waiting up to %.0f s for running jobs", self.shutdown_grace)
            finally:
                if health is not None:
                    health.stop()
                self.shutdown()

    @contextmanager
    def _signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: FrameType | None) -> None:
            if self._stop_event.is_set():
                self._force_event.set()  # a second signal: stop waiting for running jobs
            self._stop_event.set()

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _release_lock(self) -> None:
        if not self._lock_held:
            return
        self._lock_held = False
        try:
            self.store.release_daemon_lock(self.owner)
        except Exception as exc:
            log.warning("could not release the daemon lock: %s", describe_error(exc))

    # -- the jobs ----------------------------------------------------------------------
    @contextmanager
    def _tracked(self, job_id: str) -> Iterator[None]:
        with self._state:
            self._in_flight[job_id] = self._in_flight.get(job_id, 0) + 1
        try:
            yield
        finally:
            with self._idle:
                n = self._in_flight.pop(job_id, 1) - 1
                if n > 0:
                    self._in_flight[job_id] = n
                self._idle.notify_all()

    def _ok(self, run_id: str) -> None:
        with self._state:
            st = self._runs.setdefault(run_id, _RunState())
            st.runs += 1
            st.failures = 0
            st.last_ok = self._now()

    def _run_failed(self, run_id: str, text: str) -> None:
        with self._state:
            st = self._runs.setdefault(run_id, _RunState())
            st.runs += 1
            st.failures += 1
            st.last_error = text
            st.last_error_at = self._now()

    def _failed(self, run_id: str, kind: str, exc: BaseException, **extra: str) -> None:
        text = describe_error(exc)
        self._run_failed(run_id, text)
        metrics.record_job_failure(kind, exc)
        log.error("job %s failed: %s", run_id, text, exc_info=log.isEnabledFor(logging.DEBUG),
                  extra={"job": run_id, **extra})

    def _poll(self, feed: Feed) -> None:
        job_id = f"poll:{feed.name}"
        if self._stopping:
            return
        with self._tracked(job_id):
            try:
                report = self.jobs.poll_feed(self.settings, self.store, feed, owner=self.owner)
            except Exception as exc:
                metrics.record_poll(feed.name, "error")
                self._failed(job_id, "poll", exc, feed=feed.name)
                return
            metrics.observe_ingest(feed.name, report)
            if report.status == "error":  # logged by the poll; not a job failure
                self._run_failed(job_id, report.error or "poll failed")
                return
            self._ok(job_id)
            with self._state:
                self._last_poll_ok[feed.name] = self._now()

    def _dispatch(self) -> None:
        if self._stopping:
            return
        with self._tracked("dispatch"):
            for account in self.settings.accounts:
                if not account.enabled:
                    continue
                if self._stopping:
                    break
                run_id = f"dispatch:{account.name}"
                try:
                    outcomes = self.jobs.dispatch_account(self.settings, self.store, account,
                                                          owner=self.owner)
                except Exception as exc:
                    self._failed(run_id, "dispatch", exc, account=account.name)
                    continue
                metrics.observe_dispatch(account.name, outcomes, self._latency)
                self._ok(run_id)
            self._ok("dispatch")

    def _latency(self, outcome: Outcome) -> float | None:
        """Seconds from the article's publication to the delivery's ``sent_at``, if known."""
        if outcome.delivery_id is None:
            return None
        row = self.store.get_delivery(outcome.delivery_id)
        if row is None or row.sent_at is None:
            return None
        article = self.store.get_article(row.article_id)
        if article is None or article.published_at is None:
            return None
        return (row.sent_at - article.published_at).total_seconds()

    def _simple(self, job_id: str, call: Callable[[], object]) -> None:
        if self._stopping:
            return
        with self._tracked(job_id):
            try:
                call()
            except Exception as exc:
                self._failed(job_id, job_id, exc)
                return
            self._ok(job_id)

    def _reconcile(self) -> None:
        self._simple("reconcile",
                     lambda: self.jobs.reconcile(self.settings, self.store, owner=self.owner))

    def _check_accounts(self) -> None:
        self._simple("check_accounts", lambda: self.jobs.check_accounts(self.settings, self.store))

    def _heartbeat(self) -> None:
        if self._stopping or not self._lock_held:
            return
        with self._tracked("lock_heartbeat"):
            now = self._now()
            try:
                self.store.heartbeat_daemon_lock(self.owner, now=now)
            except Exception as exc:
                self._failed("lock_heartbeat", "lock_heartbeat", exc)
                last = self._last_heartbeat or now
                if isinstance(exc, LockLost):
                    log.critical("another daemon took over this database: stopping")
                    self.stop()
                elif (now - last).total_seconds() >= self.lock_stale_seconds:
                    log.critical("the daemon lock could not be refreshed for %.0f s; another "
                                 "daemon may take over: stopping", self.lock_stale_seconds)
                    self.stop()
                return
            self._last_heartbeat = now
            self._ok("lock_heartbeat")

    # -- what is going on --------------------------------------------------------------
    def last_poll_success(self) -> dict[str, datetime]:
        with self._state:
            return dict(self._last_poll_ok)

    def status(self) -> dict[str, Any]:
        """Running state, jobs with next run times, last errors, last good poll per feed."""
        sched = self._scheduler
        jobs: list[dict[str, Any]] = []
        if sched is not None:
            with suppress(Exception):
                for job in sched.get_jobs():
                    jobs.append({"id": job.id, "name": job.name,
                                 "next_run": iso(getattr(job, "next_run_time", None))})
        with self._state:
            runs = {k: {"runs": v.runs, "consecutive_failures": v.failures,
                        "last_ok": iso(v.last_ok), "last_error": v.last_error,
                        "last_error_at": iso(v.last_error_at)} for k, v in self._runs.items()}
            last_errors = {k: {"at": iso(v.last_error_at), "error": v.last_error}
                           for k, v in self._runs.items() if v.last_error is not None}
            polls = {k: iso(v) for k, v in self._last_poll_ok.items()}
            in_flight = sorted(self._in_flight)
        return {
            "owner": self.owner,
            "running": self.running,
            "stopping": self._stopping,
            "started_at": iso(self._started_at),
            "jobs": sorted(jobs, key=lambda j: j["id"]),
            "runs": runs,
            "last_errors": last_errors,
            "last_poll_success": polls,
            "in_flight": in_flight,
        }
