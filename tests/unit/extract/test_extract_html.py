"""extract() on HTML written for these tests (metadata, comments, overrides)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.config import Boilerplate
from bot.errors import ExtractError
from bot.extract import extract
from bot.sources.inputs import RawInput

PARAGRAPHS = [
    "The ferry line between the old harbour and the island will reopen in April after two"
    " years of repairs to the piers, the transport authority said on Tuesday.",
    "Engineers replaced the wooden piles under both landing stages and widened the waiting"
    " hall, which had become too small for the summer crowds that use the crossing.",
    "Tickets will cost the same as before the closure, and the first boat will leave the"
    " harbour at seven in the morning, the authority added in a written statement.",
    "Local shop owners on the island welcomed the news, saying the closure had cut their"
    " trade by half during the last two summers.",
]
SPAM = "Great article! Visit my site cheap-watches.example for the best deals on watches."

PAGE = f"""<!DOCTYPE html>
<html lang="tr-TR">
<head>
<meta charset="utf-8">
<title>Ferry line to reopen in spring | Harbour Gazette</title>
<link rel="canonical" href="/news/ferry-line-reopens">
<meta property="og:title" content="Ferry line to reopen in spring">
<meta property="og:site_name" content="Harbour Gazette">
<meta property="og:image" content="/img/ferry.jpg">
<meta name="author" content="Deniz Kaya">
<meta property="article:published_time" content="2024-03-05T09:30:00+03:00">
<meta property="article:tag" content="Transport">
<meta property="article:tag" content="Ferries">
<meta property="article:section" content="City">
<meta name="keywords" content="transport, harbour">
</head>
<body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav>
<article>
<h1>Ferry line to reopen in spring</h1>
{"".join(f"<p>{p}</p>" for p in PARAGRAPHS)}
</article>
<section id="comments" class="comments">
<h2>2 comments</h2>
<div class="comment"><p>{SPAM}</p></div>
<div class="comment"><p>Finally! I have been waiting for this ferry for such a long time, thank
you for reporting it so clearly.</p></div>
</section>
<footer>© 2024 Harbour Gazette. All rights reserved.</footer>
</body>
</html>"""

FETCHED_FROM = "https://gazette.example/news/ferry?utm_source=rss"


def test_text_is_the_article_paragraphs_only() -> None:
    article = extract(RawInput("html", PAGE, "page.html", FETCHED_FROM), boilerplate=Boilerplate())
    assert article.text == "\n\n".join(PARAGRAPHS)  # title line, nav and footer left out
    assert article.title == "Ferry line to reopen in spring"
    assert article.source == "page.html"


def test_reader_comments_are_excluded() -> None:
    article = extract(RawInput("html", PAGE, "page.html", None), boilerplate=Boilerplate())
    assert "cheap-watches" not in article.text
    assert "waiting for this ferry" not in article.text


def test_metadata() -> None:
    a = extract(RawInput("html", PAGE, "page.html", FETCHED_FROM), boilerplate=Boilerplate())
    # relative canonical and og:image resolved against the URL the page came from
    assert a.url == "https://gazette.example/news/ferry-line-reopens"
    assert a.image == "https://gazette.example/img/ferry.jpg"
    assert a.author == "Deniz Kaya"
    assert a.published == datetime(2024, 3, 5, 6, 30, tzinfo=UTC)  # 09:30 at +03:00
    assert a.site_name == "Harbour Gazette"
    # <html lang="tr-TR">, but the text is plainly English: the text wins (bot.extract.language)
    assert a.language == "en"
    # tags, keywords and the section merged; "transport" is the same tag as "Transport"
    assert a.tags == ["Transport", "Ferries", "harbour", "City"]


def test_absolute_canonical_wins_over_the_fetched_url() -> None:
    html = PAGE.replace('href="/news/ferry-line-reopens"',
                        'href="https://gazette.example/canonical/ferry"')
    a = extract(RawInput("html", html, "page.html", FETCHED_FROM), boilerplate=Boilerplate())
    assert a.url == "https://gazette.example/canonical/ferry"


def test_without_a_base_url_relative_links_are_not_guessed() -> None:
    a = extract(RawInput("html", PAGE, "page.html", None), boilerplate=Boilerplate())
    assert a.url is None and a.image is None


def test_url_override_beats_canonical() -> None:
    a = extract(RawInput("html", PAGE, "page.html", FETCHED_FROM), boilerplate=Boilerplate(),
                url="https://gazette.example/p/123")
    assert a.url == "https://gazette.example/p/123"


def test_url_override_is_the_base_for_relative_links_of_a_saved_page() -> None:
    a = extract(RawInput("html", PAGE, "saved.html", None), boilerplate=Boilerplate(),
                url="https://gazette.example/p/123")
    assert a.url == "https://gazette.example/p/123"
    assert a.image == "https://gazette.example/img/ferry.jpg"


def test_site_name_argument_is_a_fallback() -> None:
    with_name = extract(RawInput("html", PAGE, "p", None), boilerplate=Boilerplate(),
                        site_name="Configured Name")
    assert with_name.site_name == "Harbour Gazette"
    bare = PAGE.replace('<meta property="og:site_name" content="Harbour Gazette">', "")
    bare = bare.replace(" | Harbour Gazette", "")
    without = extract(RawInput("html", bare, "p", None), boilerplate=Boilerplate(),
                      site_name="Configured Name")
    assert without.site_name == "Configured Name"


def test_date_without_offset_is_taken_as_utc() -> None:
    html = PAGE.replace("2024-03-05T09:30:00+03:00", "2024-03-05")
    a = extract(RawInput("html", html, "p", None), boilerplate=Boilerplate())
    assert a.published == datetime(2024, 3, 5, tzinfo=UTC)


def test_boilerplate_is_removed_from_html_too() -> None:
    html = PAGE.replace("</article>", "<p>Follow us on Facebook and Twitter for more news"
                        " from the harbour.</p><p>https://gazette.example/follow</p></article>")
    a = extract(RawInput("html", html, "p", None), boilerplate=Boilerplate())
    assert a.text == "\n\n".join(PARAGRAPHS)


@pytest.mark.parametrize("html", [
    "<html><head><title>Menu</title></head><body><nav><a href='/'>Home</a></nav></body></html>",
    "<html><body></body></html>",
    "<p>",
])
def test_page_without_article_text(html: str) -> None:
    with pytest.raises(ExtractError, match=r"^no article text found in page\.html$"):
        extract(RawInput("html", html, "page.html", None), boilerplate=Boilerplate())


def test_nothing_left_after_boilerplate() -> None:
    html = ("<html><body><article><p>Read more: a story about something else entirely, with"
            " plenty of words in it so that the extractor keeps this paragraph.</p>"
            "<p>Follow us on Twitter and Facebook for more stories like this one every day.</p>"
            "</article></body></html>")
    with pytest.raises(ExtractError, match="has no article text after removing boilerplate"):
        extract(RawInput("html", html, "page.html", None), boilerplate=Boilerplate())
