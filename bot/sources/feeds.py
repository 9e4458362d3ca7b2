"""Polling RSS/Atom feeds: conditional GET, feedparser, filters and age limits.

:func:`poll_feed` never raises for a feed problem: it returns a :class:`PollResult` whose
``status`` is ``"ok"``, ``"not_modified"`` (the server answered 304: nothing else was done)
or ``"error"`` with a one-line ``error``. A feed that is not well-formed but still yields
entries is used and ``warning`` says what was wrong with it.
"""

from __future__ import annotations

import io
import logging
import re
import time
import xml.sax
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse, urlsplit, urlunsplit
from urllib.request import url2pathname

import feedparser
import httpx

from bot.config import Feed, Http
from bot.errors import FetchError
from bot.sources.feed_items import FeedItem, html_to_text, item_from_entry
from bot.sources.http import FEED_TYPES, fetch, make_client

__all__ = [
    "FeedItem", "PollResult", "Reader", "feedparser_read", "item_matches", "parse_document",
    "poll_feed", "poll_many", "shared_client", "too_old",
]

log = logging.getLogger(__name__)
Status = Literal["ok", "not_modified", "error"]
Reader = Callable[[bytes, Mapping[str, str]], Mapping[str, Any]]
"""Feed bytes and response headers (lower-case names) to feedparser's result shape
(``entries``, ``feed``, ``version``, ``bozo``…): :func:`feedparser_read`, or another parser
measured against it (``bench/feedparse.py``)."""
_HTML_START = re.compile(rb"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b",
                         re.I | re.S)


@dataclass
class PollResult:
    """What one poll of one feed gave."""

    feed: str
    url: str
    """The URL polled: after redirects when the poll succeeded; never with a password."""
    status: Status
    items: list[FeedItem] = field(default_factory=list)
    """Entries in feed order (newest first, as the feed gives them)."""
    etag: str | None = None
    last_modified: str | None = None
    error: str | None = None
    warning: str | None = None
    elapsed: float = 0.0
    bytes: int = 0
    title: str | None = None
    """The feed's own title (usually the site's name)."""

    @property
    def ok(self) -> bool:
        return self.status != "error"


def poll_feed(feed: Feed, http: Http, *, etag: str | None = None,
              last_modified: str | None = None, client: httpx.Client | None = None,
              read: Reader | None = None) -> PollResult:
    """Poll one feed (an http(s) URL, a file path or a file:// URL); never raises for it.

    ``read``: the parser (default :func:`feedparser_read`).
    """
    started = time.perf_counter()
    try:
        path = local_path(feed.url)
        if path is not None:
            result = _poll_file(feed, http, path, last_modified, read)
        else:
            result = _poll_http(feed, http, etag, last_modified, client, read)
    except Exception as exc:  # a poll must never take the daemon down
        log.warning("unexpected error polling feed %s", feed.name, exc_info=True)
        result = _error(feed, f"unexpected {type(exc).__name__} while polling: {_line(exc)}")
    result.elapsed = time.perf_counter() - started
    return result


def _error(feed: Feed, message: str, *, nbytes: int = 0) -> PollResult:
    return PollResult(feed.name, _public_url(feed.url), "error", error=message, bytes=nbytes)


def _public_url(url: str) -> str:
    """``url`` without any ``user:password@`` part (relative links resolve against it)."""
    if "@" not in url:
        return url  # the common case, without urlsplit's cost (it is paid on every poll)
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def _line(exc: BaseException | str, limit: int = 200) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_path(url: str) -> Path | None:
    """The file a feed's ``url`` names (a path or a file:// URL); None for an address."""
    if url.startswith(("http://", "https://")):
        return None
    scheme = urlparse(url).scheme.lower()
    if scheme == "file":
        return Path(url2pathname(urlparse(url).path))
    if scheme in ("http", "https"):
        return None
    if scheme and len(scheme) > 1:  # not a Windows drive letter
        return None
    return Path(url).expanduser()


def _poll_http(feed: Feed, http: Http, etag: str | None, last_modified: str | None,
               client: httpx.Client | None, read: Reader | None) -> PollResult:
    conditional: dict[str, str] = {}
    if etag:
        conditional["If-None-Match"] = etag
    if last_modified:
        conditional["If-Modified-Since"] = last_modified
    try:
        got = fetch(feed.url, http, accept=FEED_TYPES, headers=conditional, client=client)
    except FetchError as exc:
        return _error(feed, _line(exc))
    headers = dict(got.headers)  # names already lower-case
    new_etag = headers.get("etag")
    new_modified = headers.get("last-modified")
    if got.status == 304:
        return PollResult(feed.name, _public_url(feed.url), "not_modified",
                          etag=new_etag or etag,
                          last_modified=new_modified or last_modified)
    headers.pop("content-encoding", None)
    headers.pop("content-length", None)
    final = _public_url(got.url)
    headers["content-location"] = final
    result = parse_document(feed, final, got.content, headers, read)
    result.etag, result.last_modified = new_etag, new_modified
    return result


def _poll_file(feed: Feed, http: Http, path: Path, last_modified: str | None,
               read: Reader | None) -> PollResult:
    try:
        st = path.stat()
        if not path.is_file():
            return _error(feed, f"feed path is not a file: {path}")
        if st.st_size > http.max_bytes:
            return _error(feed, f"feed file {path} is larger than {http.max_bytes} bytes")
        modified = formatdate(st.st_mtime, usegmt=True)
        if last_modified == modified:
            return PollResult(feed.name, feed.url, "not_modified", last_modified=modified)
        data = path.read_bytes()
    except FileNotFoundError:
        return _error(feed, f"feed file not found: {path}")
    except OSError as exc:
        return _error(feed, f"cannot read feed file {path}: {exc.strerror or _line(exc)}")
    result = parse_document(feed, feed.url, data, {
        "content-location": path.resolve().as_uri(), "content-type": "application/xml",
        "last-modified": modified}, read)
    result.last_modified = modified
    return result


def feedparser_read(data: bytes, headers: Mapping[str, str]) -> Mapping[str, Any]:
    """feedparser over ``data``: no HTML sanitising, no link rewriting inside content.

    FeedItem.html is only ever turned into plain text (trafilatura, html_to_text), never
    shown as HTML; leaving both out halves feedparser's cost.
    """
    result: Mapping[str, Any] = feedparser.parse(
        io.BytesIO(data), response_headers=dict(headers), sanitize_html=False,
        resolve_relative_uris=False)
    return result


def parse_document(feed: Feed, url: str, data: bytes, headers: dict[str, str],
                   read: Reader | None = None) -> PollResult:
    """The feed read from ``data``; an ok result with items, or an error saying why not.

    ``headers``: the response's, lower-cased; ``read``: the parser (default
    :func:`feedparser_read`; ``bench/feedparse.py`` compares others with it through here).
    """
    nbytes = len(data)
    if not data.strip():
        return _error(feed, "feed is empty (the server sent no content)", nbytes=nbytes)
    parsed = (read or feedparser_read)(data, headers)
    entries = parsed.get("entries") or []
    problem = _bozo_reason(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not entries:
        if not parsed.get("version") and _is_html(data, headers):
            return _error(feed, "not a feed: the server returned an HTML page", nbytes=nbytes)
        if problem:
            return _error(feed, f"feed has no entries and could not be parsed: {problem}",
                          nbytes=nbytes)
        if not parsed.get("version"):
            return _error(feed, "not a feed: no RSS or Atom document found", nbytes=nbytes)
    title = str(parsed.get("feed", {}).get("title") or "").strip() or None
    items = [item_from_entry(e, title) for e in entries]
    warning = f"ill-formed feed ({problem}); used the {len(items)} items read" \
        if problem and items else None
    return PollResult(feed.name, url, "ok", items=items, warning=warning, bytes=nbytes,
                      title=title)


def _bozo_reason(exc: object) -> str:
    if isinstance(exc, xml.sax.SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return _line(exc) if isinstance(exc, BaseException) else "not well-formed"


def _is_html(data: bytes, headers: Mapping[str, str]) -> bool:
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml") or bool(_HTML_START.match(data[:4096]))


# -- many feeds at once ------------------------------------------------------------------


def shared_client(http: Http, concurrency: int) -> httpx.Client:
    """One client for many polls, its connection pool sized to ``concurrency``."""
    client = make_client(http.model_copy(update={"concurrency": concurrency}))
    hooks = client.event_hooks
    hooks.setdefault("response", []).append(_finish_not_modified)
    client.event_hooks = hooks
    return client


def _finish_not_modified(response: httpx.Response) -> None:
    """Read a 304's (empty) body at once, so its connection goes back to the pool.

    ``fetch`` returns on a 304 without reading the stream, and httpx closes a connection
    whose response was not read to the end: every 304 would cost a new connection.
    """
    if response.status_code == 304:
        response.read()


def poll_many(jobs: Sequence[tuple[Feed, str | None, str | None]], http: Http, *,
              concurrency: int | None = None,
              on_result: Callable[[PollResult], None] | None = None,
              read: Reader | None = None) -> list[PollResult]:
    """Poll ``(feed, etag, last_modified)`` jobs concurrently; results in input order.

    ``on_result`` is called in the calling thread as each poll finishes (in finishing order);
    ``read`` is the parser (see :func:`poll_feed`).
    """
    if not jobs:
        return []
    workers = max(1, min(concurrency or http.concurrency, len(jobs)))
    results: list[PollResult | None] = [None] * len(jobs)
    with shared_client(http, workers) as client, \
            ThreadPoolExecutor(workers, thread_name_prefix="poll") as pool:
        futures = {pool.submit(poll_feed, feed, http, etag=etag, last_modified=modified,
                               client=client, read=read): i
                   for i, (feed, etag, modified) in enumerate(jobs)}
        for fut in as_completed(futures):
            result = fut.result()
            results[futures[fut]] = result
            if on_result is not None:
                on_result(result)
    return [r for r in results if r is not None]


# -- filters --------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def _keyword_re(word: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(" ".join(word.split())).replace(r"\ ", r"\s+")
                      + r"(?!\w)", re.I)


def _mentions(text: str, words: Sequence[str]) -> str | None:
    for word in words:
        if word.strip() and _keyword_re(word).search(text):
            return word
    return None


def item_matches(feed: Feed, item: FeedItem) -> str | None:
    """None when ``item`` passes the feed's filters, else the reason it does not."""
    cats = {c.casefold(): c for c in item.categories}
    for excluded in feed.exclude_categories:
        if excluded.casefold() in cats:
            return f"excluded category {cats[excluded.casefold()]!r}"
    if feed.include_categories and not any(c.casefold() in cats
                                           for c in feed.include_categories):
        return "no included category"
    if feed.exclude_keywords or feed.include_keywords:
        text = "\n".join(filter(None, (item.title, item.summary,
                                       html_to_text(item.html) if item.html else None)))
        hit = _mentions(text, feed.exclude_keywords)
        if hit is not None:
            return f"excluded keyword {hit!r}"
        if feed.include_keywords and _mentions(text, feed.include_keywords) is None:
            return "no included keyword"
    return None


def too_old(feed: Feed, item: FeedItem, now: datetime) -> bool:
    """True when the item is dated more than ``feed.max_age_hours`` before ``now``.

    Undated items are never too old (the caller treats them as already seen on a first run).
    A naive ``now`` is taken as UTC.
    """
    if item.published is None:
        return False
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now - item.published > timedelta(hours=feed.max_age_hours)
