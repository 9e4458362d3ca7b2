"""The whole desk, as an editor meets it, for the browser tests.

``bot run`` (a real daemon process) with ``web.enabled``, three accounts that require
review — X and Facebook against their fakes, YouTube handing off through a webhook — and a
feed served on loopback with three articles whose images are served there too. The
browser is Debian's ``chromium`` driven by Playwright for Python (no browser download);
the tests skip with the reason when either is missing. Chromium may resolve no host but
127.0.0.1, so a page can never reach the internet.

Screenshots go to a temporary folder, or to ``$DESK_SCREENSHOTS`` (``docs/desk`` for the
README: ``DESK_SCREENSHOTS=docs/desk pytest tests/browser``).
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.adapters.conftest import FB_SECRETS, X_SECRETS
from tests.e2e.cli_helpers import ROOT, bot
from tests.fakes import FakeFacebook, FakeWebhook, FakeX
from tests.fakes.feedserver import FeedServer, Item

CHROMIUM = os.environ.get("DESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]
PASSWORD = "ferry timetable 2026"
TIMEOUT = 30.0


def png(width: int, height: int, top: tuple[int, int, int], bottom: tuple[int, int, int]
        ) -> bytes:
    """A vertical gradient as a PNG (the articles' Open Graph images)."""
    rows = []
    for y in range(height):
        f = y / max(1, height - 1)
        px = bytes(round(a + (b - a) * f) for a, b in zip(top, bottom, strict=True))
        rows.append(b"\x00" + px * width)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b""))


ARTICLES = {
    "ferry": ("The harbour ferry returns after two winters away", ((24, 92, 140), (120, 190, 220)),
              ["The city's harbour ferry will sail again from Monday, two winters after its last "
               "crossing.", "The council bought a second-hand electric boat and trained six new "
               "skippers over the summer.", "Crossings will run every twenty minutes between the "
               "old customs pier and the island market.", "Tickets cost the same as a bus fare."]),
    "library": ("The old library reopens with a reading garden", ((90, 60, 30), (220, 180, 120)),
                ["The town library reopened on Saturday after a two-year renovation that added a "
                 "garden for reading.", "Volunteers planted forty trees and built benches from "
                 "the old shelves.", "Opening hours now run until nine in the evening on "
                 "weekdays.", "Membership stays free for everyone who lives in the county."]),
    "script": ('<script>alert("desk")</script> Market hours change', ((60, 120, 60),
                                                                     (180, 220, 160)),
               ["The covered market will open an hour earlier from next month, traders said.",
                "The change follows a survey in which most shoppers asked for earlier hours.",
                "Stalls selling fish will keep their usual times because of deliveries.",
                "The council will review the new hours after the summer."]),
}


@dataclass
class Stack:
    work: Path
    config: Path
    desk: str
    x: FakeX
    fb: FakeFacebook
    hook: FakeWebhook
    feed: FeedServer
    proc: subprocess.Popen[bytes]
    shots: Path
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    """(article key, account) -> delivery id."""

    def bot(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return bot(*args, cwd=self.work, env={"BOT_CONFIG": str(self.config),
                                              "BOT_SECRETS_DIRS": "/nonexistent"}, stdin=stdin)

    def json(self, *args: str) -> dict[str, Any]:
        res = self.bot(*args, "--json")
        assert res.returncode == 0, res.stderr
        doc: dict[str, Any] = json.loads(res.stdout)
        return doc

    def show(self, key: str, account: str) -> dict[str, Any]:
        return self.json("show", str(self.ids[(key, account)]))

    def log(self) -> str:
        return (self.work / "daemon.log").read_text(encoding="utf-8", errors="replace")


def wait_for(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_config(path: Path, work: Path, feed: FeedServer, x: FakeX, fb: FakeFacebook,
                  hook: FakeWebhook, port: int) -> None:
    review = {"review": "required", "min_spacing_minutes": 0}
    doc = {
        "site_name": "Harbour Gazette",
        "data_dir": str(work / "data"),
        "accounts": [
            {"name": "x", "platform": "twitter", "api_base": x.url,
             "timezone": "Europe/Istanbul", **review},
            {"name": "facebook", "platform": "facebook", "api_base": fb.url,
             "page_id": "1234567890", **review},
            {"name": "youtube", "platform": "youtube", **review},
        ],
        "credentials": {"x": X_SECRETS, "facebook": FB_SECRETS,
                        "youtube": {"webhook_url": hook.hook_url}},
        "feeds": [{"name": "news", "url": feed.url("/news.xml"), "interval_seconds": 1,
                   "jitter_seconds": 0, "fetch_page": "never", "backfill": 10}],
        "health": {"enabled": False},
        "web": {"enabled": True, "host": "127.0.0.1", "port": port,
                "public_url": f"http://127.0.0.1:{port}"},
        "scheduler": {"dispatch_interval_seconds": 0.3, "lease_seconds": 30},
        "http": {"timeout_seconds": 3},
        "log_format": "json",
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _feed_items(feed: FeedServer) -> list[Item]:
    items = []
    now = datetime.now(UTC)
    for i, (key, (title, colours, sentences)) in enumerate(ARTICLES.items()):
        feed.serve(f"/img/{key}.png", png(600, 315, *colours), content_type="image/png")
        items.append(Item(title=title, link=f"https://news.example.org/2026/{key}",
                          guid=key, content="".join(f"<p>{s}</p>" for s in sentences),
                          categories=["Local"], published=now - timedelta(minutes=10 + i),
                          image=feed.url(f"/img/{key}.png")))
    return items


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    work = tmp_path_factory.mktemp("desk")
    shots = Path(os.environ.get("DESK_SCREENSHOTS") or work / "shots")
    if not shots.is_absolute():
        shots = ROOT / shots
    shots.mkdir(parents=True, exist_ok=True)
    with (FakeX(**X_SECRETS) as x, FakeFacebook(**FB_SECRETS) as fb, FakeWebhook() as hook,
          FeedServer() as feed):
        feed.add_feed("news", _feed_items(feed))
        port = _free_port()
        config = work / "bot.yaml"
        _write_config(config, work, feed, x, fb, hook, port)
        st = Stack(work, config, f"http://127.0.0.1:{port}", x, fb, hook, feed,
                   proc=None, shots=shots)  # type: ignore[arg-type]
        res = st.bot("web", "passwd", "editor", "--password-stdin", stdin=PASSWORD.encode())
        assert res.returncode == 0, res.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
        env.update(PYTHONPATH=str(ROOT), BOT_CONFIG=str(config), BOT_SECRETS_DIRS="/nonexistent")
        with open(work / "daemon.log", "wb") as log:
            st.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=work, env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for("the desk to answer", lambda: _answers(st.desk + "/login"))
            queue = wait_for("nine deliveries awaiting review", lambda: _held(st))
            titles = {title: key for key, (title, _, _) in ARTICLES.items()}
            for it in queue:
                st.ids[(titles[it["title"]], it["account"])] = it["id"]
            yield st
        finally:
            st.proc.terminate()
            try:
                st.proc.wait(15)
            except subprocess.TimeoutExpired:
                st.proc.kill()
                st.proc.wait()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _held(st: Stack) -> list[dict[str, Any]] | None:
    res = st.bot("queue", "--json")
    if res.returncode != 0:
        return None
    queue: list[dict[str, Any]] = json.loads(res.stdout)["queue"]
    held = [q for q in queue if q["status"] == "awaiting_review"]
    return held if len(held) == 9 else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} "
                    "(apt-get install -y chromium; .ci/run installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need Playwright for Python (pip install -e '.[test]')")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def signed_in(browser: Any, stack: Stack) -> Iterator[Any]:
    """One browser context (cookies) signed in as the editor, shared by the scenarios."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB",
                              timezone_id="Europe/Istanbul")
    ctx.set_default_timeout(TIMEOUT * 1000)
    page = ctx.new_page()
    page.goto(stack.desk + "/")
    page.fill("input[name=name]", "editor")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(stack.desk + "/")
    page.close()
    yield ctx
    ctx.close()


@pytest.fixture
def page(signed_in: Any) -> Iterator[Any]:
    p = signed_in.new_page()
    dialogs: list[str] = []
    p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    p.dialogs = dialogs
    yield p
    p.close()

