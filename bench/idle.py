"""The idle daemon (issue 6, item 6): ``python -m bench.idle``.

``bot run`` with 50 feeds served by a local feed server in its own process
(``python -m tests.fakes.feedserver --dir DIR``, ETag and Last-Modified, so after the
first poll every answer is a 304) and the three default dry-run accounts, the health
server on. Once every feed has had its first poll (and 5 more seconds), the
daemon's RSS and CPU time are read with psutil for ``--window`` seconds. Each feed is
polled every ``--interval`` seconds (45 by default, more than six times as often as the
default feed interval of 300 s), so every feed is polled once more in a 60-second window.
Baseline: an idle interpreter (``python -c "import time; time.sleep(…)"``) measured the
same way at the same time.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, Section, venv_bin, write_result

TARGET_RSS_MB = 120.0
TARGET_CPU_PCT = 1.0


@dataclass
class Usage:
    rss_mb: float
    """RSS at the end of the window."""
    peak_rss_mb: float
    """Highest RSS sampled in the window (once a second)."""
    cpu_pct: float
    """CPU seconds (user + system) per wall second in the window, in % of one core."""
    threads: int


@dataclass
class IdleRun:
    feeds: int
    interval: float
    window: float
    daemon: Usage
    baseline: Usage
    polled_in_window: int
    """Feeds whose last check falls in the window."""
    errors: int
    """Feeds with a failed last poll."""
    startup_seconds: float
    """From launch until every feed had its first poll."""


def write_feeds(folder: Path, feeds: int) -> None:
    """``f<N>.xml``: WordPress-like RSS documents of 10 items each."""
    from tests.fakes.feedserver import Item, rss_document

    epoch = datetime(2024, 1, 1, tzinfo=UTC)
    for f in range(feeds):
        items = [Item(title=f"Blog {f}: post {n}", link=f"http://blog{f}.example/{n}/",
                      guid=f"http://blog{f}.example/?p={n}", author=f"Author {f}",
                      description=f"Post {n} of blog {f} is about trams and budgets.",
                      content=f"<p>Post {n} of blog {f} is about trams and budgets.</p>" * 5,
                      categories=["News"], published=epoch + timedelta(hours=n))
                 for n in range(10, 0, -1)]
        (folder / f"f{f}.xml").write_bytes(rss_document(items, title=f"Blog {f}"))


def jitter(interval: float) -> float:
    """The feeds' jitter: 5 s, less for very short intervals (the smoke test)."""
    return min(5.0, interval / 4)


def write_config(path: Path, base: str, feeds: int, interval: float, data_dir: Path) -> None:
    lines = [f"data_dir: {json.dumps(str(data_dir))}", "log_format: json",
             "health:", "  enabled: true", "  port: 0", "feeds:"]
    for f in range(feeds):
        lines += [f"  - name: f{f}", f"    url: {json.dumps(base + f'f{f}.xml')}",
                  f"    interval_seconds: {interval:g}",
                  f"    jitter_seconds: {jitter(interval):g}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def measure(pids: Sequence[int], window: float) -> list[Usage]:
    """RSS and CPU of each process over ``window`` seconds."""
    import psutil

    procs = [psutil.Process(p) for p in pids]
    cpu0 = [sum(p.cpu_times()[:2]) for p in procs]
    peaks = [0.0] * len(procs)
    t0 = time.perf_counter()
    while (left := window - (time.perf_counter() - t0)) > 0:
        for i, p in enumerate(procs):
            peaks[i] = max(peaks[i], p.memory_info().rss / 2**20)
        time.sleep(min(1.0, left))
    wall = time.perf_counter() - t0
    out = []
    for i, p in enumerate(procs):
        rss = p.memory_info().rss / 2**20
        cpu = sum(p.cpu_times()[:2]) - cpu0[i]
        out.append(Usage(rss, max(peaks[i], rss), 100 * cpu / wall, p.num_threads()))
    return out


def _first_polls(log: Path) -> int:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return 0
    return text.count("first run, recorded")


def run_idle(feeds: int = 50, interval: float = 45.0, window: float = 60.0,
             settle: float = 5.0, start_timeout: float = 120.0) -> IdleRun:
    """Start a feed server and ``bot run``; measure the daemon once it is idle."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp_name:
        tmp = Path(tmp_name)
        folder = tmp / "feeds"
        folder.mkdir()
        write_feeds(folder, feeds)
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.fakes.feedserver", "--port", "0", "--dir",
             str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        procs: list[subprocess.Popen[Any]] = [server]
        try:
            assert server.stdout is not None
            base = server.stdout.readline().strip()
            config = tmp / "bot.yaml"
            write_config(config, base, feeds, interval, tmp / "data")
            log = tmp / "bot.log"
            with log.open("wb") as sink:
                t_launch = time.perf_counter()
                daemon = subprocess.Popen([venv_bin("bot"), "--config", str(config), "run"],
                                          cwd=tmp, env=env, stdout=sink, stderr=sink)
                procs.append(daemon)
                idle = subprocess.Popen(
                    [sys.executable, "-c", f"import time; time.sleep({window + 600})"])
                procs.append(idle)
                deadline = time.monotonic() + start_timeout
                while _first_polls(log) < feeds:
                    if daemon.poll() is not None or time.monotonic() > deadline:
                        tail = log.read_text(errors="replace")[-800:]
                        raise RuntimeError(f"the daemon did not poll every feed: {tail}")
                    time.sleep(0.2)
                startup = time.perf_counter() - t_launch
                time.sleep(settle)
                started = datetime.now(UTC)
                usage_daemon, usage_idle = measure([daemon.pid, idle.pid], window)
                polled, errors = _feed_checks(tmp / "data" / "bot.db", started)
                daemon.send_signal(signal.SIGTERM)
                daemon.wait(timeout=60)
        finally:
            for p in reversed(procs):
                if p.poll() is None:
                    p.terminate()
                    try:
                        p.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        p.kill()
    return IdleRun(feeds, interval, window, usage_daemon, usage_idle, polled, errors, startup)


def _feed_checks(db: Path, since: datetime) -> tuple[int, int]:
    """(feeds checked since ``since``, feeds whose last poll failed), read from the ledger."""
    from bot.store import Store

    store = Store(f"sqlite:///{db}")
    try:
        rows = store.list_feeds()
    finally:
        store.close()
    polled = sum(1 for r in rows if r.last_checked_at and r.last_checked_at >= since)
    return polled, sum(1 for r in rows if r.consecutive_errors)


def section(r: IdleRun) -> Section:
    d, b = r.daemon, r.baseline
    sec = Section("idle", "Idle daemon (issue 6, item 6)", data={
        "daemon": vars(d), "baseline": vars(b), "polled_in_window": r.polled_in_window,
        "errors": r.errors, "startup_seconds": r.startup_seconds})
    sec.rows = [
        Row("RSS of `bot run` (end of window)", f"{d.rss_mb:.0f} MB",
            f"idle interpreter {b.rss_mb:.0f} MB", f"{d.rss_mb / b.rss_mb:.1f}×",
            f"< {TARGET_RSS_MB:g} MB", d.rss_mb < TARGET_RSS_MB),
        Row("peak RSS in the window", f"{d.peak_rss_mb:.0f} MB",
            f"idle interpreter {b.peak_rss_mb:.0f} MB", f"{d.peak_rss_mb / b.peak_rss_mb:.1f}×",
            f"< {TARGET_RSS_MB:g} MB", d.peak_rss_mb < TARGET_RSS_MB),
        Row("CPU", f"{d.cpu_pct:.2f}% of a core", f"idle interpreter {b.cpu_pct:.2f}%", "-",
            f"< {TARGET_CPU_PCT:g}%", d.cpu_pct < TARGET_CPU_PCT),
    ]
    sec.notes.append(
        f"{r.feeds} RSS feeds (10 items each) from `tests.fakes.feedserver` in its own "
        f"process, polled every {r.interval:g} s (+ up to {jitter(r.interval):g} s jitter); "
        "the three default "
        "dry-run accounts (dispatch every 5 s), reconcile every 60 s, the SQLite lock "
        "heartbeat every 15 s, the health server on. Measured over "
        f"{r.window:g} s from 5 s after every feed had had its first poll "
        f"({r.startup_seconds:.1f} s after launch): {r.polled_in_window} feeds polled in "
        f"the window (304s), {r.errors} with a failed last poll; {d.threads} threads.")
    return sec


def run(feeds: int = 50, interval: float = 45.0, window: float = 60.0) -> Section:
    return section(run_idle(feeds, interval, window))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", type=int, default=50)
    ap.add_argument("--interval", type=float, default=45.0, help="feed interval, seconds")
    ap.add_argument("--window", type=float, default=60.0, help="measured seconds")
    ns = ap.parse_args(argv)
    sec = run(ns.feeds, ns.interval, ns.window)
    text = sec.markdown()
    print(text)
    print(f"written to {write_result('idle.md', text)}", file=sys.stderr)
    return 0 if sec.met is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
