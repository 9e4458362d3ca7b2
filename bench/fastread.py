"""The candidate fast reader: feedparser-rs where a document reads as feedparser reads it.

Not used by the bot (issue 12, item 7: it reads every corpus feed as feedparser does, but
polling did not reach the 0.8x-bare bar that adopting a new parser was to meet; see
``docs/benchmarks.md``). Kept here, with its tests, for ``bench.feedparse`` and
``bench.feeds``, and for whoever takes the question up again.

feedparser costs about 3.5 ms of CPU for a 14 KB feed; feedparser-rs (Rust, feedparser's
result shape) about 0.06 ms. It does not read every feed the same way, so
:func:`read_feed` takes its reading only when nothing in the document or in the reading
gives a reason to doubt it (see :func:`fast_read`) and otherwise parses with feedparser.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urljoin

from bench.fastread_check import inspect_document
from bot.sources.feeds import feedparser_read

try:  # a compiled wheel, in the bench extra
    import feedparser_rs
except ImportError:  # pragma: no cover - then feedparser reads every feed
    feedparser_rs = None  # type: ignore[assignment]

__all__ = ["Parsed", "fast_read", "read_feed"]

log = logging.getLogger(__name__)
Parsed = Mapping[str, Any]
"""feedparser's result shape: ``entries``, ``feed``, ``version``, ``bozo``…"""

_XML_TYPES = re.compile(r"(application|text)/([\w.+-]+\+)?xml$")
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']+)", re.I)
_C1_CONTROLS = re.compile(rb"\xc2[\x80-\x9f]")
_UTF8 = frozenset({"utf-8", "utf8"})
_ASCII = frozenset({"us-ascii", "ascii"})
_SIMPLE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\s?#;]*)?(?:\?[^\s#]+)?"
                         r"(?:#\S+)?\Z")
"""An http(s) URL that ``urljoin`` gives back unchanged (lower-case scheme, ASCII host, no
``;`` params, no empty ``?`` or ``#``)."""
_STRICT_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(?:0?[1-9]|[12][0-9]|3[01]) "
    r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    r"(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])? "
    r"(?:GMT|UTC?|[+-][0-9]{4}|[ECMP][SD]T)\Z"
    r"|[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]"
    r":[0-5][0-9](?:\.[0-9]+)?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])\Z")
"""RFC 822 dates (RSS) and RFC 3339 ones (Atom, dc:date) as the specifications write them:
both parsers read these alike; on looser ones they part ways."""
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:")
_NOT_NEUTRAL = re.compile(r"<|&#?\w+;|\n\s*\n")
_PLAIN_AND_HTML = frozenset({"text/plain", "text/html"})


def read_feed(data: bytes, headers: Mapping[str, str]) -> Parsed:
    """The entries of a feed document, read by feedparser-rs when it is safe, else feedparser.

    ``headers`` are the HTTP response headers, lower-cased (content-type and
    content-location matter to feedparser).
    """
    fast = fast_read(data, headers)
    return fast if fast is not None else feedparser_read(data, headers)


def fast_read(data: bytes, headers: Mapping[str, str]) -> Parsed | None:
    """feedparser-rs's reading of ``data``, or None when it might differ from feedparser's."""
    if feedparser_rs is None or not _plain_utf8_xml(data, headers):
        return None
    seen = inspect_document(data)
    if seen is None:
        return None
    # XML parsers turn CR LF and lone CR into LF before reading; feedparser-rs does not
    # inside CDATA. Safe on UTF-8 bytes: 0x0D is never part of a multi-byte character.
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    try:
        parsed = feedparser_rs.parse(data, sanitize_html=False, resolve_relative_uris=False)
    except Exception:  # any failure: feedparser reads it
        log.debug("feedparser-rs failed; reading with feedparser", exc_info=True)
        return None
    if parsed.get("bozo") or parsed.get("version") != seen.kind or not parsed.get("entries"):
        return None
    # feedparser takes an RSS title for plain text unless it looks like HTML, and an Atom
    # text without a type for plain text; feedparser-rs takes both for HTML
    disputed = {"title"} | seen.untyped_text
    if not _neutral((parsed.get("feed") or {}).get("title")):
        return None
    for entry in parsed["entries"]:
        if not _entry_is_plain(entry) or not all(_neutral(entry.get(k)) for k in disputed):
            return None
    return parsed


def _plain_utf8_xml(data: bytes, headers: Mapping[str, str]) -> bool:
    """An XML media type and UTF-8 (or ASCII) by every declaration, and in fact."""
    ctype, _, params = headers.get("content-type", "application/xml").partition(";")
    if not _XML_TYPES.match(ctype.strip().lower()):
        return False  # feedparser flags other media types as a problem
    charset = re.search(r"charset\s*=\s*[\"']?([\w.:-]+)", params, re.I)
    declared = [charset.group(1).lower()] if charset else []
    if charset is None and ctype.strip().lower().startswith("text/"):
        declared.append("us-ascii")  # RFC 3023, which feedparser follows
    decl = _XML_DECL.match(data[:512])
    if decl:
        declared.append(decl.group(1).decode("ascii", "replace").lower())
    ascii_only = data.isascii()
    if not all(enc in _UTF8 or (enc in _ASCII and ascii_only) for enc in declared):
        return False
    if ascii_only:
        return True
    if _C1_CONTROLS.search(data):
        return False  # U+0080-U+009F: feedparser takes them for windows-1252 ("\x80" is "€")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _entry_is_plain(entry: Mapping[str, Any]) -> bool:
    """Absolute links, ids and media URLs; a date; HTML or plain-text content."""
    if not all(map(_absolute, _uris(entry))):
        return False  # feedparser resolves them against the document's URL
    if not (entry.get("published_parsed") or entry.get("updated_parsed")):
        return False  # feedparser reads dates from more elements
    for key in ("published", "updated"):
        raw = entry.get(key)
        if raw and not (_STRICT_DATE.match(raw) and entry.get(f"{key}_parsed")):
            return False  # the two parsers differ on loose dates ("Mon,01 Jan", "10:00:60")
    details = [entry.get("title_detail"), entry.get("summary_detail"),
               *(entry.get("content") or ())]
    return all(d.get("type") in _PLAIN_AND_HTML for d in details if d is not None)


def _neutral(text: object) -> bool:
    """True when reading ``text`` as HTML or as plain text gives the same FeedItem text:
    no tag, no entity, no blank line (see ``feed_items._detail_text``)."""
    return not text or (isinstance(text, str) and not _NOT_NEUTRAL.search(text))


def _uris(entry: Mapping[str, Any]) -> Iterator[object]:
    yield entry.get("link")
    yield entry.get("id")
    for key, attr in (("links", "href"), ("enclosures", "href"), ("media_content", "url"),
                      ("media_thumbnail", "url")):
        for one in entry.get(key) or ():
            yield one.get(attr)


def _absolute(uri: object) -> bool:
    """Absent, or absolute and already in the form feedparser's ``urljoin`` gives it."""
    if not uri:
        return True
    if not isinstance(uri, str):
        return False
    if _SIMPLE_URL.match(uri):
        return True  # the common case, without urljoin's cost
    return bool(_SCHEME.match(uri)) and ":///" not in uri and urljoin(uri, uri) == uri
