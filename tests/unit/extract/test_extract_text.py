"""extract() on Markdown and plain text: front matter, first-line titles, Markdown to text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.config import Boilerplate
from bot.errors import ExtractError
from bot.extract import extract
from bot.extract.text import markdown_blocks, normalize_ws, parse_date
from bot.models import Article
from bot.sources.inputs import Kind, RawInput


def _x(content: str, kind: Kind = "markdown", **kw: str) -> Article:
    return extract(RawInput(kind, content, "post.md"), boilerplate=Boilerplate(), **kw)


FRONT = """---
title: "Night trains return to the coast"
link: https://rail.example/night-trains
author: [Ada Demir, Cem Ak]
date: 2024-05-01T22:15:00+02:00
tags: [Rail, travel]
categories: Travel, Europe
image: https://rail.example/img/train.jpg
language: de-AT
site_name: Rail Weekly
unknown_key: ignored
---
The first night train in ten years left the capital on Friday evening.

It will run three times a week until the end of September.
"""


def test_front_matter_fills_the_article() -> None:
    a = _x(FRONT)
    assert a.title == "Night trains return to the coast"
    assert a.url == "https://rail.example/night-trains"
    assert a.author == "Ada Demir, Cem Ak"
    assert a.published == datetime(2024, 5, 1, 20, 15, tzinfo=UTC)
    assert a.tags == ["Rail", "travel", "Europe"]  # "Travel" repeats "travel"
    assert a.image == "https://rail.example/img/train.jpg"
    assert a.language == "de"
    assert a.site_name == "Rail Weekly"
    assert a.text == ("The first night train in ten years left the capital on Friday evening.\n\n"
                      "It will run three times a week until the end of September.")


def test_front_matter_works_for_plain_text_too() -> None:
    a = _x(FRONT.replace("link:", "url:").replace("date:", "published:"), kind="text")
    assert a.url == "https://rail.example/night-trains"
    assert a.published is not None and a.published.hour == 20


def test_front_matter_date_only_is_midnight_utc() -> None:
    a = _x("---\ndate: 2024-05-01\n---\nTitle\n\nBody text here.")
    assert a.published == datetime(2024, 5, 1, tzinfo=UTC)
    assert a.title == "Title"  # no title key: first line


def test_url_argument_overrides_front_matter_link() -> None:
    assert _x(FRONT, url="https://rail.example/p?id=9").url == "https://rail.example/p?id=9"


def test_bad_yaml_names_the_line() -> None:
    bad = "---\ntitle: ok\ntags: [a, b\nauthor: x\n---\nBody"
    with pytest.raises(ExtractError,
                       match=r"post\.md: front matter is not valid YAML \(line \d+\)"):
        _x(bad)


def test_bad_yaml_line_number_counts_from_the_file_start() -> None:
    bad = "---\ntitle: ok\nauthor: x\nbroken: : :\n---\nBody"
    with pytest.raises(ExtractError, match=r"\(line 4\)"):
        _x(bad)


def test_front_matter_must_be_a_mapping() -> None:
    with pytest.raises(ExtractError, match="front matter must be 'key: value' lines"):
        _x("---\n- a\n- b\n---\nTitle\n\nBody")


def test_unparseable_date_is_reported() -> None:
    with pytest.raises(ExtractError, match="front matter 'date' is not a date"):
        _x("---\ndate: next tuesday\n---\nTitle\n\nBody")


def test_dashes_later_in_the_text_are_not_front_matter() -> None:
    a = _x("Title\n\n---\n\nBody: part one.\n\n---\n\nPart two.", kind="text")
    assert a.title == "Title"
    assert "Part two." in a.text


def test_first_line_title_for_text() -> None:
    a = _x("\n\n  Harbour   news  \nFirst  line of   the body.\n\n\n\nSecond paragraph.",
           kind="text")
    assert a.title == "Harbour news"
    assert a.text == "First line of the body.\n\nSecond paragraph."


def test_text_keeps_hashes_in_the_title() -> None:
    assert _x("# Not markdown\nBody words.", kind="text").title == "# Not markdown"


def test_markdown_title_strips_heading_markers_and_emphasis() -> None:
    a = _x("## The *new* **bridge** opens ##\n\nTraffic will flow from Monday.")
    assert a.title == "The new bridge opens"
    assert a.text == "Traffic will flow from Monday."


def test_markdown_setext_heading_title() -> None:
    assert _x("Bridge opens\n============\n\nBody text.").title == "Bridge opens"


def test_markdown_first_line_of_a_paragraph_is_the_title() -> None:
    a = _x("Bridge opens\nThe body starts on the next line\nand goes on.")
    assert a.title == "Bridge opens"
    assert a.text == "The body starts on the next line and goes on."


def test_markdown_body_to_plain_text() -> None:
    md = """# Title

Some **bold**, some _italic_ and a [link to the report](https://x.example/r "T").
![A photo](https://x.example/p.jpg)

## A heading stays a line

- first item with `code`
- second item

> A quoted line.

Ends with a hard\\
break and &amp; an entity; snake_case_words stay.
"""
    a = _x(md)
    assert a.text == (
        "Some bold, some italic and a link to the report.\n\n"
        "A heading stays a line\n\n"
        "first item with code\n\n"
        "second item\n\n"
        "A quoted line.\n\n"
        "Ends with a hard\nbreak and & an entity; snake_case_words stay."
    )
    assert "https://x.example" not in a.text and "photo" not in a.text


def test_markdown_raw_html_is_dropped_but_its_text_kept() -> None:
    blocks = markdown_blocks(
        "Text with <span class='x'>inline</span> html.\n\n<div>\nblock\n</div>")
    assert blocks == ["Text with inline html."]


def test_title_repeated_as_first_body_line_is_dropped() -> None:
    a = _x("---\ntitle: Bridge opens\n---\n# Bridge opens\n\nTraffic flows from Monday.")
    assert a.text == "Traffic flows from Monday."


@pytest.mark.parametrize(("content", "kind"), [
    ("Only a title", "text"),
    ("# Only a heading\n\n![img](x.png)", "markdown"),
    ("---\ntitle: T\n---\n\n   \n", "markdown"),
])
def test_no_body(content: str, kind: Kind) -> None:
    with pytest.raises(ExtractError, match=r"no article text found in post\.md"):
        _x(content, kind=kind)


def test_site_name_fallback_and_source() -> None:
    a = _x("Title\n\nBody.", kind="text", site_name="Configured")
    assert (a.site_name, a.source) == ("Configured", "post.md")


def test_whitespace_normalisation() -> None:
    raw = "a\u00a0\u00a0b\t c \r\n\r\n\r\n\u200bd  e\u2028f\n\n\n"
    assert normalize_ws(raw) == "a b c\n\nd e\nf"


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-05-01T10:00:00+03:00", datetime(2024, 5, 1, 7, tzinfo=UTC)),
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    ("Wed, 01 May 2024 10:00:00 GMT", datetime(2024, 5, 1, 10, tzinfo=UTC)),
    (datetime(2024, 5, 1, 10, tzinfo=timezone(timedelta(hours=-5))),
     datetime(2024, 5, 1, 15, tzinfo=UTC)),
    ("not a date", None),
    (None, None),
])
def test_parse_date(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected
