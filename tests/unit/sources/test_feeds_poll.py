"""poll_feed against a real local HTTP server: conditional GET, parsing, failures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Feed, Http
from bot.sources.feeds import poll_feed
from tests.fakes.feedserver import FeedServer, Item, rss_document

HTTP = Http(timeout_seconds=5)
WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
G1, G2 = "tag:example.org,2024:1", "tag:example.org,2024:2"


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def items(n: int, *, prefix: str = "Story") -> list[Item]:
    """n items, newest first, each with a guid, link, summary and full content."""
    return [Item(f"{prefix} {i}", link=f"http://example.org/{i}", guid=f"tag:example.org,2024:{i}",
                 description=f"<p>Summary of story {i}.</p>",
                 content=f"<p>Full text of story {i}.</p><p>Second paragraph.</p>",
                 categories=["News", f"Topic {i}"], author="Ann Writer",
                 published=WHEN.replace(day=i), image=f"http://example.org/{i}.jpg")
            for i in range(n, 0, -1)]


def feed_at(url: str, name: str = "news") -> Feed:
    return Feed(name=name, url=url)


# -- conditional GET ---------------------------------------------------------------------


def test_second_poll_sends_validators_and_gets_not_modified(srv: FeedServer) -> None:
    srv.add_feed("news", items(2))
    feed = feed_at(srv.url("/news.xml"))
    first = poll_feed(feed, HTTP)
    assert first.status == "ok", first.error
    assert [i.guid for i in first.items] == [G2, G1]  # feed order kept
    assert first.etag and first.last_modified
    assert first.bytes > 0

    second = poll_feed(feed, HTTP, etag=first.etag, last_modified=first.last_modified)
    assert second.status == "not_modified"
    assert second.items == [] and second.bytes == 0 and second.error is None
    sent = srv.requests("/news.xml")[-1]
    assert sent["if-none-match"] == first.etag
    assert sent["if-modified-since"] == first.last_modified
    # the validators are carried on so the caller can store them again
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)


def test_last_modified_alone_is_enough_for_a_304(srv: FeedServer) -> None:
    srv.add_feed("news", items(1))
    feed = feed_at(srv.url("/news.xml"))
    first = poll_feed(feed, HTTP)
    again = poll_feed(feed, HTTP, last_modified=first.last_modified)
    assert again.status == "not_modified"
    assert "if-none-match" not in srv.requests("/news.xml")[-1]


def test_new_item_after_a_304(srv: FeedServer) -> None:
    doc = srv.add_feed("news", items(2))
    feed = feed_at(srv.url("/news.xml"))
    first = poll_feed(feed, HTTP)
    doc.items.insert(0, Item("Breaking", link="http://example.org/new", guid="id-new"))
    second = poll_feed(feed, HTTP, etag=first.etag, last_modified=first.last_modified)
    assert second.status == "ok"
    assert [i.guid for i in second.items] == ["id-new", G2, G1]
    assert second.etag != first.etag


def test_edited_item_keeps_guid_and_changes_hash(srv: FeedServer) -> None:
    doc = srv.add_feed("news", items(1))
    feed = feed_at(srv.url("/news.xml"))
    before = poll_feed(feed, HTTP).items[0]
    doc.items[0].content = "<p>Full text of story 1, corrected.</p><p>Second paragraph.</p>"
    after = poll_feed(feed, HTTP).items[0]
    assert after.guid == before.guid and after.link == before.link
    assert after.content_hash != before.content_hash
    # whitespace or markup changes alone are not edits
    doc.items[0].content = ("<div>Full text of story 1, corrected.</div>\n\n"
                            "<p>Second   paragraph.</p>")
    assert poll_feed(feed, HTTP).items[0].content_hash == after.content_hash


def test_feed_without_guids(srv: FeedServer) -> None:
    srv.add_feed("plain", items(2), guids=False)
    result = poll_feed(feed_at(srv.url("/plain.xml")), HTTP)
    assert result.status == "ok"
    assert [i.guid for i in result.items] == [None, None]
    assert [i.link for i in result.items] == ["http://example.org/2", "http://example.org/1"]
    assert len({i.content_hash for i in result.items}) == 2


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_rss_and_atom_items_carry_the_same_facts(srv: FeedServer, kind: str) -> None:
    srv.add_feed("f", items(1), kind=kind, title="Daily Planet")  # type: ignore[arg-type]
    result = poll_feed(feed_at(srv.url("/f.xml")), HTTP)
    assert result.status == "ok" and result.warning is None
    assert result.title == "Daily Planet"
    (item,) = result.items
    assert item.title == "Story 1"
    assert item.link == "http://example.org/1"
    assert item.guid == G1
    assert item.categories == ("News", "Topic 1")
    assert item.author == "Ann Writer"
    assert item.published == WHEN.replace(day=1)
    assert item.published.tzinfo is not None
    assert item.image == "http://example.org/1.jpg"
    assert item.summary == "Summary of story 1."
    assert item.html is not None and "Second paragraph." in item.html
    assert item.has_full_content
    assert item.text == "Full text of story 1.\n\nSecond paragraph."
    assert item.feed_title == "Daily Planet"


def test_summary_only_feed_has_no_full_content(srv: FeedServer) -> None:
    srv.add_feed("teasers", items(1), content=False)
    (item,) = poll_feed(feed_at(srv.url("/teasers.xml")), HTTP).items
    assert item.html is None and not item.has_full_content
    assert item.summary == "Summary of story 1."


def test_teaser_in_content_encoded_is_not_full_content(srv: FeedServer) -> None:
    teaser = Item("Teaser", link="http://example.org/t", guid="t",
                  content='<p>The first lines of the story.</p>'
                          '<a href="http://example.org/t#more-42" class="more-link">Continue'
                          ' reading</a>')
    cut = Item("Cut", link="http://example.org/c", guid="c",
               content="<p>The first lines of the story and then [&#8230;]</p>")
    srv.add_feed("t", [teaser, cut])
    result = poll_feed(feed_at(srv.url("/t.xml")), HTTP)
    assert [i.has_full_content for i in result.items] == [False, False]


def test_gzip_body_is_decoded(srv: FeedServer) -> None:
    doc = srv.add_feed("zipped", items(3), gzip=True)
    result = poll_feed(feed_at(srv.url("/zipped.xml")), HTTP)
    assert "gzip" in srv.requests("/zipped.xml")[0]["accept-encoding"]
    assert result.status == "ok" and len(result.items) == 3
    assert result.bytes == len(doc.render())  # counted after decompression


def test_redirect_is_followed_and_base_url_is_the_final_one(srv: FeedServer) -> None:
    srv.serve("/feeds/real.xml", rss_document([Item("Rel", link="/posts/rel", guid="r")]),
              content_type="application/rss+xml")
    srv.redirect("/old.xml", "/feeds/real.xml", status=301)
    result = poll_feed(feed_at(srv.url("/old.xml")), HTTP)
    assert result.status == "ok"
    assert result.url == srv.url("/feeds/real.xml")
    assert result.items[0].link == srv.url("/posts/rel")  # resolved against the final URL


# -- failures: never an exception, always one clear line -----------------------------------


def _assert_error(result_error: str | None, *needles: str) -> None:
    assert result_error is not None
    assert "\n" not in result_error
    for needle in needles:
        assert needle in result_error.lower()


def test_html_page_instead_of_feed(srv: FeedServer) -> None:
    srv.serve_html("/blog/")
    result = poll_feed(feed_at(srv.url("/blog/")), HTTP)
    assert result.status == "error"
    assert result.error == "not a feed: the server returned an HTML page"


def test_html_page_with_an_xml_content_type(srv: FeedServer) -> None:
    srv.serve("/lying.xml", "<!DOCTYPE html><html><body><p>hello</p></body></html>",
              content_type="application/xml")
    result = poll_feed(feed_at(srv.url("/lying.xml")), HTTP)
    assert result.error == "not a feed: the server returned an HTML page"


def test_http_404(srv: FeedServer) -> None:
    result = poll_feed(feed_at(srv.url("/missing.xml")), HTTP)
    assert result.status == "error"
    _assert_error(result.error, "http 404")


def test_server_error_status(srv: FeedServer) -> None:
    srv.serve("/broken.xml", "oops", status=503, content_type="text/plain")
    _assert_error(poll_feed(feed_at(srv.url("/broken.xml")), HTTP).error, "503")


def test_redirect_loop(srv: FeedServer) -> None:
    srv.redirect_loop("/loop")
    result = poll_feed(feed_at(srv.url("/loop")), HTTP)
    assert result.status == "error"
    _assert_error(result.error, "redirect")
    assert srv.hits("/loop") + srv.hits("/loop-b") == HTTP.max_redirects + 1


@pytest.mark.parametrize("declare_length", [True, False])
def test_oversize_body_is_refused(srv: FeedServer, declare_length: bool) -> None:
    srv.huge("/big.xml", declare_length=declare_length)
    result = poll_feed(feed_at(srv.url("/big.xml")), Http(max_bytes=1_000_000))
    assert result.status == "error"
    _assert_error(result.error, "larger than 1000000 bytes")


@pytest.mark.parametrize("trickle", [None, 0.05])
def test_never_finishing_body_times_out(srv: FeedServer, trickle: float | None) -> None:
    srv.hang("/hang.xml", trickle=trickle)
    result = poll_feed(feed_at(srv.url("/hang.xml")), Http(timeout_seconds=0.5))
    assert result.status == "error"
    _assert_error(result.error, "timed out")


def test_connection_refused(srv: FeedServer) -> None:
    url = srv.url("/x.xml")
    srv.stop()
    result = poll_feed(feed_at(url), Http(timeout_seconds=1))
    assert result.status == "error"
    _assert_error(result.error, "connect")


def test_empty_body(srv: FeedServer) -> None:
    srv.serve("/empty.xml", b"")
    _assert_error(poll_feed(feed_at(srv.url("/empty.xml")), HTTP).error, "empty")


def test_garbage_that_is_not_a_feed(srv: FeedServer) -> None:
    srv.serve("/junk.xml", b"\x00\x01 this is not xml at all {}", content_type="application/xml")
    result = poll_feed(feed_at(srv.url("/junk.xml")), HTTP)
    assert result.status == "error"
    _assert_error(result.error, "no entries")


def test_body_naming_a_local_file_is_not_opened(srv: FeedServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(rss_document([Item("Private", guid="p")]))
    srv.serve("/trick.xml", str(secret).encode())
    assert poll_feed(feed_at(srv.url("/trick.xml")), HTTP).status == "error"


def test_broken_feed_with_entries_is_used_with_a_warning(srv: FeedServer) -> None:
    body = rss_document(items(2)).replace(b"</channel></rss>", b"<item><title>Half")
    srv.serve("/half.xml", body, content_type="application/rss+xml")
    result = poll_feed(feed_at(srv.url("/half.xml")), HTTP)
    assert result.status == "ok"
    assert result.warning and "ill-formed" in result.warning
    assert [i.guid for i in result.items][:2] == [G2, G1]


# -- local files -----------------------------------------------------------------------


@pytest.mark.parametrize("as_url", [False, True])
def test_local_file_uses_mtime_as_last_modified(tmp_path: Path, as_url: bool) -> None:
    path = tmp_path / "sample.xml"
    path.write_bytes(rss_document(items(2)))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    feed = Feed(name="local", url=path.as_uri() if as_url else str(path))
    first = poll_feed(feed, HTTP)
    assert first.status == "ok" and len(first.items) == 2 and first.warning is None
    assert first.last_modified == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert poll_feed(feed, HTTP, last_modified=first.last_modified).status == "not_modified"
    path.write_bytes(rss_document(items(3)))
    os.utime(path, (1_700_000_100, 1_700_000_100))
    third = poll_feed(feed, HTTP, last_modified=first.last_modified)
    assert third.status == "ok" and len(third.items) == 3


def test_missing_local_file(tmp_path: Path) -> None:
    result = poll_feed(Feed(name="gone", url=str(tmp_path / "nope.xml")), HTTP)
    assert result.status == "error"
    _assert_error(result.error, "not found")


def test_local_file_over_the_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(rss_document(items(5)))
    result = poll_feed(Feed(name="big", url=str(path)), Http(max_bytes=100))
    _assert_error(result.error, "larger than 100 bytes")


def test_valid_feed_without_items_is_ok(srv: FeedServer) -> None:
    srv.add_feed("quiet", [])
    result = poll_feed(feed_at(srv.url("/quiet.xml")), HTTP)
    assert result.status == "ok" and result.items == [] and result.error is None


def test_credentials_in_the_feed_url_never_leak(srv: FeedServer) -> None:
    srv.serve("/private.xml", rss_document([Item("Rel", link="/posts/rel", guid="r")]))
    url = srv.url("/private.xml").replace("http://", "http://reader:s3cret@")
    result = poll_feed(feed_at(url), HTTP)
    assert result.status == "ok"
    assert srv.requests("/private.xml")[0]["authorization"].startswith("Basic ")
    assert "s3cret" not in result.url
    assert result.items[0].link == srv.url("/posts/rel")  # no user:password copied in
    missing = poll_feed(feed_at(url.replace("private", "gone")), HTTP)
    assert missing.status == "error"
    assert "s3cret" not in (missing.error or "") and "s3cret" not in missing.url
