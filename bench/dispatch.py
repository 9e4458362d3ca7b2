"""Dispatch under platform limits (issue 6, item 5): ``python -m bench.dispatch``.

A fake X (``tests.fakes.x.FakeX`` over real HTTP on 127.0.0.1, OAuth 1.0a signatures
checked) enforces a scaled-down posting limit, by default 10 posts per 5-second window.
More deliveries are queued in a real SQLite ledger than fit in the measured windows, and
the real dispatch path (``bot.dispatch.dispatch_account`` → ``TwitterAdapter`` → tweepy)
runs in a loop. When a call claims nothing, the loop sleeps until the account's pause
ends (at most 1 s) or 20 ms, as a scheduler that wakes at the pause's end would.

The fake counts posts in fixed windows aligned to the epoch, the way X documents its
15-minute windows, and answers every post with ``x-rate-limit-limit/-remaining/-reset``
(reset in whole Unix seconds); a post over the limit gets a 429 with the same headers.
Two runs on the same server:

* ``headers``: the answers carry the true ``remaining`` count, so the adapter sees the
  window used up and the account is paused until the reset, before any 429;
* ``429 only`` (the baseline): the answers to accepted posts always say plenty is left
  (as the stock fake does), so only a 429 stops the account, for the 429's
  ``x-rate-limit-reset`` plus the policy's margin;
* ``stock``: the stock ``FakeX(rate_limit=...)`` knob as it is, a *sliding* window whose
  answers never report the remaining count (for information: X's windows are fixed).

Figures: posts in the measured windows as a share of what the limit allows, 429s per
window, and lost posts after draining the queue (not sent, sent twice, or missing on the
platform).
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.common import Row, Section, fmt_ratio, write_result
from tests.fakes.records import Recorded, Reply
from tests.fakes.x import FakeX

if TYPE_CHECKING:
    from bot.store import Store

TARGET_SHARE = 0.95
TARGET_429_PER_WINDOW = 1.0
# Made-up OAuth 1.0a credentials shared by the fake and the bot (signatures are checked).
SECRETS = {
    "consumer_key": "bench-consumer-key-0001",
    "consumer_secret": "bench-consumer-secret-0001",
    "access_token": "1001-bench-access-token",
    "access_token_secret": "bench-access-token-secret",
}
LINK = "https://news.example.org/bench/{}"


class CountingX(FakeX):
    """FakeX that keeps its own record of the 429s it answered to posts."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.refused: list[float] = []
        """When a post was answered 429 (the platform's record, whatever the bot made of it)."""

    def create(self, req: Recorded) -> Reply:
        reply = super().create(req)
        if reply.status == 429:
            with self.lock:
                self.refused.append(time.time())
        return reply


class WindowedX(CountingX):
    """FakeX whose post limit works in fixed windows (``limit`` per ``span`` seconds,
    aligned to the epoch) and whose answers to posts report the window truthfully
    (``truthful``) or always claim the whole window is left (429s still tell the truth)."""

    def __init__(self, *, limit: int, span: float, truthful: bool = True, **kw: Any) -> None:
        self.truthful = truthful
        self.used_up: list[float] = []
        """When an accepted post's answer said the window was used up (remaining 0)."""
        super().__init__(rate_limit=(limit, span), **kw)

    def bounds(self, now: float | None = None) -> tuple[float, float]:
        """[start, end) of the window ``now`` falls in."""
        assert self.rate_limit is not None
        span = self.rate_limit[1]
        now = time.time() if now is None else now
        start = math.floor(now / span) * span
        return start, start + span

    def used(self, now: float | None = None) -> int:
        start, end = self.bounds(now)
        with self.lock:
            return sum(1 for p in self.posts if start <= p["created_ts"] < end)

    def rate_limited(self) -> float | None:
        if not self.rate_limit:
            return None
        now = time.time()
        if self.used(now) >= self.rate_limit[0]:
            return self.bounds(now)[1] - now
        return None

    def window_headers(self, *, honest: bool) -> dict[str, str]:
        assert self.rate_limit is not None
        limit = self.rate_limit[0]
        left = max(limit - self.used(), 0) if honest else limit
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(left),
                "x-rate-limit-reset": str(math.ceil(self.bounds()[1]))}

    def create(self, req: Recorded) -> Reply:
        reply = super().create(req)
        if self.rate_limit and reply.status == 201:
            reply.headers.update(self.window_headers(honest=self.truthful))
            if reply.headers["x-rate-limit-remaining"] == "0":
                with self.lock:
                    self.used_up.append(time.time())
        elif self.rate_limit and reply.status == 429:
            reply.headers.update(self.window_headers(honest=True))
        return reply


@dataclass
class DispatchRun:
    mode: str
    limit: int
    span: float
    windows: int
    queued: int
    in_windows: int
    """Posts the platform accepted during the measured windows."""
    rate_limited: int
    """429 answers during the measured windows."""
    rate_limited_total: int
    sent: int
    duplicates: int
    missing: int
    statuses: dict[str, int]
    drain_seconds: float
    requests: list[float] = field(default_factory=list)
    """When the platform received each post request (its own record, 429s included)."""
    refused: list[float] = field(default_factory=list)
    """When the platform answered a post with 429 (its own record)."""
    used_up: int = 0
    """Answers to accepted posts that said the window was used up (``headers`` mode)."""

    def window_of(self, t: float) -> int:
        """The platform's fixed window (its number since the epoch) that time ``t`` falls in."""
        return math.floor(t / self.span)

    def requests_per_window(self) -> Counter[int]:
        return Counter(self.window_of(t) for t in self.requests)

    @property
    def share(self) -> float:
        return self.in_windows / (self.limit * self.windows)

    @property
    def per_window_429(self) -> float:
        return self.rate_limited / self.windows

    @property
    def lost(self) -> int:
        return (self.queued - self.sent) + self.duplicates + self.missing


def _settings(base: str, data_dir: Path) -> Any:
    from bot.config import load_settings

    return load_settings(
        data_dir=data_dir,
        accounts=[{"name": "x", "platform": "twitter", "api_base": base,
                   "min_spacing_minutes": 0}],
        credentials={"x": SECRETS},
        feeds=[],
        http={"timeout_seconds": 5},
        scheduler={"max_attempts": 8, "backoff_base_seconds": 1, "backoff_max_seconds": 5,
                   "lease_seconds": 60},
        health={"enabled": False},
    )


def _queue(store: Any, n: int) -> None:
    from bot.models import Post

    now = datetime.now(UTC)
    for i in range(n):
        link = LINK.format(i)
        text = f"Bench post number {i}: the tram line opens on Monday. {link}"
        post = Post(platform="twitter", account="x", text=text, link=link,
                    length=len(text), limit=280, fits=True)
        store.add_article(id=link, feed=None, guid=None, url=link, title=f"Post {i}",
                          content_hash=f"{i:064x}", published_at=None, payload={}, now=now)
        store.add_delivery(article_id=link, account="x", platform="twitter", text=text,
                           link=link, payload={"post": post.model_dump(mode="json")},
                           next_attempt_at=now, now=now)


def run_dispatch(mode: str = "headers", *, limit: int = 10, span: float = 5.0,
                 windows: int = 6, extra_windows: int = 2, tick: float = 0.02) -> DispatchRun:
    """Queue ``limit * (windows + extra_windows)`` posts and send them through the real
    dispatch path against a rate-limited fake X; see the module docstring."""
    from bot.dispatch import dispatch_account
    from bot.store import DeliveryStatus, Store, make_owner

    queued = limit * (windows + extra_windows)
    fake: CountingX
    if mode == "stock":
        fake = CountingX(rate_limit=(limit, span), **SECRETS)
    else:
        fake = WindowedX(limit=limit, span=span, truthful=(mode == "headers"), **SECRETS)
    with tempfile.TemporaryDirectory(prefix="bench-dispatch-") as tmp, fake:
        settings = _settings(fake.url, Path(tmp))
        account = settings.account("x")
        store = Store(settings.db_url)
        store.upgrade()
        try:
            _queue(store, queued)
            owner = make_owner()
            # Start at a window boundary: every measured window is a whole one (counted
            # from the boundary itself, however late a busy machine wakes us).
            t0 = math.floor(time.time() / span) * span + span
            time.sleep(max(0.0, t0 - time.time()))
            t_end = t0 + windows * span
            deadline = t_end + (extra_windows + 4) * span + 30
            statuses: Counter[str] = Counter()
            limited_in_windows = 0
            while time.time() < deadline:
                outcomes = dispatch_account(settings, store, account, owner=owner, limit=limit)
                for o in outcomes:
                    statuses[o.status] += 1
                    if o.status == "rate_limited" and time.time() < t_end:
                        limited_in_windows += 1
                if statuses["sent"] + statuses["already_sent"] >= queued:
                    break
                if not outcomes:
                    time.sleep(_idle(store, tick))
            drained = time.time() - t0
            sent_rows = store.list_deliveries(account="x", status=DeliveryStatus.SENT,
                                              limit=queued + 10)
        finally:
            store.close()
        with fake.lock:
            posts = list(fake.posts)
            refused = list(fake.refused)
            used_up = len(fake.used_up) if isinstance(fake, WindowedX) else 0
        requests = [r.at for r in fake.calls("POST", "^/2/tweets$")]
    texts = Counter(p["text"] for p in posts)
    remote = {p["id"] for p in posts}
    return DispatchRun(
        mode=mode, limit=limit, span=span, windows=windows, queued=queued,
        in_windows=sum(1 for p in posts if t0 <= p["created_ts"] < t_end),
        rate_limited=limited_in_windows, rate_limited_total=statuses["rate_limited"],
        sent=len(sent_rows), duplicates=sum(n - 1 for n in texts.values()),
        missing=sum(1 for r in sent_rows if r.remote_id not in remote),
        statuses=dict(statuses), drain_seconds=drained,
        requests=requests, refused=refused, used_up=used_up,
    )


def _idle(store: Store, tick: float) -> float:
    """How long to sleep when nothing was claimable: until the pause ends (≤ 1 s), else tick."""
    state = store.get_account_state("x")
    if state is not None and state.paused and state.paused_until is not None:
        left = (state.paused_until - datetime.now(UTC)).total_seconds()
        return min(max(left, 0.0) + 0.001, 1.0)
    return tick


def section(runs: dict[str, DispatchRun]) -> Section:
    ours = runs["headers"]
    base = runs.get("429 only")
    allowed = f"{ours.limit} per {ours.span:g} s"
    sec = Section("dispatch", "Dispatch under platform limits (issue 6, item 5)",
                  data={k: vars(v) | {"share": v.share, "lost": v.lost} for k, v in runs.items()})

    def base_of(value: str) -> str:
        return f"429 only: {value}" if base is not None else "-"

    sec.rows = [
        Row("posting rate, share of the allowed rate", f"{100 * ours.share:.1f}%",
            base_of(f"{100 * base.share:.1f}%") if base else "-",
            fmt_ratio(ours.share / base.share) if base and base.share else "-",
            f"≥ {100 * TARGET_SHARE:g}%", ours.share >= TARGET_SHARE),
        Row("429 answers per window", f"{ours.per_window_429:.2f}",
            base_of(f"{base.per_window_429:.2f}") if base else "-", "-",
            f"≤ {TARGET_429_PER_WINDOW:g}", ours.per_window_429 <= TARGET_429_PER_WINDOW),
        Row("lost posts (not sent, sent twice, or missing)", str(ours.lost),
            base_of(str(base.lost)) if base else "-", "-", "0", ours.lost == 0),
    ]
    stock = runs.get("stock")
    if stock is not None:
        sec.rows.append(Row(
            "posting rate against the stock fake's knob (sliding window, no remaining count)",
            f"{100 * stock.share:.1f}%", "-", "-", "-"))
    for r in runs.values():
        sec.notes.append(
            f"`{r.mode}`: limit {allowed} (allowed {r.limit * r.windows} posts in "
            f"{r.windows} windows), {r.in_windows} posted in them, "
            f"{r.rate_limited} 429s in them ({r.rate_limited_total} in all); "
            f"{r.queued} queued, {r.sent} sent, {r.duplicates} duplicates, {r.missing} "
            f"missing on the platform; queue drained in {r.drain_seconds:.1f} s; "
            f"outcomes {dict(sorted(r.statuses.items()))}.")
    sec.notes.append(
        "Loop: `dispatch_account(..., limit=10)` again at once after posting; when nothing "
        "is claimable, sleep until the account's pause ends (at most 1 s) or 20 ms. The "
        "daemon calls the same function every `scheduler.dispatch_interval_seconds` (5 s) "
        "with `limit=5`, so it resumes up to 5 s after a reset and sends at most 5 posts "
        "per account per run: plenty for X's real 100 per 15 minutes, not for this "
        "scaled-down window.")
    return sec


def run(limit: int = 10, span: float = 5.0, windows: int = 6, baseline: bool = True) -> Section:
    quiet = logging.getLogger("bot")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "rate limited, next try at …" is the expected path here
    try:
        runs = {"headers": run_dispatch("headers", limit=limit, span=span, windows=windows)}
        if baseline:
            runs["429 only"] = run_dispatch("429 only", limit=limit, span=span, windows=windows)
            runs["stock"] = run_dispatch("stock", limit=limit, span=span, windows=windows)
    finally:
        quiet.setLevel(level)
    return section(runs)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.dispatch",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=10, help="posts per window")
    ap.add_argument("--span", type=float, default=5.0, help="window length, seconds")
    ap.add_argument("--windows", type=int, default=6, help="windows measured")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip the 429-only and stock-fake runs")
    ns = ap.parse_args(argv)
    sec = run(ns.limit, ns.span, ns.windows, baseline=not ns.no_baseline)
    text = sec.markdown()
    print(text)
    print(f"written to {write_result('dispatch.md', text)}", file=sys.stderr)
    return 0 if sec.met is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
