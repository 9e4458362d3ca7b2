"""The editor's desk queue page (issue 11, item 6): ``python -m bench.desk``.

A SQLite ledger with ``--deliveries`` (1,000) rendered deliveries — articles rendered for
the three default accounts, three in five awaiting review, the rest pending — and ``bot web``
serving it in its own process. ``GET /`` (the whole queue, every post previewed) is fetched
over HTTP by a signed-in client, ``--repeat`` times after a warm-up; the table shows the
median, the 90th percentile and the first request after start. Same-run baseline: reading
the same rows from the ledger (``Store.queue``), the floor any page showing them pays. The
notes break the page down (ledger read, desk items, template rendering) and give its size.

Target: the page in under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import ROOT, Row, Section, fmt_ms, fmt_ratio, percentile, write_result

TARGET_S = 0.200
PASSWORD = "benchmark passphrase"


def seed(store: Any, settings: Any, n: int) -> int:
    """``n`` deliveries of rendered posts; returns how many await review."""
    from bot.models import Article
    from bot.pipeline import prepare_article
    from bot.store import DeliveryStatus, delivery_payload

    now = datetime.now(UTC)
    made = waiting = 0
    i = 0
    while made < n:
        link = f"https://news.example.org/2026/story-{i}"
        art = Article(title=f"Story {i}: the harbour ferry timetable changes again", url=link,
                      image=f"https://news.example.org/img/{i}.jpg",
                      text=f"Story {i}. The city's harbour ferry will sail again from Monday, "
                           "two winters after its last crossing. The council bought an electric "
                           "boat and trained six new skippers over the summer. Crossings will "
                           "run every twenty minutes between the pier and the market.")
        store.add_article(id=link, feed="news", guid=None, url=link, title=art.title,
                          content_hash=art.content_hash, published_at=None, payload={},
                          now=now)
        for post in prepare_article(art, settings, settings.accounts).posts:
            if made == n:
                break
            held = made % 5 < 3
            status = DeliveryStatus.AWAITING_REVIEW if held else DeliveryStatus.PENDING
            store.add_delivery(article_id=link, account=post.account, platform=post.platform,
                               text=post.text, link=post.link,
                               payload=delivery_payload(post, art), status=status,
                               next_attempt_at=now + timedelta(minutes=made), now=now)
            made += 1
            waiting += held
        i += 1
    return waiting


def timed(fn: Callable[[], object], repeat: int, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def _serve(data: Path, env_extra: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``bot web`` in its own process (as in production: the browser is another process)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    env.update(BOT_DATA_DIR=str(data), BOT_SECRETS_DIRS="/nonexistent", BOT_LOG_LEVEL="WARNING",
               PYTHONPATH=str(ROOT), **env_extra)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)],
                            cwd=data, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("bot web did not answer within 60 s")


def measure(deliveries: int = 1000, repeat: int = 20) -> dict[str, Any]:
    import httpx

    from bot.config import load_settings
    from bot.desk import queue
    from bot.store import Store
    from bot.web.render import make_templates
    from bot.web.security import User, hash_password

    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        data = Path(tmp)
        hashed = hash_password(PASSWORD)
        settings = load_settings(data_dir=data, feeds=[])
        store = Store(settings.db_url)
        store.upgrade()
        waiting = seed(store, settings, deliveries)
        proc, url = _serve(data, {"BOT_WEB__USERS": json.dumps({"editor": hashed}),
                                  "BOT_WEB__SESSION_SECRET": "bench-" * 8,
                                  "BOT_FEEDS": "[]"})
        try:
            with httpx.Client(base_url=url, timeout=30) as client:
                login = client.get("/login").text
                token = login.split('name="csrf" value="', 1)[1].split('"', 1)[0]
                client.post("/login", data={"name": "editor", "password": PASSWORD,
                                            "csrf": token, "next": "/"})
                t0 = time.perf_counter()
                page = client.get("/")
                cold = time.perf_counter() - t0
                assert page.status_code == 200, page.status_code
                shown = page.text.count('<article class="item')
                page_s = timed(lambda: client.get("/").raise_for_status(), repeat)
        finally:
            proc.terminate()
            proc.wait(15)
        query_s = timed(lambda: store.queue(limit=deliveries), repeat)
        items = queue(settings, store, limit=deliveries)
        items_s = timed(lambda: queue(settings, store, limit=deliveries), repeat)
        template = make_templates().get_template("queue.html")
        ctx = {"items": items, "waiting": waiting, "upcoming": len(items) - waiting,
               "account": None, "accounts": settings.account_names, "limit": deliveries,
               "here": "/", "user": User("editor", "editor"), "csrf": "x" * 43,
               "site_name": "Bench", "flashes": [], "request": None}
        render_cold = timed(lambda: template.render(ctx), 1, warmup=0)
        render_s = timed(lambda: template.render(ctx), repeat)
        store.close()
    return {"load": load, "deliveries": deliveries, "shown": shown, "waiting": waiting,
            "bytes": len(page.content), "page": page_s, "cold": cold, "query": query_s,
            "items": items_s, "render": render_s, "render_cold": render_cold[0]}


def section(m: dict[str, Any]) -> Section:
    page, query = statistics.median(m["page"]), statistics.median(m["query"])
    sec = Section("desk", "Editor's desk: the queue page")
    sec.rows.append(Row(f"GET / with {m['deliveries']:,} deliveries: median", fmt_ms(page),
                        f"ledger read {fmt_ms(query)}", fmt_ratio(page / query),
                        f"< {TARGET_S * 1000:.0f} ms", page < TARGET_S))
    sec.rows.append(Row("GET /: p90", fmt_ms(percentile(m["page"], 0.9)),
                        f"ledger read {fmt_ms(percentile(m['query'], 0.9))}",
                        fmt_ratio(percentile(m["page"], 0.9) / percentile(m["query"], 0.9))))
    sec.rows.append(Row("GET /: the first request after start", fmt_ms(m["cold"]),
                        f"ledger read {fmt_ms(query)}", fmt_ratio(m["cold"] / query)))
    load = ", ".join(f"{x:.1f}" for x in m["load"])
    sec.notes += [
        f"Load average (1, 5, 15 min) at start: {load} on {os.cpu_count()} cores; other jobs "
        "share the machine, so the wall times here move with them (the ratios less so).",
        f"{m['shown']:,} posts on the page ({m['waiting']:,} awaiting review), each previewed "
        f"as its platform shows it with its decision forms; {m['bytes'] / 1024:.0f} KiB of HTML.",
        "`bot web` in its own process (uvicorn), fetched over HTTP on loopback by a signed-in "
        "httpx client (the session cookie checked on every request); median of "
        f"{len(m['page'])} requests after 2 untimed ones.",
        f"Break-down (medians, in this process): ledger read {fmt_ms(query)}, rows to desk "
        f"items {fmt_ms(statistics.median(m['items']))} (ledger read included), Jinja2 "
        f"rendering {fmt_ms(statistics.median(m['render']))} (the first render, before the "
        f"per-item memo is warm: {fmt_ms(m['render_cold'])}).",
    ]
    return sec


def run(deliveries: int = 1000, repeat: int = 20) -> Section:
    return section(measure(deliveries, repeat))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.desk", description=__doc__.splitlines()[0])
    ap.add_argument("--deliveries", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=20)
    ns = ap.parse_args(argv)
    sec = run(ns.deliveries, ns.repeat)
    text = sec.markdown()
    print(text)
    print(f"written to {write_result('desk.md', text)}", file=sys.stderr)
    return 0 if sec.met is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
