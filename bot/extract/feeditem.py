"""A feed item turned into an :class:`~bot.models.Article`.

Where the text comes from depends on ``feed.fetch_page``:

* ``never`` — the item's full content (content:encoded / Atom content), else its summary;
* ``auto`` — the full content when the feed carries it, else the article page; when the
  page cannot be fetched or read, the feed's own text (a short text beats none);
* ``always`` — the article page; a failure raises.

Feed HTML goes through :func:`bot.extract.extract` like any page (trafilatura, then
boilerplate removal). Trafilatura sometimes gives up on a bare fragment or keeps only a
part of it; then the fragment is converted to plain text and cleaned instead.
"""

from __future__ import annotations

import html as html_mod
import logging
from collections.abc import Callable

from bot.config import Feed, Settings
from bot.errors import ExtractError, SourceError
from bot.extract import clean, extract
from bot.extract.language import with_language
from bot.extract.text import primary_language
from bot.models import Article
from bot.sources.feed_items import FeedItem, html_to_text
from bot.sources.inputs import RawInput, read_input

log = logging.getLogger(__name__)

FetchPage = Callable[[str], RawInput]
_KEEP_RATIO = 0.5
"""Trafilatura's text must keep at least this share of a feed fragment's plain text."""


def article_from_item(item: FeedItem, feed: Feed, settings: Settings, *,
                      fetch_page: FetchPage | None = None) -> Article:
    """The article behind ``item``; raises ExtractError/SourceError when there is none."""
    site = item.feed_title or settings.site_name
    use_feed = feed.fetch_page == "never" or (feed.fetch_page == "auto" and item.has_full_content)
    if use_feed:
        return _from_feed(item, feed, settings, site)
    if not item.link:
        if feed.fetch_page == "always":
            raise SourceError(f"feed {feed.name}: item {item.title!r} has no link to fetch")
        return _from_feed(item, feed, settings, site, note="the item has no link")
    fetch = fetch_page or (lambda link: read_input(link, settings.http))
    try:
        raw = fetch(item.link)
        page = extract(raw, boilerplate=settings.boilerplate, site_name=site)
    except (SourceError, ExtractError) as exc:
        if feed.fetch_page == "always":
            raise
        log.warning("feed %s: page %s failed (%s); using the feed's text", feed.name,
                    item.link, exc)
        return _from_feed(item, feed, settings, site, note=f"page failed: {exc}")
    return _merge(page, item, site, url=page.url or item.link)


def _from_feed(item: FeedItem, feed: Feed, settings: Settings, site: str,
               note: str | None = None) -> Article:
    origin = f"feed:{feed.name}"
    if note:
        origin += f" (feed text only; {note})"
    text = ""
    if item.html:
        text = _fragment_text(item, settings, site, origin)
    if not text and item.summary:
        text = _clean(item.summary, settings)
    if not text:
        name = repr(item.title or item.link or item.guid or "without title or link")
        raise ExtractError(f"feed {feed.name}: item {name} has no text")
    title = item.title or text.split("\n", 1)[0][:120]
    article = Article(title=title, text=text, source=origin, url=item.link)
    return _merge(article, item, site, url=item.link)


def _fragment_text(item: FeedItem, settings: Settings, site: str, origin: str) -> str:
    """The fragment through extract(); plain-text conversion when that fails or loses text."""
    assert item.html is not None
    plain = _clean(html_to_text(item.html), settings)
    page = (f"<html><head><title>{html_mod.escape(item.title)}</title></head>"
            f"<body><article>{item.html}</article></body></html>")
    try:
        extracted = extract(RawInput("html", page, origin, item.link),
                            boilerplate=settings.boilerplate, url=item.link, site_name=site)
    except ExtractError:
        return plain
    if len(extracted.text) < _KEEP_RATIO * len(plain):
        return plain
    return extracted.text


def _clean(text: str, settings: Settings) -> str:
    return clean(text, settings.boilerplate).strip()


def _merge(article: Article, item: FeedItem, site: str, *, url: str | None) -> Article:
    """Fill what the extracted article lacks from the feed item; decide the language (the
    feed's declared one, as strong as a page's ``lang``)."""
    declared = primary_language(item.language)
    if declared:
        article = with_language(article.model_copy(update={"language": declared}), "feed")
    elif not article.language:
        article = with_language(article)
    return article.model_copy(update={
        "title": article.title or item.title,
        "url": url,
        "author": article.author or item.author,
        # a feed's date is exact; a date read from a page is often only a day
        "published": item.published or article.published,
        "tags": article.tags or list(item.categories),
        "image": article.image or item.image,
        "guid": item.guid,
        "site_name": site,
    })
