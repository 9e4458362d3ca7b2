"""What X's look-ups cost: ``python -m bench.lookup_costs``.

X bills every post a read returns ($0.005, ``read_usd``). Before it sends anything again
(a retry, a crash), the bot looks on X for the earlier attempt; after a duplicate answer it
looks for the earlier post's id. This measures what those look-ups read, with the real
``TwitterAdapter`` (tweepy over real HTTP) against the fake X (``tests.fakes.x.FakeX``,
which pages like X: newest first, ``max_results`` 5-100, ``next_token``, ``start_time``).

The account holds ``--history`` older posts. One of our posts is made but its answer is
lost (a ghost), then others post a backlog of N newer posts (as in the fault suite), and
the look-up runs:

* **bounded** (what the bot does): ``start_time`` = the first attempt less the one-minute
  clock margin, so X returns only the posts made since;
* **unbounded** (the baseline): the same look-up without ``start_time``, pages of 100.

Then a duplicate answer's look-up: the newest 10 posts (what the bot does) against a page
of 100 (the baseline). Every figure is the posts X returned (from the fake's own count) and
their price.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.common import markdown_table, write_result
from bot.adapters.pricing import dollars, micros
from bot.adapters.registry import get_adapter
from bot.adapters.twitter import TwitterAdapter
from bot.config import Account, Credentials, Http, Settings
from bot.errors import Transient
from bot.models import Post
from tests.fakes.x import FakeX

READ_USD = 0.005
MARGIN = timedelta(seconds=60)
SECRETS = {"consumer_key": "bench-ck-0001", "consumer_secret": "bench-cs-0001",
           "access_token": "1001-bench-at", "access_token_secret": "bench-ats-0001"}
LINK = "https://news.example.org/bench/sought"


def _adapter(fake: FakeX) -> TwitterAdapter:
    acc = Account(name="x", platform="twitter", api_base=fake.url)
    settings = Settings(accounts=[acc], credentials={"x": Credentials(**SECRETS)}, feeds=[],
                        http=Http(timeout_seconds=5))
    adapter = get_adapter(acc, settings, dry_run=False)
    assert isinstance(adapter, TwitterAdapter)
    return adapter


def _history(fake: FakeX, n: int) -> None:
    """``n`` posts of the account, the newest an hour old."""
    start = time.time() - 3600 - n * 600
    for i in range(n):
        post = fake.other_post(fake.new_id(), start + i * 600)
        fake.posts.append({**post, "by_others": True})


def _read(fake: FakeX, look: Any) -> tuple[int, int, str]:
    """(posts X returned, pages, the answer) for one look-up."""
    before, pages = fake.items_listed, len(fake.calls("GET", r"/tweets$"))
    try:
        answer = "found" if look() is not None else "not there"
    except Transient:
        answer = "cannot tell"
    return (fake.items_listed - before, len(fake.calls("GET", r"/tweets$")) - pages, answer)


def ghost_lookup(history: int, backlog: int, *, made: bool = True
                 ) -> dict[str, tuple[int, int, str]]:
    """The look-up before a resend, bounded and unbounded, after a ghost (``made``) or a
    reset (nothing made) and a backlog."""
    with FakeX(**SECRETS, others_after_ghost=backlog) as fake:
        _history(fake, history)
        adapter = _adapter(fake)
        first_attempt = datetime.now(UTC)
        fake.expect(action="ghost" if made else "reset", method="POST", path=r"^/2/tweets$")
        text = f"Our story {LINK}"
        post = Post(platform="twitter", account="x", text=text, link=LINK, length=len(text),
                    limit=280, fits=True)
        with contextlib.suppress(Transient):  # the ghost's (or the reset's) lost answer
            adapter.publish(post)
        if not made:
            fake.add_others(backlog)
        return {
            "bounded": _read(fake, lambda: adapter.find_existing(
                LINK, since=first_attempt - MARGIN)),
            "unbounded": _read(fake, lambda: adapter.find_existing(LINK, since=None)),
        }


def duplicate_lookup(history: int) -> dict[str, tuple[int, int, str]]:
    """After a duplicate answer: the newest 10 (the bot) against a page of 100."""
    with FakeX(**SECRETS) as fake:
        _history(fake, history)
        adapter = _adapter(fake)
        return {
            "newest 10": _read(fake, lambda: adapter._look_up(LINK, None, max_pages=1,
                                                               page_size=10)),
            "page of 100": _read(fake, lambda: adapter._look_up(LINK, None, max_pages=1)),
        }


def cost(posts: int) -> str:
    return dollars(posts * micros(READ_USD))


def _rows(history: int, backlogs: Sequence[int], made: bool) -> list[list[object]]:
    rows: list[list[object]] = []
    for backlog in backlogs:
        got = ghost_lookup(history, backlog, made=made)
        (bp, bpages, banswer), (up, upages, uanswer) = got["bounded"], got["unbounded"]
        rows.append([backlog, f"{bp} ({bpages} p.)", cost(bp), banswer,
                     f"{up} ({upages} p.)", cost(up), uanswer,
                     f"{up / bp:.1f}x" if bp else "-"])
    return rows


def run(history: int, backlogs: Sequence[int]) -> str:
    header = ["N newer", "bounded: posts read", "cost", "answer", "unbounded: posts read",
              "cost", "answer", "ratio"]
    dup = duplicate_lookup(history)
    lines = [
        "# X look-up costs", "",
        f"Generated by `python -m bench.lookup_costs` on {datetime.now(UTC):%Y-%m-%d}. "
        f"The account holds {history} older posts; X bills ${READ_USD} per post returned.", "",
        "## The look-up before a resend, after a ghost and N newer posts by others", "",
        markdown_table(header, _rows(history, backlogs, made=True)), "",
        "## The same when the earlier attempt made nothing (a reset)", "",
        markdown_table(header, _rows(history, backlogs, made=False)), "",
        "## After a duplicate answer (the earlier post's id, for the record)", "",
        markdown_table(["read", "posts", "cost"],
                       [[k, v[0], cost(v[0])] for k, v in dup.items()]), "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.lookup_costs",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--history", type=int, default=500, help="older posts on the account")
    ap.add_argument("--backlogs", default="0,10,120,300", help="newer posts after the ghost")
    ns = ap.parse_args(argv)
    text = run(ns.history, [int(b) for b in ns.backlogs.split(",") if b.strip()])
    path = write_result("lookup_costs.md", text)
    print(text)
    print(f"written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
