"""item_matches (category and keyword filters) and too_old (max age)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Feed
from bot.models import content_hash
from bot.sources.feeds import FeedItem, item_matches, too_old

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def make_item(**kw: Any) -> FeedItem:
    fields: dict[str, Any] = {
        "guid": "g1", "link": "http://example.org/a", "title": "Budget vote passes",
        "html": None, "summary": "Parliament approved the budget on Tuesday.",
        "categories": ("Politics",), "author": None, "published": NOW, "image": None,
        "content_hash": content_hash("t", "x"), "has_full_content": False,
    }
    fields.update(kw)
    return FeedItem(**fields)


def feed(**kw: Any) -> Feed:
    return Feed(name="f", url="http://example.org/feed", **kw)


def test_no_filters_lets_everything_through() -> None:
    assert item_matches(feed(), make_item()) is None


def test_excluded_category_is_case_insensitive_and_named() -> None:
    f = feed(exclude_categories=["sport"])
    assert item_matches(f, make_item(categories=("News", "Sport"))) == "excluded category 'Sport'"
    assert item_matches(f, make_item(categories=("Sports",))) is None  # whole names only


def test_included_categories() -> None:
    f = feed(include_categories=["Politics", "Economy"])
    assert item_matches(f, make_item(categories=("POLITICS",))) is None
    assert item_matches(f, make_item(categories=("Culture",))) == "no included category"
    assert item_matches(f, make_item(categories=())) == "no included category"


def test_exclusion_wins_over_inclusion() -> None:
    f = feed(include_categories=["politics"], exclude_categories=["opinion"])
    reason = item_matches(f, make_item(categories=("Politics", "Opinion")))
    assert reason == "excluded category 'Opinion'"


@pytest.mark.parametrize(("keyword", "passes"), [
    ("budget", True),         # title, any case
    ("TUESDAY", True),        # summary
    ("bud", False),           # not a whole word
    ("parliament approved", True),
    ("approved  the", True),  # spaces in the keyword match any whitespace
    ("vote passes budget", False),
])
def test_include_keyword_on_word_boundaries(keyword: str, passes: bool) -> None:
    reason = item_matches(feed(include_keywords=[keyword]), make_item())
    assert reason is None if passes else reason == "no included keyword"


def test_keywords_see_the_full_text_too() -> None:
    item = make_item(summary=None, html="<p>The <b>treasury</b> minister resigned.</p>")
    assert item_matches(feed(include_keywords=["treasury minister"]), item) is None


def test_exclude_keyword_is_named() -> None:
    f = feed(exclude_keywords=["sponsored", "budget"])
    assert item_matches(f, make_item()) == "excluded keyword 'budget'"
    assert item_matches(f, make_item(title="Vote", summary="Nothing here")) is None


def test_keywords_with_punctuation_and_non_ascii() -> None:
    item = make_item(title="Why C++ still matters", summary="Türkiye'nin bütçesi açıklandı")
    assert item_matches(feed(include_keywords=["c++"]), item) is None
    assert item_matches(feed(include_keywords=["BÜTÇESİ"]), item) is None
    assert item_matches(feed(include_keywords=["C"]), make_item(title="CC licence")) \
        == "no included keyword"


def test_too_old() -> None:
    f = feed(max_age_hours=24)
    assert not too_old(f, make_item(published=NOW - timedelta(hours=23)), NOW)
    assert too_old(f, make_item(published=NOW - timedelta(hours=25)), NOW)
    assert not too_old(f, make_item(published=NOW + timedelta(hours=3)), NOW)  # future-dated


def test_undated_items_are_never_too_old() -> None:
    assert not too_old(feed(max_age_hours=1), make_item(published=None), NOW)


def test_naive_now_is_taken_as_utc() -> None:
    f = feed(max_age_hours=2)
    naive_now = NOW.replace(tzinfo=None)
    assert too_old(f, make_item(published=NOW - timedelta(hours=3)), naive_now)
    assert not too_old(f, make_item(published=NOW - timedelta(hours=1)), naive_now)
