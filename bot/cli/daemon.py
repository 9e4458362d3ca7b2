"""``bot run``, ``bot poll`` and ``bot feeds``: the unattended side."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import app, fail, state
from bot.clock import iso

if TYPE_CHECKING:
    from rich.console import Console

    from bot.config import Feed, Settings
    from bot.ingest import IngestReport
    from bot.store import Store


@app.command()
def run(ctx: typer.Context) -> None:
    """Run the daemon: poll feeds, post new articles on schedule, serve health and metrics."""
    from bot.render.templates import Templates
    from bot.scheduler.daemon import Daemon
    from bot.store import open_store

    settings = state(ctx).settings()
    Templates(settings).validate()  # a broken template stops the start, naming file and line
    store = open_store(settings)
    daemon = Daemon(settings, store)
    try:
        daemon.run_forever()
    finally:
        store.close()


def _poll_all(
    settings: Settings, store: Store, feeds: list[Feed], backfill: int | None, owner: str
) -> list[IngestReport]:
    """Poll feeds concurrently, with a progress bar on a terminal."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.ingest import poll_feed

    def one(feed: Feed) -> IngestReport:
        return poll_feed(settings, store, feed, owner=owner, backfill=backfill, force=True)

    workers = max(1, min(settings.http.concurrency, len(feeds)))
    if not sys.stderr.isatty() or len(feeds) < 2:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(one, feeds))
    from rich.progress import Progress

    reports: list[IngestReport] = []
    with (
        Progress(console=_stderr_console(), transient=True) as progress,
        ThreadPoolExecutor(workers) as pool,
    ):
        task = progress.add_task("polling feeds", total=len(feeds))
        for r in pool.map(one, feeds):
            reports.append(r)
            progress.advance(task)
    return reports


def _stderr_console() -> Console:
    """The terminal console for the progress bar: on stderr (stdout stays clean for pipes),
    and the log handler's own console when it has one, so log lines print above the bar."""
    import logging

    from rich.console import Console
    from rich.logging import RichHandler

    for handler in logging.getLogger().handlers:
        if isinstance(handler, RichHandler) and handler.console.stderr:
            return handler.console
    return Console(stderr=True)


@app.command()
def poll(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Poll each feed once and exit (for cron)."),
    feed: list[str] | None = typer.Option(
        None, "--feed", "-f", help="Only this feed (repeatable)."
    ),
    backfill: int | None = typer.Option(
        None, "--backfill", min=0, help="Also queue the newest N items, even on a feed seen before."
    ),
) -> None:
    """Poll feeds and queue new articles (sending is the daemon's job)."""
    from bot.ingest import close_clients
    from bot.store import make_owner, open_store

    settings = state(ctx).settings()
    feeds = settings.feeds
    if feed:
        known = {f.name: f for f in settings.feeds}
        missing = [n for n in feed if n not in known]
        if missing:
            raise fail(f"no feed named {missing[0]!r} (configured: {', '.join(known) or 'none'})")
        feeds = [known[n] for n in feed]
    if not feeds:
        raise fail("no feeds configured")
    store = open_store(settings)
    owner = make_owner()
    try:
        while True:
            reports = _poll_all(settings, store, feeds, backfill, owner)
            for r in reports:
                typer.echo(_report_line(r))
            if once:
                if any(r.status == "error" for r in reports):
                    raise typer.Exit(1)
                return
            backfill = None
            time.sleep(min(f.interval_seconds for f in feeds))
    finally:
        close_clients()
        store.close()


def _report_line(r: IngestReport) -> str:
    if r.status == "error":
        return f"{r.feed}: error: {r.error}"
    if r.status == "not_modified":
        return f"{r.feed}: not modified"
    parts = [f"{r.seen} items", f"{r.new} new", f"{r.queued} queued"]
    for label, n in (
        ("recorded (first run)", r.recorded_only),
        ("filtered", r.filtered),
        ("too old", r.too_old),
        ("edited", r.edited),
        ("failed", r.failed),
    ):
        if n:
            parts.append(f"{n} {label}")
    line = f"{r.feed}: " + ", ".join(parts)
    if r.warning:
        line += f" (warning: {r.warning})"
    return line


@app.command()
def feeds(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """Health of each configured feed: last check, last success, errors."""
    from bot.cli import views
    from bot.config import mask_url
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        rows = {r.name: r for r in store.list_feeds()}
    finally:
        store.close()
    data: list[dict[str, Any]] = []
    for f in settings.feeds:
        r = rows.get(f.name)
        data.append(
            {
                "name": f.name,
                "url": mask_url(f.url),
                "last_checked": iso(r.last_checked_at) if r else None,
                "last_success": iso(r.last_success_at) if r else None,
                "consecutive_errors": r.consecutive_errors if r else 0,
                "last_error": r.last_error if r else None,
                "healthy": bool(r and r.consecutive_errors == 0 and r.last_success_at),
            }
        )
    if as_json:
        views.print_json({"feeds": data})
        return
    from rich.table import Table

    t = Table("feed", "url", "last check", "last success", "errors", "last error")
    for d in data:
        t.add_row(
            str(d["name"]),
            str(d["url"]),
            d["last_checked"] or "never",
            d["last_success"] or "never",
            str(d["consecutive_errors"]),
            d["last_error"] or "",
        )
    views.console().print(t)
