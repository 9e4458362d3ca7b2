"""article_from_item: feed content, the article page, and the fallback to the summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.config import Feed, Http, Settings
from bot.errors import SourceError
from bot.extract.feeditem import article_from_item
from bot.sources.feeds import FeedItem, poll_feed
from tests.fakes.feedserver import FeedServer, Item

WHEN = datetime(2024, 3, 5, 8, 15, tzinfo=UTC)
BODY = [
    "The city council approved the new tram line on Monday after a debate that lasted "
    "more than six hours and drew hundreds of residents to the town hall.",
    "Construction is expected to start next spring, and the first trams should run along "
    "the river before the end of 2027, according to the transport department.",
    "Opponents said the cost estimate of 240 million euros was too optimistic and asked for "
    "an independent review, which the council rejected by a narrow margin.",
]
FOOTER = [
    "Follow our English language YouTube videos and our Twitter account @CityNewsEng",
    "Published By: City News Desk",
]


def article_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def page(title: str, paragraphs: list[str]) -> str:
    return (f"<!DOCTYPE html><html lang=\"en\"><head><title>{title}</title>"
            "<link rel=\"canonical\" href=\"http://example.org/canonical/tram\">"
            "</head><body><nav><a href=\"/\">Home</a> | <a href=\"/news\">News</a></nav>"
            f"<article><h1>{title}</h1>{article_html(paragraphs)}</article>"
            "<footer>Copyright City News</footer></body></html>")


@pytest.fixture
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def settings() -> Settings:
    return Settings(site_name="Fallback Site", http=Http(timeout_seconds=5))


def polled(srv: FeedServer, item: Item, *, content: bool = True) -> FeedItem:
    srv.add_feed("city", [item], title="City News", content=content)
    result = poll_feed(Feed(name="city", url=srv.url("/city.xml")), Http(timeout_seconds=5))
    assert result.status == "ok", result.error
    return result.items[0]


def tram_item(srv: FeedServer, **kw: object) -> Item:
    fields: dict[str, object] = {
        "title": "Council approves tram line", "link": srv.url("/news/tram"),
        "guid": "tag:city,2024:tram", "description": "<p>The council said yes to the tram.</p>",
        "content": article_html(BODY + FOOTER), "categories": ["Transport", "Council"],
        "author": "Jo Reporter", "published": WHEN, "image": "http://example.org/tram.jpg",
    }
    fields.update(kw)
    return Item(**fields)  # type: ignore[arg-type]


def test_full_content_is_used_without_fetching_the_page(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv))
    assert item.has_full_content
    art = article_from_item(item, Feed(name="city", url="http://x/"), settings())
    assert srv.hits("/news/tram") == 0
    for para in BODY:
        assert para in art.text
    assert "Follow our" not in art.text and "@CityNewsEng" not in art.text
    assert "Published By" not in art.text
    assert art.title == "Council approves tram line"
    assert art.url == srv.url("/news/tram")
    assert art.guid == "tag:city,2024:tram"
    assert art.author == "Jo Reporter"
    assert art.published == WHEN
    assert art.tags == ["Transport", "Council"]
    assert art.image == "http://example.org/tram.jpg"
    assert art.site_name == "City News"


def test_short_fragment_falls_back_to_plain_text(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv, content="<ul><li>Tram approved.</li><li>Work starts in "
                                             "spring.</li></ul>"))
    art = article_from_item(item, Feed(name="city", url="http://x/", fetch_page="never"),
                            settings())
    assert "Tram approved." in art.text and "Work starts in spring." in art.text


def test_page_is_fetched_when_the_feed_has_only_summaries(srv: FeedServer) -> None:
    srv.serve_html("/news/tram", page("Council approves tram line", BODY + FOOTER))
    item = polled(srv, tram_item(srv), content=False)
    assert not item.has_full_content
    art = article_from_item(item, Feed(name="city", url="http://x/"), settings())
    assert srv.hits("/news/tram") == 1
    assert BODY[1] in art.text and "Follow our" not in art.text and "Home" not in art.text
    assert art.url == "http://example.org/canonical/tram"  # the page's canonical link
    assert art.guid == "tag:city,2024:tram"
    assert art.tags == ["Transport", "Council"]  # the page has none: the feed's
    assert art.published == WHEN
    assert art.site_name == "City News"
    assert art.source == srv.url("/news/tram")


def test_always_fetches_the_page_even_with_full_content(srv: FeedServer) -> None:
    srv.serve_html("/news/tram", page("Tram: the page version", BODY))
    item = polled(srv, tram_item(srv))
    art = article_from_item(item, Feed(name="city", url="http://x/", fetch_page="always"),
                            settings())
    assert srv.hits("/news/tram") == 1
    assert art.title == "Tram: the page version"


def test_page_failure_in_auto_mode_falls_back_to_the_summary(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv), content=False)  # /news/tram is a 404
    art = article_from_item(item, Feed(name="city", url="http://x/"), settings())
    assert srv.hits("/news/tram") == 1
    assert art.text == "The council said yes to the tram."
    assert "page failed" in art.source and "404" in art.source
    assert art.url == srv.url("/news/tram") and art.guid == "tag:city,2024:tram"


def test_page_failure_in_always_mode_raises(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv), content=False)
    with pytest.raises(SourceError, match="404"):
        article_from_item(item, Feed(name="city", url="http://x/", fetch_page="always"),
                          settings())


def test_never_mode_uses_the_summary_when_there_is_no_content(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv), content=False)
    art = article_from_item(item, Feed(name="city", url="http://x/", fetch_page="never"),
                            settings())
    assert srv.hits("/news/tram") == 0
    assert art.text == "The council said yes to the tram."


def test_site_name_falls_back_to_settings(srv: FeedServer) -> None:
    item = polled(srv, tram_item(srv))
    untitled = dataclasses.replace(item, feed_title=None)
    art = article_from_item(untitled, Feed(name="city", url="http://x/"), settings())
    assert art.site_name == "Fallback Site"
