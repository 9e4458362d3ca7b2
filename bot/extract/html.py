"""HTML pages through trafilatura: the article text and its metadata in one pass.

``favor_precision=True`` was measured best on the article-extraction corpus (mean
token-shingle F1 0.960 vs 0.954 with the defaults, 181 pages). Reader comments are
excluded. trafilatura is imported lazily: it takes a noticeable time to load.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from bot.errors import ExtractError
from bot.extract.text import (
    drop_leading_title,
    merge_tags,
    normalize_ws,
    one_line,
    parse_date,
    primary_language,
    title_from_body,
)
from bot.extract.title import clean_title, is_slug
from bot.models import Article

if TYPE_CHECKING:
    from bot.sources.inputs import RawInput

_HTML_LANG = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)""", re.I)
MIN_WORDS = 8
"""Fewer words than this is a menu or a stub (trafilatura's fallbacks return such
scraps for pages without an article), not article text."""
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b(rel|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_DATE_PARAMS: dict[str, Any] = {
    "original_date": True,  # the publication date, not the last update
    "extensive_search": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",  # keep the time and offset when the page has them
}


def _absolute(link: str | None, base: str | None) -> str | None:
    if not link:
        return None
    link = link.strip()
    if base:
        link = urljoin(base, link)
    return link if urlsplit(link).scheme in ("http", "https") else None


def _canonical_link(html: str) -> str | None:
    """``<link rel="canonical" href>`` as written (trafilatura skips relative ones)."""
    for tag in _LINK_TAG.findall(html[:200_000]):
        attrs = {m.group(1).lower(): m.group(2) or m.group(3) or m.group(4) or ""
                 for m in _ATTR.finditer(tag)}
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href"):
            return attrs["href"]
    return None


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    return ".".join(host.split(".")[-2:])


def page_url(canonical: str | None, og_url: str | None, base: str | None) -> str | None:
    """The article's link: ``<link rel=canonical>`` first (the page's own statement of its
    address; ``og:url`` is often a share or syndication address), then ``og:url``, then
    where the page was fetched from. An http link is upgraded when another of the three
    gives the same address over https: a link is never downgraded."""
    chosen = canonical or og_url or base
    if not chosen:
        return None
    if chosen.startswith("http://"):
        rest = chosen[len("http://"):]
        path = rest.split("/", 1)[-1]
        for other in (canonical, og_url, base):
            if (other and other.startswith("https://") and _site(other) == _site(chosen)
                    and other[len("https://"):].split("/", 1)[-1] == path):
                return "https://" + rest
    return chosen


def extract_html(raw: RawInput, *, base_url: str | None = None) -> Article:
    """Run trafilatura over ``raw.content``; ExtractError when there is no article text.

    Relative links (canonical, og:image) resolve against ``raw.url``, else ``base_url``
    (the ``--url`` given for a saved page); without either they are left out.
    """
    base = raw.url or base_url
    import trafilatura
    from trafilatura.settings import Document

    try:
        doc = trafilatura.bare_extraction(
            raw.content,
            url=base,
            with_metadata=True,
            include_comments=False,
            favor_precision=True,
            date_extraction_params=dict(_DATE_PARAMS),
        )
    except Exception as exc:  # vendor boundary: parser failures of any kind
        raise ExtractError(
            f"cannot parse the HTML of {raw.origin} ({exc.__class__.__name__})") from exc
    body = doc.text if isinstance(doc, Document) else None
    if not isinstance(doc, Document) or not body or len(body.split()) < MIN_WORDS:
        raise ExtractError(f"no article text found in {raw.origin}")
    # trafilatura puts one block (paragraph, heading, list item) per line.
    text = normalize_ws("\n\n".join(body.split("\n")))
    title = one_line(doc.title or "")
    if title:
        text = drop_leading_title(title, text)
    else:
        title, text = title_from_body(text)
    lang_match = _HTML_LANG.search(raw.content[:20000])
    url = page_url(_absolute(_canonical_link(raw.content), base), _absolute(doc.url, base), base)
    site = one_line(doc.sitename) if doc.sitename else None
    title = clean_title(title, site_name=site, url=url,
                        labels=[*(doc.categories or []), *(doc.tags or [])])
    if is_slug(title, url):
        title, text = title_from_body(text)
    return Article(
        source=raw.origin,
        title=title,
        text=text,
        url=url,
        author=one_line(doc.author) if doc.author else None,
        published=parse_date(doc.date),
        image=_absolute(doc.image, base),
        tags=merge_tags(doc.tags or [], doc.categories or []),
        language=primary_language(doc.language)
        or primary_language(lang_match.group(1) if lang_match else None),
        site_name=site,
    )
