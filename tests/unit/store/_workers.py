"""Code run in separate processes by the ledger's concurrency tests.

Each worker opens its own Store, waits at the barrier so that all start together, does its
work and returns what it got; :func:`run` collects the results (or the errors) of all.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.store import Store

PAUSE = 0.003
"""Seconds a claimer waits between claims, as a dispatcher does while it posts: without
it, one process can take every row before the others are even scheduled, and the race
the test is about would not happen."""


def upgrade(url: str, *, barrier: Any) -> str | None:
    with Store(url) as st:
        barrier.wait(60)
        st.upgrade()
        return st.current_revision()


def add_deliveries(url: str, article_ids: list[str], account: str, now_iso: str, *,
                   barrier: Any) -> list[int]:
    now = datetime.fromisoformat(now_iso)
    created = []
    with Store(url) as st:
        barrier.wait(60)
        for aid in article_ids:
            d = st.add_delivery(article_id=aid, account=account, platform="twitter", text=aid,
                                link=aid, payload={}, next_attempt_at=now, now=now)
            if d is not None:
                created.append(d.id)
    return created


def claim_until_empty(url: str, account: str, owner: str, now_iso: str, spacing: float,
                      cap: int | None, *, barrier: Any) -> list[int]:
    now = datetime.fromisoformat(now_iso)
    got = []
    with Store(url) as st:
        st.ping()  # connect before the start signal
        barrier.wait(60)
        for _ in range(1000):
            d = st.claim_next(account, owner=owner, now=now, lease_seconds=300,
                              min_spacing_seconds=spacing, daily_cap=cap)
            if d is None:
                break
            got.append(d.id)
            time.sleep(PAUSE)
    return got


def claim_in_rounds(url: str, account: str, owner: str, now_iso: str, rounds: int, *,
                    barrier: Any) -> list[tuple[int, float, float]]:
    """Claim once per round, every worker released into each round together by the
    barrier, so that the claims meet however busy the machine is (the OS cannot run one
    worker through the whole queue before the others wake). Returns (delivery id, start,
    end) of each claim, the times on the system-wide monotonic clock."""
    now = datetime.fromisoformat(now_iso)
    got = []
    with Store(url) as st:
        st.ping()
        for _ in range(rounds):
            barrier.wait(60)
            start = time.monotonic()
            d = st.claim_next(account, owner=owner, now=now, lease_seconds=300)
            end = time.monotonic()
            if d is not None:
                got.append((d.id, start, end))
    return got


def claim_feed(url: str, feed: str, owner: str, now_iso: str, *, barrier: Any) -> str | None:
    now = datetime.fromisoformat(now_iso)
    with Store(url) as st:
        st.ping()
        barrier.wait(60)
        won = st.claim_feed_poll(feed, "https://example.org/feed", owner=owner, now=now,
                                 hold_seconds=60)
    return owner if won else None


def _entry(target: Callable[..., Any], args: tuple[Any, ...], barrier: Any, out: Any) -> None:
    try:
        out.put(("ok", target(*args, barrier=barrier)))
    except BaseException:
        barrier.abort()  # release the others instead of leaving them waiting
        out.put(("error", traceback.format_exc(limit=-4)))


def run(target: Callable[..., Any], args_per_proc: list[tuple[Any, ...]],
        timeout: float = 120) -> list[Any]:
    """Run ``target(*args, barrier=...)`` in one process per args tuple; return the results.

    The children come from a fork server that has imported this module once: real,
    separate processes with their own connections, without paying the imports each time.
    Any worker's exception fails the calling test with the worker's message.
    """
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload([__name__])
    barrier = ctx.Barrier(len(args_per_proc))
    out = ctx.Queue()
    procs = [ctx.Process(target=_entry, args=(target, a, barrier, out)) for a in args_per_proc]
    for p in procs:
        p.start()
    try:
        answers = [out.get(timeout=timeout) for _ in procs]
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    errors = [msg for kind, msg in answers if kind == "error"]
    assert not errors, f"a worker process failed: {errors}"
    return [value for _, value in answers]
