"""Feed parsers against feedparser on the shared corpora (issue 12, item 7).

``python -m bench.feedparse`` reads every feed of ``../shared/corpora/feedparser/tests``
and ``../shared/corpora/wordpress-rss`` with :func:`bot.sources.feeds.parse_document`
(the code that turns a polled document into FeedItems) once per reader:

* ``feedparser``: the reference (:func:`bot.sources.feeds.feedparser_read`, what the bot uses);
* ``feedparser-rs``: feedparser-rs alone, every feed, no checks;
* ``fastfeedparser``: fastfeedparser alone, through the least adapter to feedparser's
  shape (``description`` as ``summary``, ISO dates as ``*_parsed``);
* ``candidate``: :func:`bench.fastread.read_feed` (feedparser-rs where its checks pass,
  feedparser otherwise).

Each result is compared with feedparser's field by field, as the pipeline uses them:
status and warning, entry count, links, GUIDs, dates, content (the text of the HTML, the
summary, the content hash, "full content"), titles, and the rest (categories, author,
image, feed title, language and any field FeedItem gains later).
HTML that differs only in markup (``<br/>`` against ``<br />``, a
wrapping ``<div>``) is counted apart; for the candidate the article text built from
such items (``article_from_item``, trafilatura) is compared too.

Writes ``bench/results/feedparse.md``; exits 1 when the candidate differs anywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import markdown_table, shared_dir, write_result
from bench.fastread import Parsed, fast_read, read_feed
from bot.config import Feed
from bot.sources.feed_items import FeedItem, html_to_text
from bot.sources.feeds import PollResult, Reader, feedparser_read, parse_document

GROUPS = ("status", "entries", "links", "GUIDs", "dates", "content", "titles", "other")
_GROUP_OF = {
    "link": "links", "guid": "GUIDs", "published": "dates", "text": "content",
    "summary": "content", "content_hash": "content", "has_full_content": "content",
    "title": "titles", "categories": "other", "author": "other", "image": "other",
    "feed_title": "other", "language": "other",
}
_FEED = Feed(name="corpus", url="http://127.0.0.1:8000/")


# -- the corpora ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    corpus: str
    rel: str
    data: bytes
    headers: dict[str, str]


def corpus_docs(shared: Path) -> Iterator[Doc]:
    """Every ``*.xml`` of the two corpora, with the headers a server would send with it.

    feedparser's test files name their HTTP headers in a leading comment
    (``Header: Content-type: …``); the others are served as ``application/xml``.
    """
    roots = (("feedparser", shared / "corpora/feedparser/tests"),
             ("wordpress", shared / "corpora/wordpress-rss"))
    for corpus, root in roots:
        for path in sorted(root.rglob("*.xml")):
            rel = str(path.relative_to(root))
            data = path.read_bytes()
            yield Doc(corpus, rel, data, headers_for(data, f"http://127.0.0.1:8000/{rel}"))


def headers_for(data: bytes, url: str) -> dict[str, str]:
    head = data[:2000].decode("latin-1")
    headers = {m.group(1).lower(): m.group(2).strip()
               for m in re.finditer(r"^Header:\s*([\w-]+):\s*(.+)$", head, re.M)}
    headers.setdefault("content-type", "application/xml")
    headers["content-location"] = url
    return headers


# -- the readers ------------------------------------------------------------------------------


def rs_alone(data: bytes, headers: Mapping[str, str]) -> Parsed:
    import feedparser_rs

    result: Parsed = feedparser_rs.parse(data, sanitize_html=False,
                                         resolve_relative_uris=False)
    return result


def fastfeedparser_alone(data: bytes, headers: Mapping[str, str]) -> Parsed:
    import fastfeedparser

    try:
        got = fastfeedparser.parse(data)
    except Exception as exc:  # its way of saying "not a feed I can read"
        return {"bozo": 1, "bozo_exception": exc, "entries": [], "feed": {}, "version": ""}
    return {"bozo": 0, "version": "fastfeedparser", "feed": dict(got.feed),
            "entries": [_ffp_entry(e) for e in got.entries]}


def _ffp_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    out["summary"] = entry.get("description")
    for key in ("published", "updated"):
        if entry.get(key):
            with contextlib.suppress(TypeError, ValueError):
                out[f"{key}_parsed"] = datetime.fromisoformat(entry[key]).astimezone(
                    UTC).timetuple()
    return out


READERS: dict[str, Reader] = {"feedparser-rs": rs_alone, "fastfeedparser": fastfeedparser_alone,
                              "candidate": read_feed}


# -- the comparison ---------------------------------------------------------------------------


def usage_view(item: FeedItem) -> dict[str, object]:
    """An item's fields as the pipeline uses them: the HTML only through its text."""
    view = {f.name: getattr(item, f.name) for f in fields(item) if f.name != "html"}
    view["text"] = html_to_text(item.html) if item.html is not None else None
    return view


def differences(ref: PollResult, got: PollResult) -> set[str]:
    """The fields (by :data:`_GROUP_OF` name) in which ``got`` differs from ``ref``."""
    diff: set[str] = set()
    if (ref.status, ref.warning is None) != (got.status, got.warning is None):
        diff.add("status")
    if len(ref.items) != len(got.items):
        return diff | {"entries"}
    for a, b in zip(ref.items, got.items, strict=True):
        va, vb = usage_view(a), usage_view(b)
        diff.update(k for k in va if va[k] != vb[k])
    return diff


def markup_only(ref: PollResult, got: PollResult) -> list[tuple[FeedItem, FeedItem]]:
    """Item pairs whose HTML differs while its text does not."""
    if len(ref.items) != len(got.items):
        return []
    return [(a, b) for a, b in zip(ref.items, got.items, strict=True)
            if a.html != b.html and usage_view(a) == usage_view(b)]


@dataclass
class Tally:
    feeds: int = 0
    identical: int = 0
    fast: int = 0
    """Feeds the candidate gave to feedparser-rs."""
    markup: int = 0
    """Feeds identical in use whose HTML differs in markup."""
    groups: Counter[str] = field(default_factory=Counter)
    cpu: float = 0.0
    examples: list[str] = field(default_factory=list)


def compare(docs: list[Doc], readers: Mapping[str, Reader]) -> dict[tuple[str, str], Tally]:
    """Per (reader, corpus): how many feeds read identically, and where the others differ."""
    tallies: dict[tuple[str, str], Tally] = {}
    for doc in docs:
        ref, ref_cpu = _timed(doc, feedparser_read)
        base = tallies.setdefault(("feedparser", doc.corpus), Tally())
        base.feeds += 1
        base.identical += 1
        base.cpu += ref_cpu
        for name, reader in readers.items():
            got, cpu = _timed(doc, reader)
            t = tallies.setdefault((name, doc.corpus), Tally())
            t.feeds += 1
            t.cpu += cpu
            if name == "candidate" and fast_read(doc.data, doc.headers) is not None:
                t.fast += 1
            diff = differences(ref, got)
            if diff:
                t.groups.update({_GROUP_OF.get(d, d if d in GROUPS else "other")
                                 for d in diff})
                t.examples.append(f"{doc.corpus}/{doc.rel}: {', '.join(sorted(diff))}")
                continue
            t.identical += 1
            t.markup += bool(markup_only(ref, got))
    return tallies


def _timed(doc: Doc, reader: Reader) -> tuple[PollResult, float]:
    t0 = time.process_time()
    result = parse_document(_FEED, doc.headers["content-location"], doc.data,
                            dict(doc.headers), read=reader)
    return result, time.process_time() - t0


def article_check(docs: list[Doc]) -> tuple[int, int]:
    """(items compared, items whose article text differs) where only markup differs."""
    from bot.config import Settings
    from bot.extract.feeditem import article_from_item

    settings, never = Settings(), Feed(name="corpus", url="http://x/", fetch_page="never")
    compared = differ = 0
    for doc in docs:
        if fast_read(doc.data, doc.headers) is None:
            continue
        ref = parse_document(_FEED, "u", doc.data, dict(doc.headers), read=feedparser_read)
        got = parse_document(_FEED, "u", doc.data, dict(doc.headers), read=read_feed)
        for a, b in markup_only(ref, got):
            compared += 1
            ta = article_from_item(a, never, settings).text
            differ += ta != article_from_item(b, never, settings).text
    return compared, differ


# -- speed on the polling benchmark's feed --------------------------------------------------


def parse_cpu_ms(data: bytes, reader: Reader, n: int = 200) -> tuple[float, float]:
    """CPU ms per read of ``data``: (reader alone, reader + FeedItems)."""
    headers = {"content-type": "application/rss+xml", "content-location": "http://x/f.xml"}
    reader(data, headers)
    t0 = time.process_time()
    for _ in range(n):
        reader(data, headers)
    alone = (time.process_time() - t0) / n * 1000
    t0 = time.process_time()
    for _ in range(n):
        parse_document(_FEED, "http://x/f.xml", data, dict(headers), read=reader)
    return alone, (time.process_time() - t0) / n * 1000


def bench_feed() -> bytes:
    import tempfile

    from bench.feeds import write_feed

    with tempfile.TemporaryDirectory() as tmp:
        write_feed(Path(tmp), 0, 10)
        return (Path(tmp) / "f0.xml").read_bytes()


# -- the report -------------------------------------------------------------------------------


def render(tallies: dict[tuple[str, str], Tally], speed: dict[str, tuple[float, float]],
           articles: tuple[int, int], size: int) -> tuple[str, bool]:
    rows: list[list[object]] = []
    names = ["feedparser", *READERS]
    for name in names:
        for corpus in ("feedparser", "wordpress"):
            t = tallies[(name, corpus)]
            rows.append([name, corpus, t.feeds, t.identical,
                         t.fast if name == "candidate" else "-",
                         *[t.groups.get(g, 0) for g in GROUPS], t.markup,
                         f"{t.cpu * 1000 / t.feeds:.2f}"])
    candidate = [tallies[("candidate", c)] for c in ("feedparser", "wordpress")]
    ok = all(t.identical == t.feeds for t in candidate) and articles[1] == 0
    table = markdown_table(["reader", "corpus", "feeds", "identical", "fast path", *GROUPS,
                            "markup only", "CPU ms/feed"], rows)
    speed_rows = [[name, f"{alone:.3f}", f"{full:.3f}"] for name, (alone, full) in speed.items()]
    examples = [e for t in candidate for e in t.examples][:20]
    rs_wp = tallies[("feedparser-rs", "wordpress")]
    text = "\n".join([
        "# Feed parsers against feedparser (`python -m bench.feedparse`)", "",
        "Every `*.xml` of `corpora/feedparser/tests` (feedparser's own test suite: edge cases "
        "of encodings, entities, relative links, dates…) and `corpora/wordpress-rss` (real "
        "WordPress feeds), each read into FeedItems by `parse_document` with each reader "
        "and compared with feedparser's FeedItems field by field, HTML through its text. A "
        "feed counts once per group it differs in. *markup only*: identical in use, the HTML "
        "differs in markup (`<br/>` for `<br />`). CPU ms/feed: reading and FeedItems.", "",
        table, "",
        f"Verdict: the candidate reads every feed of both corpora as feedparser does — "
        f"{'met' if ok else 'NOT met'}.", "",
        "- *fast path*: feeds the candidate gave to feedparser-rs (the others to feedparser).",
        "- **Not adopted: the bot reads every feed with feedparser.** The bar (issue 12, item "
        "7) was polling at ≥ 0.8× the bare loop (section 3). Seven runs of `bench.feeds` on "
        "this shared 2-core machine (load average 3 to 18), candidate against bare: 0.73, "
        "0.73, 0.66, 0.99, 0.66, 0.88, 0.66 by rate (best runs; median 0.73; single runs "
        "0.46 to 1.48), 0.71, 0.76, 0.82, 0.72, 0.77, 0.78 by client CPU (median 0.77; not "
        "recorded in the first run); feedparser: 0.54 to 0.78 by rate, 0.54 to 0.61 by CPU. "
        "The two quietest runs gave 0.73. The parser "
        "is no longer the main cost: our request path (`poll_many`, `fetch`) spends ~13% "
        "more client CPU per request than the bare loop before any parsing, and turning a "
        "changed feed into FeedItems costs ~1 ms of the candidate's ~1.6 ms. A 0.x compiled "
        "dependency and ~350 lines of checks for 0.6→0.75 did not meet the bar.",
        f"- Article text (`article_from_item`, trafilatura) of the {articles[0]} items "
        f"where the candidate's HTML differs in markup only: {articles[1]} differ.",
        f"- feedparser-rs alone reads {rs_wp.feeds - rs_wp.identical} of {rs_wp.feeds} "
        "WordPress feeds differently. What it reads differently, found here, on hand-made "
        "and on generated documents (`tests/unit/test_bench_fastread.py`): an empty "
        "`<category />` (or `<comments/>`, `<title/>`…) in an RSS item loses the next "
        "element (the GUID, which turns up as a category); HTTP charsets and other "
        "encodings; U+0080-U+009F (windows-1252 to feedparser); CR LF kept in CDATA; "
        "entity references left as written in Atom attributes; relative links (feedparser "
        "resolves them); loose dates (`Mon,01 Jan 2024`, leap seconds); RSS titles and "
        "untyped Atom texts taken for HTML; iTunes tags; base64 and XHTML content; repeated "
        "elements (last one kept, not first). The candidate sends every such document "
        "to feedparser (`bench/fastread_check.py`, `bench/fastread.py`).",
        "- fastfeedparser has no feedparser-shaped result (no content types for titles, "
        "ISO dates, `description`): the adapter here is the least one; its titles keep "
        "entity references that feedparser decodes, its empty results are errors.",
        *(["- Differences of the candidate: " + "; ".join(examples)] if examples else []),
        "", f"Reading the polling benchmark's feed (~{size / 1024:.1f} KB, 10 items with full "
        "content), CPU ms per read:", "",
        markdown_table(["reader", "parse only", "parse + FeedItems"], speed_rows), "",
    ])
    return text, ok


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.feedparse",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--shared", type=Path, default=shared_dir())
    ns = ap.parse_args(argv)
    docs = list(corpus_docs(ns.shared))
    if not docs:
        print(f"no corpora under {ns.shared} (set BOT_SHARED_DIR)", file=sys.stderr)
        return 2
    tallies = compare(docs, READERS)
    data = bench_feed()
    speed = {name: parse_cpu_ms(data, reader)
             for name, reader in (("feedparser", feedparser_read), *READERS.items())}
    text, ok = render(tallies, speed, article_check(docs), len(data))
    print(text)
    print(f"written to {write_result('feedparse.md', text)}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
