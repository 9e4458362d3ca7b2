"""poll_many: input order, bounded concurrency, per-feed isolation, callbacks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.config import Feed, Http
from bot.sources.feeds import PollResult, poll_feed, poll_many
from tests.fakes.feedserver import FeedServer, Item, rss_document

HTTP = Http(timeout_seconds=5)


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def test_results_come_back_in_input_order_whatever_finishes_first(srv: FeedServer) -> None:
    jobs: list[tuple[Feed, str | None, str | None]] = []
    for i in range(6):
        # the first feeds answer slowest, so finishing order is the reverse of input order
        srv.serve(f"/f{i}.xml", rss_document([Item(f"item {i}", guid=f"g{i}")]),
                  delay=0.05 * (6 - i))
        jobs.append((Feed(name=f"f{i}", url=srv.url(f"/f{i}.xml")), None, None))
    seen: list[str] = []
    results = poll_many(jobs, HTTP, concurrency=6, on_result=lambda r: seen.append(r.feed))
    assert [r.feed for r in results] == [f"f{i}" for i in range(6)]
    assert [r.items[0].title for r in results] == [f"item {i}" for i in range(6)]
    assert sorted(seen) == sorted(r.feed for r in results)
    assert seen != [r.feed for r in results]  # the callback saw them as they finished


def test_concurrency_is_used_and_bounded(srv: FeedServer) -> None:
    for i in range(12):
        srv.serve(f"/c{i}.xml", rss_document([Item("x", guid="x")]), delay=0.2)
    jobs = [(Feed(name=f"c{i}", url=srv.url(f"/c{i}.xml")), None, None) for i in range(12)]
    results = poll_many(jobs, HTTP, concurrency=4)
    assert all(r.status == "ok" for r in results)
    assert srv.max_in_flight == 4


def test_callback_runs_in_the_calling_thread(srv: FeedServer) -> None:
    srv.add_feed("a")
    threads: set[int] = set()
    poll_many([(Feed(name="a", url=srv.url("/a.xml")), None, None)] * 3, HTTP,
              on_result=lambda r: threads.add(threading.get_ident()))
    assert threads == {threading.get_ident()}


def test_one_bad_feed_does_not_spoil_the_others(srv: FeedServer) -> None:
    doc = srv.add_feed("good", [Item("fine", guid="1")])
    srv.serve_html("/page")
    srv.redirect_loop("/loop")
    first = poll_feed(Feed(name="good", url=srv.url("/good.xml")), HTTP)
    jobs = [
        (Feed(name="page", url=srv.url("/page")), None, None),
        (Feed(name="good", url=srv.url("/good.xml")), first.etag, first.last_modified),
        (Feed(name="loop", url=srv.url("/loop")), None, None),
        (Feed(name="missing", url=srv.url("/nothing.xml")), None, None),
    ]
    results = poll_many(jobs, HTTP, concurrency=2)
    assert [r.status for r in results] == ["error", "not_modified", "error", "error"]
    doc.items.append(Item("more", guid="2"))
    again = poll_many(jobs[1:2], HTTP)
    assert again[0].status == "ok" and len(again[0].items) == 2


def test_no_jobs() -> None:
    assert poll_many([], HTTP) == []


def test_results_are_poll_results(srv: FeedServer) -> None:
    srv.add_feed("one", [Item("x", guid="x")])
    (result,) = poll_many([(Feed(name="one", url=srv.url("/one.xml")), None, None)], HTTP)
    assert isinstance(result, PollResult) and result.elapsed > 0 and result.bytes > 0
