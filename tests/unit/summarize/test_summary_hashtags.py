"""Hashtags an editor would choose: the article's own tags, else names from its lead."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import Article
from bot.summarize.hashtags import hashtags, to_hashtag
from bot.summarize.words import stopwords

# Stories written for these tests.
_STORY = (
    "The Portville city council approved forty kilometres of protected bicycle lanes on Monday. "
    "Mayor Ana Ruiz said the Portville bicycle lanes would cut traffic deaths among cyclists. "
    "Portville will pay for the lanes with a transport grant from the real estate tax. "
    "Shop owners in Portville warned about lost parking during construction."
)
_NEW_YORK = (
    "WASHINGTON — A New York man pleaded guilty on Monday to threatening to kill Rep. Ilhan "
    "Omar, prosecutors said. The man, who lives in New York, called her office in March. "
    "Omar thanked the Capitol Police. The Main Obstacle remains the trial date, lawyers said."
)


def _article(tags: list[str] | None = None, text: str = _STORY, title: str = "",
             site_name: str | None = None, language: str | None = "en") -> Article:
    return Article(title=title, text=text, tags=tags or [], site_name=site_name,
                   language=language)


def test_tags_become_camel_case_hashtags_in_order() -> None:
    tags = ["bicycle lanes", "Portville", "Cycling"]  # "Cycling": only "cyclists" is written
    assert hashtags(_article(tags), 3) == ["BicycleLanes", "Portville", "Cycling"]
    assert hashtags(_article(tags), 2) == ["BicycleLanes", "Portville"]


def test_tags_named_in_the_headline_or_lead_come_first() -> None:
    text = _STORY + " It will take years." * 40 + " A parking garage was proposed later."
    out = hashtags(_article(["Parking garage", "Ana Ruiz"], text=text), 2)
    assert out == ["AnaRuiz", "ParkingGarage"]


@pytest.mark.parametrize("tag", [
    "Uncategorized", "Home Page", "General News", "ctp_video", "autoplay_video", "NoAutolink",
    "News - News", "@river", "Business", "Opinion", "Sport", "Nbc5 News", "digitimes.com",
    "7974.TO", "2024", "the", "x", "a" * 30, "#", "http://example.com/tag",
    "Protected lanes approved by the council",  # a clause
])
def test_furniture_sections_and_junk_tags_are_dropped(tag: str) -> None:
    text = _STORY + f" {tag}."  # even when the text mentions them
    assert hashtags(_article([tag], text=text), 3, mode="tags_only") == []


def test_a_site_menu_or_another_persons_name_is_not_a_tag_of_this_story() -> None:
    tags = ["Human Rights", "Alexandria Ocasio-Cortez", "Cycling"]
    assert hashtags(_article(tags), 3, mode="tags_only") == ["Cycling"]


def test_the_site_name_is_never_a_hashtag() -> None:
    text = _STORY + " The Portville Gazette asked readers about it."
    out = hashtags(_article(["Portville Gazette"], text=text, site_name="Portville Gazette"), 2)
    assert "PortvilleGazette" not in out


def test_tags_deduplicated_case_insensitively() -> None:
    tags = ["Portville", "portville", "PORTVILLE", "bicycle lanes", "Bicycle Lanes"]
    assert hashtags(_article(tags), 5, mode="tags_only") == ["Portville", "BicycleLanes"]


def test_to_hashtag_keeps_mixed_case_and_drops_possessives() -> None:
    assert to_hashtag("iPhone sales") == "IPhoneSales"
    assert to_hashtag("NASA") == "NASA"
    assert to_hashtag("Putin's visit") == "PutinVisit"
    assert to_hashtag("covid-19") == "Covid19"


def test_count_zero_gives_none() -> None:
    assert hashtags(_article(["Portville"]), 0) == []
    assert hashtags(_article(["Portville"]), -1) == []


def test_names_from_the_headline_and_lead_when_there_are_no_tags() -> None:
    # "Ana Ruiz" is named once, outside the headline: not enough to be sure it is the story
    out = hashtags(_article(title="Portville approves bicycle lanes"), 2)
    assert out == ["Portville"]
    out = hashtags(_article(title="Ana Ruiz backs Portville bicycle lanes"), 2)
    assert out == ["Portville", "AnaRuiz"]


def test_multiword_names_stay_whole_and_datelines_are_not_names() -> None:
    out = hashtags(_article(text=_NEW_YORK, title="New York man pleads guilty to threatening"
                            " to kill Rep. Ilhan Omar"), 3)
    assert out[:2] == ["NewYork", "IlhanOmar"]
    assert not {"York", "WASHINGTON", "Washington", "Rep", "MainObstacle"} & set(out)


def test_words_capitalised_only_at_a_sentence_start_are_not_names() -> None:
    text = ("Traffic fell by a third after the lanes opened. Traffic experts were surprised. "
            "Cyclists said the lanes felt safe. Cyclists asked for more.")
    assert hashtags(_article(text=text, title="bicycle lanes cut traffic"), 2) == []


def test_title_case_headlines_need_the_lead_to_confirm_a_name() -> None:
    out = hashtags(_article(title="Chelsea Activate Release Clause To Sign Keeper"), 3)
    assert not {"ChelseaActivate", "ReleaseClause", "SignKeeper"} & set(out)


def test_tags_only_mode_never_invents_names() -> None:
    assert hashtags(_article(title="Portville approves bicycle lanes"), 2, mode="tags_only") == []


def test_scripts_without_capitals_get_only_their_own_tags() -> None:
    text = "市議会は月曜日、新しい予算を承認した。東京の市長は「よかった」と述べた。東京"
    art = _article(["予算"], text=text, title="東京の新しい予算", language="ja")
    assert hashtags(art, 3) == ["予算"]
    assert hashtags(_article(text=text, title="東京の新しい予算", language="ja"), 3) == []


def test_no_text_no_tags_gives_nothing() -> None:
    assert hashtags(_article(text=""), 3) == []


_STOP = sorted(stopwords("en"))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=40),
            st.sampled_from(_STOP),
            st.integers(0, 10**6).map(str),
            st.sampled_from(["Uncategorized", "real estate", "Portville", "x", "a b", "New York"]),
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
