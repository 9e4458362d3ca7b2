"""What every adapter's look-up (``find_existing``) shares: the page budget, the counts, the log.

A look-up answers "is this link already on the account?" by reading the account's posts
newest first, page by page, back to ``since`` (the first attempt's time). It has three
answers and only three: found, not there (every page of the window was read), or cannot
tell (:class:`bot.errors.Transient`, or the vendor's RateLimited/AuthError). A read cut
short — an error on page 3, more pages than ``Adapter.lookup_max_pages`` — is never "not
there": that is how a post ends up on a platform twice.

Reads cost money on X ($0.005 per post returned), so each look-up logs what it read (extras
``lookup_posts``, ``lookup_pages``, ``lookup`` — the outcome — and ``lookup_newer``, the
posts that stood before the one found).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from bot.errors import AlreadyPosted, Rejected, Transient

if TYPE_CHECKING:
    from bot.adapters.base import Adapter, PublishResult

log = logging.getLogger("bot.adapters.lookup")


class Lookup:
    """One look-up: counts pages and posts, enforces the page budget, logs the outcome."""

    def __init__(self, adapter: Adapter, link: str, since: datetime | None,
                 *, max_pages: int | None = None) -> None:
        self.adapter = adapter
        self.where = adapter.where
        self.account = adapter.account.name
        self.link = link
        self.since = since
        self.page_size = adapter.lookup_page_size
        self.max_pages = max_pages if max_pages is not None else adapter.lookup_max_pages
        self.pages = 0
        self.posts = 0
        self.page_start = 0
        self.newer: int | None = None
        """How many posts stood before the one found (newer than it)."""

    def next_page(self) -> None:
        """Count the page about to be read; Transient when the budget is spent."""
        if self.pages >= self.max_pages:
            window = f" since {self.since.isoformat(timespec='seconds')}" if self.since else ""
            self._log("cannot tell", logging.WARNING)
            raise Transient(
                f"{self.where}: cannot tell whether {self.link} was posted: read {self.posts} "
                f"posts{window} in {self.pages} pages (the most a look-up reads) and more remain"
            )
        self.pages += 1

    def read(self, n: int) -> None:
        """Count the ``n`` posts of the page just read (also on the adapter's ``posts_read``,
        which :func:`bot.budget.record_reads` turns into spend where reads are billed)."""
        self.page_start = self.posts
        self.posts += n
        self.adapter.posts_read += n

    def found(self, result: PublishResult, index: int) -> PublishResult:
        """The post at ``index`` of the page just read is the one sought."""
        self.newer = self.page_start + index
        self._log("found")
        return result

    def absent(self) -> PublishResult | None:
        """None: the whole window was read and the link is not there."""
        self._log("not there")
        return None

    def _log(self, outcome: str, level: int = logging.INFO) -> None:
        log.log(level, "%s: looked for %s among %d posts (%d pages): %s", self.where, self.link,
                self.posts, self.pages, outcome,
                extra={"account": self.account, "lookup_posts": self.posts,
                       "lookup_pages": self.pages, "lookup": outcome,
                       "lookup_newer": self.newer})

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Around the whole read: a refusal means "cannot tell", never "not there" (timeouts,
        5xx, rate limits and refused tokens pass through as the adapter raised them)."""
        try:
            yield
        except (Rejected, AlreadyPosted) as exc:
            raise Transient(f"cannot tell whether it was posted: {exc}") from exc
