"""Is a feed document one that feedparser-rs reads as feedparser does?

:func:`inspect_document` reads the document once with expat (the XML parser feedparser
itself tries first; two small Python callbacks per element) and answers ``"rss20"`` or
``"atom10"`` only when nothing in it is known, or likely, to be read differently by the
two parsers. Every rule below comes from a difference seen on the feedparser and WordPress
corpora, on hand-made documents or on generated ones (``python -m bench.feedparse`` and
``tests/unit/test_bench_fastread.py``); anything it is unsure of gets None, and the
caller uses feedparser. A wrong None costs speed only.
"""

from __future__ import annotations

import pyexpat
from dataclasses import dataclass

__all__ = ["Inspection", "inspect_document"]

ATOM = "http://www.w3.org/2005/Atom"
_DC = "http://purl.org/dc/elements/1.1/"
_MEDIA = "http://search.yahoo.com/mrss/"
ENTRY_NAMESPACES = frozenset({
    "", ATOM, _DC, _MEDIA,
    "http://purl.org/rss/1.0/modules/content/",
    "http://wellformedweb.org/CommentAPI/",
    "http://purl.org/rss/1.0/modules/slash/",
    "http://purl.org/syndication/thread/1.0",
    "http://rssnamespace.org/feedburner/ext/1.0",
})
"""Namespaces whose elements inside an item both parsers were seen to read alike
(no iTunes: feedparser makes authors and categories of its tags; no dcterms: dates)."""
_REPEATABLE = frozenset({"category", f"{ATOM} category", "enclosure", f"{ATOM} link",
                         f"{_MEDIA} content", f"{_MEDIA} thumbnail"})
"""Children an item may have more than once: of other repeated ones (two titles, two
authors, two dates…) feedparser keeps the first or all, feedparser-rs the last."""
_SELF_CLOSING = frozenset({"enclosure", f"{ATOM} link", f"{ATOM} category",
                           f"{_MEDIA} content", f"{_MEDIA} thumbnail"})
"""Elements that may be written ``<x …/>``: after any other empty-element tag in an item
(``<category />``, ``<comments/>``, ``<title/>``) feedparser-rs loses the next element."""
_TEXT_TYPES = frozenset({"text", "html", "text/plain", "text/html"})
_TYPED = frozenset({"enclosure", f"{ATOM} link", f"{_MEDIA} content", f"{_MEDIA} thumbnail"})
"""Elements whose ``type`` attribute is a media type, not the type of their text."""
_ATOM_LINK = f"{ATOM} link"
_ATOM_TEXT = {f"{ATOM} title": "title", f"{ATOM} summary": "summary"}
_ENTRY = {"rss20": "item", "atom10": f"{ATOM} entry"}
_OWN_CHILDREN = {
    "rss20": frozenset({"title", "link", "description", "author", "category", "comments",
                        "enclosure", "guid", "pubDate", "source", _ATOM_LINK}),
    "atom10": frozenset(f"{ATOM} {n}" for n in (
        "id", "title", "link", "updated", "published", "author", "contributor", "category",
        "content", "summary", "rights", "source")),
}
"""An item's children in its own format's namespace (and atom:link in RSS): those of the
specification. feedparser reads other names too (an RSS ``<updated>`` is a date to it)."""
_OWN_NAMESPACE = {"rss20": "", "atom10": ATOM}


@dataclass(frozen=True)
class Inspection:
    """What a plain, well-formed feed document is."""

    kind: str
    """``"rss20"`` or ``"atom10"`` (feedparser-rs's ``version`` for it)."""
    untyped_text: frozenset[str]
    """``"title"``, ``"summary"``: an Atom entry has one without a ``type``. feedparser
    takes it for plain text, feedparser-rs for HTML: the caller must check it reads alike."""


def inspect_document(data: bytes) -> Inspection | None:
    """What ``data`` is, or None when feedparser-rs might read it differently.

    ``data`` must be UTF-8 (the caller checks the declared and the actual encoding).
    """
    parser = pyexpat.ParserCreate(namespace_separator=" ")
    check = _Check(data, parser)
    parser.StartDoctypeDeclHandler = check.doctype
    parser.StartElementHandler = check.start
    parser.EndElementHandler = check.end
    try:
        parser.Parse(data, True)
    except (pyexpat.ExpatError, _Doubt, ValueError):
        # not well-formed (feedparser reads it its own way), doubtful, or an encoding
        # expat cannot read (a declaration the caller's check did not see)
        return None
    return Inspection(check.kind, frozenset(check.untyped)) if check.kind else None


class _Doubt(Exception):
    pass


class _Check:
    """expat's handlers: raise :class:`_Doubt` at the first reason for doubt.

    Called for every element, so kept lean: a list of child counts for the open elements,
    and the depth of the open item (or -1).
    """

    __slots__ = ("alternates", "children", "data", "entry_at", "entry_name", "kind",
                 "parser", "seen", "untyped")

    def __init__(self, data: bytes, parser: pyexpat.XMLParserType) -> None:
        self.data, self.parser = data, parser
        self.kind: str | None = None
        self.entry_name = ""
        self.children: list[int] = []
        self.entry_at = -1
        self.seen: set[str] = set()
        """Child names of the item being read."""
        self.alternates = 0
        self.untyped: set[str] = set()

    def doctype(self, *_: object) -> None:
        raise _Doubt  # declared entities, RSS 0.91's HTML entities

    def start(self, name: str, attrs: dict[str, str]) -> None:
        children = self.children
        depth = len(children)
        if depth:
            children[-1] += 1
        else:
            self.kind = _root_kind(name, attrs)
            if self.kind is None:
                raise _Doubt
            self.entry_name = _ENTRY[self.kind]
        if attrs and _doubtful_attrs(name, attrs):
            raise _Doubt
        if attrs and self.kind == "atom10" and self._escaped_attrs(attrs):
            raise _Doubt
        if self.entry_at >= 0:
            if " " in name and name.rpartition(" ")[0] not in ENTRY_NAMESPACES:
                raise _Doubt
            if depth == self.entry_at + 1:
                self._entry_child(name, attrs)
        elif name == self.entry_name:
            self.entry_at, self.seen, self.alternates = depth, set(), 0
        children.append(0)

    def _escaped_attrs(self, attrs: dict[str, str]) -> bool:
        """True when the tag's attributes hold an entity or character reference.

        feedparser-rs does not resolve them in Atom attributes: ``href="?a=1&amp;b=2"``,
        ``term="A &amp; B"`` stay as written."""
        if any(">" in v for v in attrs.values()):
            return True  # the tag's end cannot be found by its first ">"
        start = self.parser.CurrentByteIndex
        return b"&" in self.data[start:self.data.find(b">", start)]

    def _entry_child(self, name: str, attrs: dict[str, str]) -> None:
        kind = self.kind or "rss20"
        namespace = name.rpartition(" ")[0]
        if namespace in (_OWN_NAMESPACE[kind], ATOM) and name not in _OWN_CHILDREN[kind]:
            raise _Doubt
        if kind == "atom10" and not namespace:
            raise _Doubt  # an RSS name in an Atom entry (<pubDate>): feedparser reads it
        if name == _ATOM_LINK and attrs.get("rel", "alternate") == "alternate":
            self.alternates += 1
            if self.alternates > 1:
                raise _Doubt  # feedparser takes the first, feedparser-rs the last
        if name in self.seen and name not in _REPEATABLE:
            raise _Doubt
        if name in _ATOM_TEXT and "type" not in attrs:
            self.untyped.add(_ATOM_TEXT[name])
        self.seen.add(name)

    def end(self, name: str) -> None:
        # an element written <x/> ends right after its "/>" (one written <x></x> at "</x>")
        if self.children.pop() == 0 and name not in _SELF_CLOSING:
            end = self.parser.CurrentByteIndex
            if self.data[end - 2:end] == b"/>":
                raise _Doubt
        if len(self.children) == self.entry_at:
            self.entry_at = -1


def _doubtful_attrs(name: str, attrs: dict[str, str]) -> bool:
    """Base64 or XHTML text, out-of-line content (``src``).

    xml:base is no reason: it changes only relative links, and the caller takes no entry
    whose links, ids or media URLs are relative.
    """
    if "mode" in attrs or "src" in attrs:
        return True
    kind = attrs.get("type")
    return kind is not None and kind not in _TEXT_TYPES and name not in _TYPED


def _root_kind(name: str, attrs: dict[str, str]) -> str | None:
    if name == "rss" and attrs.get("version") == "2.0":
        return "rss20"
    if name == f"{ATOM} feed":
        return "atom10"
    return None  # RSS 0.9x and 1.0, Atom 0.3, an Atom feed without its namespace
