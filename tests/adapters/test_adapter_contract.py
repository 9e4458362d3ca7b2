"""The contract every adapter in the registry keeps, checked against its platform's fake.

Each test runs once per adapter registered in ``bot.adapters.registry.ADAPTERS``: a new
adapter is included automatically, and fails here until it has a *fake kit*.

Adding an adapter (Bluesky, Mastodon, ...):

1. Write a fake of the platform in ``tests/fakes/<name>.py`` (subclass
   ``tests.fakes.base.FakeServer``) from the platform's documentation: its list of the
   account's posts newest first, with the documented default and largest page size and
   its own paging cursor (``tests.fakes.base.page_of`` does the slicing), its error bodies,
   its duplicate answer if it has one, and ``other_post`` (a post on the account that the
   bot did not make). Register it in ``tests.fakes.FAKES``.
2. Add a ``FakeKit`` to ``tests.fakes.kits.KITS`` under the registry's name (an adapter with
   another way of publishing adds one more, ``name:mode``): how to start the
   fake (options, the credentials it accepts), the credentials the adapter presents, the
   paths that create a post and list posts, how to make the platform refuse the tokens and
   how to rate-limit it, whether it answers duplicates.

What the contract says (one test each):

* **paging** — a post beyond the first page of the look-up is found; a link on no page is
  None only after every page was read; a read cut short (an error on page 2, more pages
  than ``lookup_max_pages``) is Transient, never None;
* **ghosts** — a post made whose answer was lost (even behind a backlog of newer posts by
  others) is found by ``find_existing``;
* **duplicates** — a platform's duplicate answer is ``AlreadyPosted`` (a success for us);
* **timeouts** → ``Transient``; **refused tokens** → ``AuthError``; **rate limits** →
  ``RateLimited`` with ``retry_after`` — for posting and for looking up.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.registry import ADAPTERS
from bot.errors import AlreadyPosted, AuthError, RateLimited, Transient
from tests.fakes.kits import KITS, FakeKit

LINK = "https://news.example.org/contract/sought"


@pytest.fixture(params=sorted(set(ADAPTERS) | set(KITS)))
def kit(request: pytest.FixtureRequest) -> FakeKit:
    platform = request.param
    if platform not in KITS:
        pytest.fail(f"adapter {platform!r} has no fake kit: add a fake of the platform and a "
                    f"FakeKit to tests/fakes/kits.py (see tests/adapters/test_adapter_contract.py)")
    return KITS[platform]


@pytest.fixture
def fake(kit: FakeKit) -> Iterator[Any]:
    fake = kit.start()
    try:
        yield fake
    finally:
        fake.stop()


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


# --------------------------------------------------------------------------- paging
def test_a_post_beyond_the_first_page_is_found(kit: FakeKit, fake: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    adapter = kit.adapter(fake)
    sent = adapter.publish(kit.post(LINK))
    newer = adapter.lookup_page_size + 20
    fake.add_others(newer)
    with caplog.at_level(logging.INFO, logger="bot.adapters.lookup"):
        found = adapter.find_existing(LINK, since=an_hour_ago())
    assert found is not None and found.remote_id == sent.remote_id
    assert len(fake.calls("GET", kit.list_path)) == 2
    assert fake.items_listed == newer + 1  # read back to it, not a post more
    (rec,) = caplog.records  # what it cost is logged: X bills every post read
    assert (rec.lookup, rec.lookup_posts, rec.lookup_pages, rec.lookup_newer) == (  # type: ignore[attr-defined]
        "found", newer + 1, 2, newer)


def test_not_there_only_after_every_page(kit: FakeKit, fake: Any) -> None:
    adapter = kit.adapter(fake)
    adapter.publish(kit.post("https://news.example.org/contract/other"))
    fake.add_others(2 * adapter.lookup_page_size + 10)
    assert adapter.find_existing(LINK, since=an_hour_ago()) is None
    total = len(fake.posts)
    assert len(fake.calls("GET", kit.list_path)) == math.ceil(total / adapter.lookup_page_size)
    assert fake.items_listed == total


def test_an_error_on_a_later_page_is_transient_never_none(kit: FakeKit, fake: Any) -> None:
    adapter = kit.adapter(fake)
    fake.add_others(adapter.lookup_page_size + 5)
    reply = fake.error_reply("500", None)
    fake.expect(reply.status, reply.body, reply.headers, method="GET", path=kit.list_path,
                after=1)
    with pytest.raises(Transient):
        adapter.find_existing(LINK, since=an_hour_ago())
    assert len(fake.calls("GET", kit.list_path)) == 2


def test_more_pages_than_the_budget_is_transient_never_none(kit: FakeKit, fake: Any) -> None:
    adapter = kit.adapter(fake)
    fake.add_others(adapter.lookup_max_pages * adapter.lookup_page_size + 1)
    with pytest.raises(Transient, match="cannot tell"):
        adapter.find_existing(LINK, since=an_hour_ago())
    assert len(fake.calls("GET", kit.list_path)) == adapter.lookup_max_pages


# --------------------------------------------------------------------------- ghosts
def test_a_ghost_behind_a_backlog_is_found(kit: FakeKit, fake: Any) -> None:
    """Posted, answer lost, then more newer posts than a page: the look-up finds it."""
    adapter = kit.adapter(fake)
    backlog = adapter.lookup_page_size + 20
    fake.configure(others_after_ghost=backlog)
    kit.ghost(fake)
    with pytest.raises(Transient):
        adapter.publish(kit.post(LINK))
    (made,) = kit.ours(fake)  # made once, never re-sent by the HTTP client
    assert len(fake.posts) == 1 + backlog
    found = adapter.find_existing(LINK, since=an_hour_ago())
    assert found is not None and found.remote_id == str(made["id"])


# --------------------------------------------------------------------------- answers
def test_a_duplicate_answer_is_already_posted(kit: FakeKit, fake: Any) -> None:
    if not kit.duplicates:
        pytest.skip(f"{kit.platform} has no duplicate answer (the look-up guards it alone)")
    adapter = kit.adapter(fake)
    first = adapter.publish(kit.post(LINK))
    with pytest.raises(AlreadyPosted) as caught:
        adapter.publish(kit.post(LINK))
    assert caught.value.remote_id in (None, first.remote_id)
    assert len(kit.ours(fake)) == 1


def test_timeouts_are_transient(kit: FakeKit, fake: Any) -> None:
    adapter = kit.adapter(fake, timeout=0.5)
    fake.configure(timeout_sleep=1.0)
    fake.expect(action="timeout", times=100)
    with pytest.raises(Transient, match=r"timed out|failed"):
        adapter.publish(kit.post(LINK))
    with pytest.raises(Transient):
        adapter.find_existing(LINK, since=an_hour_ago())
    assert kit.ours(fake) == []


def test_refused_tokens_are_auth_errors(kit: FakeKit, fake: Any) -> None:
    kit.refuse_tokens(fake)
    adapter = kit.adapter(fake)
    with pytest.raises(AuthError):
        adapter.publish(kit.post(LINK))
    with pytest.raises(AuthError):
        adapter.find_existing(LINK, since=an_hour_ago())
    assert kit.ours(fake) == []


def test_rate_limits_say_how_long_to_wait(kit: FakeKit, fake: Any) -> None:
    adapter = kit.adapter(fake)
    kit.rate_limit(fake)
    for call in (lambda: adapter.publish(kit.post(LINK)),
                 lambda: adapter.find_existing(LINK, since=an_hour_ago())):
        with pytest.raises(RateLimited) as caught:
            call()
        assert caught.value.retry_after is not None and caught.value.retry_after > 0
    assert kit.ours(fake) == []
