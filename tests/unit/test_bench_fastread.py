"""The candidate fast reader (``bench.fastread``) against feedparser (issue 12, item 7).

Not used by the bot (it did not bring polling to the bar set for adopting it), but measured
by ``bench.feedparse`` and ``bench.feeds``: these tests keep its claim true. The corpus
tests read the WordPress feeds of ``../shared/corpora`` both ways through
``parse_document`` and compare the results as the pipeline uses them
(``bench.feedparse.differences``: every FeedItem field, the HTML through its text;
``python -m bench.feedparse`` does it for all 2,162 corpus feeds). The fallback tests show
that documents feedparser-rs reads wrongly or not at all still give feedparser's reading.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

feedparser_rs = pytest.importorskip("feedparser_rs", reason="the bench extra is not installed")

from bench import fastread  # noqa: E402
from bench.fastread import fast_read, read_feed  # noqa: E402
from bench.feedparse import Doc, corpus_docs, differences  # noqa: E402
from bot.config import Feed, Http  # noqa: E402
from bot.sources.feeds import PollResult, feedparser_read, parse_document, poll_feed  # noqa: E402
from tests.conftest import SHARED  # noqa: E402
from tests.fakes.feedserver import FeedServer, Item, atom_document, rss_document  # noqa: E402

FEED = Feed(name="news", url="http://127.0.0.1:8000/feed.xml")
WHEN = datetime(2024, 1, 1, 10, tzinfo=UTC)
RSS_HEADERS = {"content-type": "application/rss+xml; charset=utf-8",
               "content-location": "http://127.0.0.1:8000/feed.xml"}


def _groups() -> dict[str, list[Path]]:
    """Corpus files by folder (one test per folder keeps the count of tests sane)."""
    groups: dict[str, list[Path]] = defaultdict(list)
    for name, root in (("wordpress", SHARED / "corpora/wordpress-rss"),):
        for path in sorted(root.rglob("*.xml")) if root.is_dir() else ():
            groups[f"{name}/{path.parent.relative_to(root)}"].append(path)
    return groups


GROUPS = _groups()


def _read(data: bytes, headers: Mapping[str, str], reader: Any = read_feed) -> PollResult:
    return parse_document(FEED, FEED.url, data, dict(headers), read=reader)


def _docs_of(shared: Path, group: str) -> Iterator[Doc]:
    wanted = {str(p) for p in GROUPS[group]}
    for doc in corpus_docs(shared):
        root = "feedparser/tests" if doc.corpus == "feedparser" else "wordpress-rss"
        if str(shared / "corpora" / root / doc.rel) in wanted:
            yield doc


# -- the corpora --------------------------------------------------------------------------


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_every_corpus_feed_reads_as_feedparser_reads_it(shared_dir: Path, group: str) -> None:
    differing = []
    for doc in _docs_of(shared_dir, group):
        ref = _read(doc.data, doc.headers, feedparser_read)
        diff = differences(ref, _read(doc.data, doc.headers))
        if diff:
            differing.append(f"{doc.rel}: {sorted(diff)}")
    assert not differing, "\n".join(differing)


@pytest.mark.parametrize("rel", ["laminas/wordpress-rss2-dc-atom.xml",
                                 "feedjira/sample_feeds_2009/AmitGuptasBlog.xml",
                                 "feedjira/sample_feeds_2009/MySQLPerformanceBlog.xml"])
def test_real_wordpress_feeds_take_the_fast_path_with_identical_items(
        shared_dir: Path, rel: str) -> None:
    data = (shared_dir / "corpora/wordpress-rss" / rel).read_bytes()
    fast = fast_read(data, RSS_HEADERS)
    assert fast is not None  # plain UTF-8 RSS 2.0 / Atom 1.0: no reason for doubt
    ref = _read(data, RSS_HEADERS, feedparser_read)
    got = _read(data, RSS_HEADERS, lambda d, h: fast)
    assert got.items and got.status == ref.status == "ok" and got.title == ref.title
    for a, b in zip(ref.items, got.items, strict=True):
        assert (a.guid, a.link, a.published, a.title) == (b.guid, b.link, b.published, b.title)
        assert (a.content_hash, a.has_full_content, a.summary) == (
            b.content_hash, b.has_full_content, b.summary)
        assert (a.categories, a.author, a.image) == (b.categories, b.author, b.image)


# -- the fallback -------------------------------------------------------------------------


def _rss(item_xml: str, *, decl: str = '<?xml version="1.0" encoding="UTF-8"?>',
         encoding: str = "utf-8") -> bytes:
    return (f'{decl}<rss version="2.0"><channel><title>Blog</title>'
            f"<link>http://example.org/</link><item>{item_xml}</item></channel></rss>"
            ).encode(encoding)


DATED = "<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>"


def test_a_feed_feedparser_rs_reads_wrongly_gets_feedparsers_reading() -> None:
    # an empty <category /> (WordPress writes them): feedparser-rs loses the next element
    data = _rss(f"<title>Post</title><category />"
                f'<guid isPermaLink="false">http://example.org/?p=7</guid>'
                f"<link>http://example.org/7/</link><category>News</category>{DATED}")
    alone = feedparser_rs.parse(data, sanitize_html=False, resolve_relative_uris=False)
    assert alone.entries[0].get("id") is None, "feedparser-rs now reads this: pick a case"

    assert fast_read(data, RSS_HEADERS) is None
    got = _read(data, RSS_HEADERS)
    assert differences(_read(data, RSS_HEADERS, feedparser_read), got) == set()
    assert got.items[0].guid == "http://example.org/?p=7"
    assert got.items[0].categories == ("News",)


def test_a_feed_feedparser_rs_fails_on_gets_feedparsers_reading(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = rss_document([Item("Post", link="http://example.org/1", guid="tag:x,2024:1",
                              description="<p>Hi</p>", published=WHEN)])
    assert fast_read(data, RSS_HEADERS) is not None  # read fast while the library works

    def broken(*_: object, **__: object) -> Any:
        raise RuntimeError("internal error")

    monkeypatch.setattr(feedparser_rs, "parse", broken)
    assert fast_read(data, RSS_HEADERS) is None
    got = _read(data, RSS_HEADERS)
    assert got.status == "ok" and [i.guid for i in got.items] == ["tag:x,2024:1"]
    assert differences(_read(data, RSS_HEADERS, feedparser_read), got) == set()


def test_without_feedparser_rs_every_feed_is_read_by_feedparser(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = rss_document([Item("Post", link="http://example.org/1", guid="tag:x,2024:1",
                              published=WHEN)])
    monkeypatch.setattr(fastread, "feedparser_rs", None)
    assert fast_read(data, RSS_HEADERS) is None
    assert [i.guid for i in _read(data, RSS_HEADERS).items] == ["tag:x,2024:1"]


def test_an_ill_formed_feed_keeps_feedparsers_warning() -> None:
    data = _rss(f"<title>Tom & Jerry</title><link>http://example.org/1</link>{DATED}")
    got = _read(data, RSS_HEADERS)
    assert got.status == "ok" and got.items[0].title == "Tom & Jerry"
    assert got.warning and "ill-formed" in got.warning


DOUBTFUL = {
    "relative link": _rss(f"<title>Post</title><link>/2024/post/</link>{DATED}"),
    "a date only in dcterms": _rss("<title>Post</title><link>http://example.org/1</link>"
                    "<dcterms:modified xmlns:dcterms='http://purl.org/dc/terms/'>"
                    "2024-01-01T10:00:00Z</dcterms:modified>"),
    "latin-1 by HTTP charset": _rss(f"<title>Café</title>{DATED}", decl=""),
    "entity declared in a DOCTYPE": b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY b "Blog">]>'
    + _rss(f"<title>&b;</title><link>http://example.org/1</link>{DATED}", decl=""),
    "two titles": _rss(f"<title>First</title><title>Second</title>{DATED}"),
    "an RSS title with markup": _rss(f"<title>A &lt;b&gt;bold&lt;/b&gt; move</title>{DATED}"),
    "a child RSS does not define": _rss("<title>Post</title><link>http://example.org/1</link>"
                                        "<updated>2024-01-01T10:00:00Z</updated>"),
    "an RSS child in an Atom entry": atom_document([]).replace(
        b"</feed>", b"<entry><id>tag:x,1</id><title type='text'>Post</title>"
        b"<pubDate>Mon, 01 Jan 2024 10:00:00 GMT</pubDate>"
        b"<updated>2024-01-01T00:00:00Z</updated></entry></feed>"),
    **{f"the loose date {d!r}": _rss(f"<title>Post</title><link>http://example.org/1</link>"
                                     f"<pubDate>{d}</pubDate>")
       for d in ("Mon,01 Jan 2024 10:00:00 GMT", "Mon, 01 Jan 2024 10:00:60 GMT",
                 "Mon, 01 Jan 2024 10:00:00 A")},
    "base64 Atom content": atom_document([]).replace(
        b"</feed>", b'<entry><id>tag:x,1</id><updated>2024-01-01T00:00:00Z</updated>'
        b'<content type="text" mode="base64">SGk=</content></entry></feed>'),
}


@pytest.mark.parametrize("case", sorted(DOUBTFUL))
def test_doubtful_documents_are_read_by_feedparser(case: str) -> None:
    data = DOUBTFUL[case]
    headers = dict(RSS_HEADERS)
    if case.startswith("latin-1"):
        headers["content-type"] = "application/rss+xml; charset=iso-8859-1"
    assert fast_read(data, headers) is None
    ref, got = _read(data, headers, feedparser_read), _read(data, headers)
    assert got.items and differences(ref, got) == set()


def test_self_closing_media_and_markup_in_cdata_are_read_fast() -> None:
    items = [Item(f"Post {i}", link=f"http://example.org/{i}", guid=f"tag:x,{i}",
                  description="<p>One<br />two</p>", content="<p>A<br/>B</p><hr/>",
                  categories=["News"], author="Ann", published=WHEN,
                  image=f"http://example.org/{i}.jpg") for i in (1, 2)]
    for data in (rss_document(items), atom_document(items)):
        fast = fast_read(data, RSS_HEADERS)
        assert fast is not None
        ref, got = _read(data, RSS_HEADERS, feedparser_read), _read(data, RSS_HEADERS)
        assert differences(ref, got) == set()
        assert got.items[0].image == "http://example.org/1.jpg"


def test_poll_feed_with_the_candidate_reads_fast_and_falls_back_over_http() -> None:
    """Through poll_feed(read=...): the fast reading of a plain feed, feedparser's of a
    feed in another charset (feedparser-rs ignores the HTTP charset)."""
    plain = rss_document([Item("Tram lines", link="http://example.org/1", guid="tag:x,1",
                               description="<p>Budget.</p>", published=WHEN)])
    other = _rss(f"<title>Café news</title><link>http://example.org/2</link>{DATED}",
                 decl="", encoding="latin-1")
    with FeedServer() as srv:
        srv.serve("/plain.xml", plain, content_type="application/rss+xml")
        srv.serve("/latin.xml", other, content_type="application/rss+xml; charset=iso-8859-1")
        a = poll_feed(Feed(name="a", url=srv.url("/plain.xml")), Http(timeout_seconds=5),
                      read=read_feed)
        b = poll_feed(Feed(name="b", url=srv.url("/latin.xml")), Http(timeout_seconds=5),
                      read=read_feed)
    assert a.status == "ok" and a.items[0].title == "Tram lines"
    assert b.status == "ok" and b.items[0].title == "Café news"


# -- generated feeds ----------------------------------------------------------------------

_PLAIN = st.text(alphabet=st.sampled_from(list("abcdefgh XYZ’é…-!?.,:'\"")), max_size=30)
_TRICKY = st.text(alphabet=st.sampled_from(list("ab &<>;#\"'\n\t/é’…[]!=?\x80\u2028"))
                  | st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                  max_size=30)
_HTML = st.lists(st.sampled_from(["<p>", "</p>", "<br/>", "<br />", "<b>", "</b>", "&amp;",
                                  "&nbsp;", "&#8217;", "<a href='http://x/?a=1&amp;b=2'>",
                                  "</a>", "[&#8230;]", "Read more", "\n\n", "more-link",
                                  "<script>x</script>", "<!-- c -->"]) | _PLAIN | _TRICKY,
                 max_size=10).map("".join)
_ITEM = st.builds(
    Item, title=_PLAIN | _TRICKY,
    link=st.sampled_from([None, "http://example.org/1", "https://example.org/a?b=c&d=e",
                          "http://example.org/2#x", "/relative/3"]),
    guid=st.sampled_from([None, "tag:x,2024:1", "http://example.org/?p=1", "urn:uuid:1", "17"]),
    description=st.none() | _HTML, content=st.none() | _HTML,
    categories=st.lists(_PLAIN | _TRICKY, max_size=3), author=st.none() | _PLAIN | _TRICKY,
    published=st.none() | st.datetimes(min_value=datetime(1990, 1, 1),
                                       max_value=datetime(2030, 1, 1)).map(
        lambda d: d.replace(tzinfo=UTC, microsecond=0)),
    image=st.sampled_from([None, "http://example.org/i.jpg", "https://example.org/i.png?w=1&h=2"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(_ITEM, min_size=1, max_size=4), atom=st.booleans())
def test_generated_feeds_read_as_feedparser_reads_them(items: list[Item], atom: bool) -> None:
    """RSS and Atom documents with entities, markup, C1 characters, relative links, missing
    dates…: whichever reader read_feed picks, the items are feedparser's."""
    data = (atom_document if atom else rss_document)(items)
    ref, got = _read(data, RSS_HEADERS, feedparser_read), _read(data, RSS_HEADERS)
    assert differences(ref, got) == set()
