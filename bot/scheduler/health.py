"""Health endpoints for orchestrators and Prometheus, on a small threaded HTTP server.

* ``/healthz`` - 200 ``ok`` while the process answers at all (liveness).
* ``/readyz``  - 200 when the database answers, the scheduler runs and every feed had a
  successful poll within ``health.max_poll_age_seconds`` (counted from the daemon's
  start when that is later); otherwise 503 with a JSON list of the failing checks.
* ``/metrics`` - the bot's Prometheus registry in text format.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from prometheus_client import CONTENT_TYPE_LATEST

from bot.config import Settings
from bot.errors import ConfigError
from bot.scheduler import metrics

log = logging.getLogger(__name__)


class FeedState(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def last_success_at(self) -> datetime | None: ...


class HealthStore(Protocol):
    def ping(self) -> bool: ...
    def list_feeds(self) -> Sequence[FeedState]: ...
    def counts(self) -> dict[str, dict[str, int]]: ...


class SchedulerView(Protocol):
    @property
    def running(self) -> bool: ...
    @property
    def started_at(self) -> datetime | None: ...
    def last_poll_success(self) -> Mapping[str, datetime]: ...


def readiness(
    settings: Settings,
    store: HealthStore,
    daemon: SchedulerView | None,
    now: datetime | None = None,
) -> list[dict[str, str]]:
    """The failing readiness checks (empty: ready), each ``{"check": ..., "detail": ...}``."""
    now = now or datetime.now(UTC)
    failing: list[dict[str, str]] = []
    db_ok = False
    try:
        db_ok = bool(store.ping())
    except Exception as exc:
        log.debug("readiness: ping failed: %s", exc)
    if not db_ok:
        failing.append({"check": "database", "detail": "the database does not answer"})
    if daemon is None or not daemon.running:
        failing.append({"check": "scheduler", "detail": "the scheduler is not running"})
        return failing
    stored: dict[str, datetime | None] = {}
    if db_ok:
        try:
            stored = {row.name: row.last_success_at for row in store.list_feeds()}
        except Exception as exc:
            log.debug("readiness: cannot list feeds: %s", exc)
    remembered = daemon.last_poll_success()
    max_age = settings.health.max_poll_age_seconds
    started = daemon.started_at
    for feed in settings.feeds:
        last = stored[feed.name] if feed.name in stored else remembered.get(feed.name)
        since = max((t for t in (last, started) if t is not None), default=None)
        if since is None:
            continue  # no poll has been due yet
        age = (now - since).total_seconds()
        if age > max_age:
            when = f"{age:.0f} s ago" if last is not None else "never"
            failing.append({
                "check": f"feed:{feed.name}",
                "detail": f"last successful poll {when} (limit {max_age:.0f} s)",
            })
    return failing


def _spend_metrics() -> Any:
    """The spend gauges' collector (imported when the server starts: it reads the ledger)."""
    from bot.scheduler.spend_metrics import SPEND

    return SPEND


class HealthServer:
    """Serves the endpoints on ``settings.health.host:port`` (port 0: any free port)."""

    def __init__(
        self,
        settings: Settings,
        store: HealthStore,
        daemon: SchedulerView | None = None,
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.daemon = daemon
        self._host = host if host is not None else settings.health.host
        self._port = port if port is not None else settings.health.port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port (meaningful after :meth:`start`)."""
        if self._server is None:
            return self._port
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    def start(self) -> HealthServer:
        if self._server is not None:
            return self
        handler = _make_handler(self)
        try:
            server = ThreadingHTTPServer((self._host, self._port), handler)
        except OSError as exc:
            raise ConfigError(f"health endpoints: cannot listen on {self._host}:{self._port} "
                              f"({exc.strerror or exc})") from exc
        server.daemon_threads = True
        self._server = server
        metrics.bind_store(self.store)
        _spend_metrics().bind(self.store, self.settings)
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="health-http", daemon=True)
        self._thread.start()
        log.info("health endpoints on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        metrics.DELIVERIES.unbind(self.store)
        _spend_metrics().unbind(self.store)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- responses ---------------------------------------------------------------------
    def respond(self, path: str) -> tuple[int, str, bytes]:
        path = path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/healthz":
            return 200, "text/plain; charset=utf-8", b"ok\n"
        if path == "/readyz":
            failing = readiness(self.settings, self.store, self.daemon)
            body: dict[str, Any] = {"status": "ready" if not failing else "not ready",
                                    "failing": failing}
            data = (json.dumps(body) + "\n").encode()
            return (200 if not failing else 503), "application/json", data
        if path == "/metrics":
            return 200, CONTENT_TYPE_LATEST, metrics.render()
        return 404, "text/plain; charset=utf-8", b"not found\n"


def _make_handler(owner: HealthServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "pubbot-health"
        sys_version = ""

        def _reply(self, send_body: bool) -> None:
            try:
                status, ctype, body = owner.respond(self.path)
            except Exception as exc:  # never let a probe kill the server thread
                log.warning("health endpoint %s failed: %s", self.path, exc)
                status, ctype, body = 500, "text/plain; charset=utf-8", b"error\n"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(body)

        def do_GET(self) -> None:
            self._reply(True)

        def do_HEAD(self) -> None:
            self._reply(False)

        def log_message(self, format: str, *args: Any) -> None:
            log.debug("health: " + format, *args)

    return Handler
