"""Feed entries (as feedparser reads them) turned into :class:`FeedItem` values."""

from __future__ import annotations

import html as html_mod
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import lxml.etree
import lxml.html

from bot.models import content_hash

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
    "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
})
_DROP_TAGS = ("script", "style", "noscript", "template")
_IMAGE_EXT = re.compile(r"\.(jpe?g|png|gif|webp|avif)(\?|$)", re.I)
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PARAGRAPHS = re.compile(r"\n\s*\n")
_KEYWORD_SCHEMES = ("http://www.itunes.com/", "https://www.itunes.com/")
_MORE_LINK = re.compile(r"""class=["'][^"']*\bmore-link\b|#more-\d+""", re.I)
_CUT_SHORT = re.compile(
    r"(\[\s*(…|\.\.\.)\s*\]|…|\.\.\.|continue reading\W*|read more\W*|read the rest\W*)\s*$",
    re.I)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a polled feed, already reduced to plain values."""

    guid: str | None
    link: str | None
    title: str
    html: str | None
    """The full text as HTML (content:encoded, Atom content) when the feed carries it.

    Not sanitised: turn it into text (trafilatura, :func:`html_to_text`); never show it."""
    summary: str | None
    """The entry's description/summary as plain text."""
    categories: tuple[str, ...]
    author: str | None
    published: datetime | None
    """Aware UTC, from the published date or else the updated date."""
    image: str | None
    content_hash: str
    has_full_content: bool
    feed_title: str | None = None
    """The title of the feed the item came from (the site's name, usually)."""
    language: str | None = None
    """The language the feed declares for the item (``xml:lang``, the channel's
    ``<language>``), as written."""

    @property
    def text(self) -> str:
        """The best plain text the feed gives: the full content, else the summary."""
        if self.html:
            return html_to_text(self.html)
        return self.summary or ""


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment: paragraphs split by blank lines, spaces collapsed."""
    if "<" not in fragment and "&" not in fragment:
        return _tidy(fragment)
    try:
        root = lxml.html.fragment_fromstring(_NOT_XML.sub("", fragment), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _tidy(html_mod.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    for bad in list(root.iter(*_DROP_TAGS)):
        bad.drop_tree()
    for el in root.iter():
        if el.tag == "br":
            el.tail = "\n" + (el.tail or "")
        elif el.tag in _BLOCK_TAGS:
            el.tail = "\n\n" + (el.tail or "")
            el.text = "\n\n" + (el.text or "")
    return _tidy(root.text_content())


def _tidy(text: str) -> str:
    paras = (" ".join(p.split()) for p in _PARAGRAPHS.split(text.replace("\r", "")))
    return "\n\n".join(p for p in paras if p)


def _detail_text(value: str, detail: Mapping[str, Any] | None) -> str:
    if detail is not None and detail.get("type") in HTML_TYPES:
        return html_to_text(value)
    return " ".join(value.split())


def _content_html(entry: Mapping[str, Any]) -> str | None:
    best: str | None = None
    for part in entry.get("content") or ():
        value = (part.get("value") or "").strip()
        if not value:
            continue
        if part.get("type") not in HTML_TYPES:
            value = "".join(f"<p>{html_mod.escape(p)}</p>" for p in value.split("\n\n"))
        if best is None or len(value) > len(best):
            best = value
    return best


def _date(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed"):
        parsed = entry.get(key)
        if parsed:
            try:
                year, month, day, hour, minute, second = parsed[:6]
                return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _author(entry: Mapping[str, Any]) -> str | None:
    names: list[str] = []
    for person in entry.get("authors") or ():
        name = " ".join(str(person.get("name") or "").split())
        if name and name not in names:
            names.append(name)
    if not names:
        detail = entry.get("author_detail") or {}
        name = " ".join(str(detail.get("name") or entry.get("author") or "").split())
        return name or None
    return ", ".join(names)


def _image(entry: Mapping[str, Any]) -> str | None:
    for media in entry.get("media_content") or ():
        url = media.get("url")
        kind = media.get("medium") or media.get("type") or ""
        if url and (kind == "image" or kind.startswith("image/")
                    or (not kind and _IMAGE_EXT.search(url))):
            return str(url)
    for thumb in entry.get("media_thumbnail") or ():
        if thumb.get("url"):
            return str(thumb["url"])
    for enc in entry.get("enclosures") or ():
        if str(enc.get("type") or "").startswith("image/") and enc.get("href"):
            return str(enc["href"])
    return None


def _categories(entry: Mapping[str, Any]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for tag in entry.get("tags") or ():
        if str(tag.get("scheme") or "").startswith(_KEYWORD_SCHEMES):
            continue  # itunes:keywords split into single words: not categories
        term = " ".join(str(tag.get("term") or tag.get("label") or "").split())
        if term and term.casefold() not in seen:
            seen[term.casefold()] = term
    return tuple(seen.values())


def _looks_complete(html: str, text: str) -> bool:
    """False for teasers: a WordPress "more" link, or a short text ending in "[…]"."""
    if not text:
        return False
    # every match of _MORE_LINK contains "more-": the cheap test first (it is 15x faster)
    if "more-" in html.lower() and _MORE_LINK.search(html):
        return False
    return not (len(text) < 1500 and _CUT_SHORT.search(text[-80:]))


def _language(entry: Mapping[str, Any]) -> str | None:
    details = [*(entry.get("content") or ()), entry.get("summary_detail"),
               entry.get("title_detail")]
    for detail in details:
        lang = (detail or {}).get("language")
        if lang and str(lang).strip():
            return str(lang).strip()
    return None


def item_from_entry(entry: Mapping[str, Any], feed_title: str | None = None) -> FeedItem:
    """Reduce one feedparser entry to a :class:`FeedItem`."""
    title = _detail_text(str(entry.get("title") or ""), entry.get("title_detail"))
    summary_raw = str(entry.get("summary") or "")
    summary = _detail_text(summary_raw, entry.get("summary_detail") or {"type": "text/html"})
    html = _content_html(entry)
    text = html_to_text(html) if html else ""
    return FeedItem(
        guid=str(entry.get("id") or "").strip() or None,
        link=str(entry.get("link") or "").strip() or None,
        title=title,
        html=html,
        summary=summary or None,
        categories=_categories(entry),
        author=_author(entry),
        published=_date(entry),
        image=_image(entry),
        content_hash=content_hash(title, text or summary),
        has_full_content=html is not None and _looks_complete(html, text),
        feed_title=" ".join((feed_title or "").split()) or None,
        language=_language(entry),
    )
