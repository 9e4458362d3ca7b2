"""Hashtags: from the article's tags, from yake keywords, never junk."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Article
from bot.summarize.hashtags import hashtags, to_hashtag
from bot.summarize.words import stopwords

_STORY = (
    "The Portville city council approved forty kilometres of protected bicycle lanes on Monday. "
    "Mayor Ana Ruiz said the Portville bicycle lanes would cut traffic deaths. "
    "Portville will pay for the lanes with a transport grant. "
    "Shop owners in Portville warned about lost parking during construction."
)


def _article(
    tags: list[str] | None = None, text: str = "", title: str = "", site_name: str | None = None
) -> Article:
    return Article(title=title, text=text, tags=tags or [], site_name=site_name)


def test_tags_become_camel_case_hashtags_in_order() -> None:
    tags = ["real estate", "Vladimir Putin", "Turkey"]
    assert hashtags(_article(tags), 3) == ["RealEstate", "VladimirPutin", "Turkey"]
    assert hashtags(_article(tags), 2) == ["RealEstate", "VladimirPutin"]


def test_bad_tags_are_dropped() -> None:
    tags = [
        "Uncategorized",
        "2024",
        "the",
        "x",
        "a" * 30,
        "#",
        "http://example.com/tag",
        "@someone",
        "wday.ru",
        "covid-19",
        "#Elections",
    ]
    # covid-19 keeps its number inside a word; '#' prefixes are removed
    assert hashtags(_article(tags), 10) == ["Covid19", "Elections"]


def test_tags_deduplicated_case_insensitively() -> None:
    assert hashtags(_article(["Turkey", "turkey", "TURKEY", "real estate", "Real Estate"]), 5) == [
        "Turkey",
        "RealEstate",
    ]


def test_mixed_case_words_are_kept() -> None:
    assert to_hashtag("iPhone sales") == "IPhoneSales"
    assert to_hashtag("NASA") == "NASA"
    assert to_hashtag("Putin's visit") == "PutinVisit"


def test_count_zero_gives_none() -> None:
    assert hashtags(_article(["Turkey"], text=_STORY), 0) == []
    assert hashtags(_article(["Turkey"], text=_STORY), -1) == []


def test_keywords_when_there_are_no_tags() -> None:
    tags = hashtags(_article(text=_STORY, title="Portville approves bicycle lanes"), 2)
    assert len(tags) == 2
    # the place named in the title and in every sentence is the strongest keyword
    assert tags[0] == "Portville"
    for t in tags:
        assert re.fullmatch(r"\w+", t) and not t.isdigit()


def test_tags_first_then_keywords_fill_up() -> None:
    tags = hashtags(_article(["Cycling"], text=_STORY, title="Portville approves bicycle lanes"), 3)
    assert tags[0] == "Cycling"
    assert "Portville" in tags
    assert len(tags) == 3


def test_keywords_skip_the_site_name_and_dates() -> None:
    text = "CNN reports that Portville opened its first bicycle lane on Monday. " * 3
    tags = hashtags(_article(text=text, site_name="CNN"), 4)
    lowered = {t.lower() for t in tags}
    assert "cnn" not in lowered and "monday" not in lowered
    assert "portville" in lowered


def test_no_text_no_tags_gives_nothing() -> None:
    assert hashtags(_article(), 3) == []


_STOP = sorted(stopwords("en"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(_STOP),
            st.integers(0, 10**6).map(str),
            st.sampled_from(["Uncategorized", "real estate", "Turkey", "x", "a b", "New York"]),
        ),
        max_size=12,
    ),
    st.integers(0, 6),
)
def test_hashtags_are_never_junk(tags: list[str], count: int) -> None:
    out = hashtags(_article(tags), count)
    assert len(out) <= count
    assert len({t.casefold() for t in out}) == len(out)
    for t in out:
        assert re.fullmatch(r"[^\W_]+", t), t  # letters and digits only, no '#'
        assert 2 <= len(t) <= 25
        assert not t.isdigit()
        assert t.casefold() not in stopwords("en")
        assert t.casefold() != "uncategorized"
