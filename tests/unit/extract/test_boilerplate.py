"""Boilerplate removal: the sample article, each default rule, the early-marker guard,
user patterns."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Boilerplate, Http
from bot.errors import ConfigError
from bot.extract import extract
from bot.extract.boilerplate import clean
from bot.sources.inputs import read_input

DEFAULTS = Boilerplate()


def _para(n: int, topic: str = "harbour") -> str:
    """A plain article paragraph of about 30 words."""
    return (f"Paragraph {n} about the {topic} says that the council met on Tuesday and agreed"
            " to spend more money on the piers, the ferries and the waiting hall before the"
            " summer season begins.")


BODY = [_para(i) for i in range(1, 6)]


def _text(*paras: str) -> str:
    return "\n\n".join(paras)


# -- the sample article ------------------------------------------------------------

def test_sample_article(sample_article_path: Path) -> None:
    raw = read_input(str(sample_article_path), Http())
    article = extract(raw, boilerplate=DEFAULTS)
    for gone in ("Follow our", "@AtillaEng", "Published By", "GlobalSource", "facebook.com",
                 "youtube.com"):
        assert gone not in article.text
    last = article.text.split("\n\n")[-1]
    assert last.startswith("Ankara’s biggest trump card")
    assert last.endswith("critical goods.")
    assert article.title == "Putin to make a rare port call in Ankara, why?"
    # nothing before the furniture was lost
    assert "Kremlin Spokesman Dmitry Peskov" in article.text
    assert "Alexander Lavrentyev" in article.text


# -- cut-from markers --------------------------------------------------------------

@pytest.mark.parametrize("marker", [
    "Follow our English language YouTube videos @ REAL TURKEY: https://www.youtube.com/c/x",
    "Follow us on Twitter and Instagram",
    "Follow us on X",
    "Published by: Jane Doe",
    "About the author",
    "About the Author: Jane Doe writes about ports.",
    "Subscribe to our newsletter",
    "Sign up to our weekly newsletter for more",
    "Share this article",
    "Share this:",
    "Related:",
    "Related articles",
    "Read more:",
    "You may also like",
    "The views expressed in this article are those of the author alone.",
])
def test_late_cut_markers_cut_everything_after(marker: str) -> None:
    bio = ("Jane Doe has covered the harbour for twenty years and has written three books about"
           " ferries, piers and the people who work on them, and she teaches journalism at the"
           " local university every spring.")
    text = _text(*BODY, marker, bio, "Another line of furniture")
    assert clean(text, DEFAULTS) == _text(*BODY)


def test_cut_is_case_insensitive_and_ignores_bullets() -> None:
    assert clean(_text(*BODY, "- READ MORE:", "• Some other story"), DEFAULTS) == _text(*BODY)


def test_early_marker_does_not_throw_the_article_away() -> None:
    text = _text(BODY[0], "Follow us on Facebook for updates", *BODY[1:])
    assert clean(text, DEFAULTS) == _text(*BODY)  # only the marker line goes


def test_early_marker_followed_only_by_short_furniture_cuts() -> None:
    # A short article: the marker starts before 60% of the text, but what follows is a
    # list of headlines, not sentences.
    headlines = [f"Ferry prices rise again in week {i}" for i in range(8)]
    text = _text(BODY[0], "Related articles", *headlines, "Why the island wants a bridge?")
    assert text.index("Related") < 0.5 * len(text)
    assert clean(text, DEFAULTS) == BODY[0]


def test_early_marker_followed_by_short_sentences_keeps_them() -> None:
    short = [f"The pier number {i} opens at nine in the morning." for i in range(1, 7)]
    text = _text(BODY[0], "Related articles", *short)
    assert text.index("Related") < 0.5 * len(text)
    assert clean(text, DEFAULTS) == _text(BODY[0], *short)


def test_teaser_between_paragraphs_only_drops_itself() -> None:
    # Sites put "Read more: <headline>" between paragraphs, even late in the article.
    text = _text(*BODY, "Read more: Ferry prices rise again", "The new hall opens in May.",
                 "It will have room for 300 people waiting for the boats.")
    assert clean(text, DEFAULTS) == _text(
        *BODY, "The new hall opens in May.",
        "It will have room for 300 people waiting for the boats.")


def test_teaser_at_the_end_cuts() -> None:
    text = _text(*BODY, "Read more: Ferry prices rise again", "Read more: New pier opens")
    assert clean(text, DEFAULTS) == _text(*BODY)


def test_marker_words_inside_a_sentence_are_not_markers() -> None:
    text = _text(*BODY, "Readers can follow our coverage on YouTube, the editor said.",
                 "Those who read more about the piers will find the report online.")
    assert clean(text, DEFAULTS) == text


# -- drop-lines ----------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    "https://www.example.org/some/path?x=1",
    "www.example.org",
    "<https://a.example/x> | https://b.example/y",
    "@AtillaEng",
    "#Turkey #Russia, @Kremlin",
    "Click here to read the full report",
    "Sign up for our morning briefing",
    "Photo: Reuters",
    "Image: Getty Images",
    "Photo by Jane Doe",
    "Advertisement",
    "ADVERTISEMENT",
    "Story continues below advertisement",
    "Facebook:  Real Turkey Channel:   https://www.facebook.com/realturkeychannel/",
    "Twitter: @harbourgazette",
    "And content at Twitter: @AtillaEng",
    "Instagram: harbourgazette",
    "© 2024 Harbour Gazette. All rights reserved.",
    "Share on Facebook",
])
def test_default_drop_lines(line: str) -> None:
    text = _text(BODY[0], line, BODY[1])
    assert clean(text, DEFAULTS) == _text(BODY[0], BODY[1])


def test_drop_works_on_lines_inside_a_paragraph() -> None:
    text = BODY[0] + "\nhttps://example.org/x\n" + BODY[1]
    assert clean(text, DEFAULTS) == BODY[0] + "\n" + BODY[1]


@pytest.mark.parametrize("line", [
    "The minister wrote on Twitter (@minister) that the piers would be ready in May.",
    "See https://example.org/report for the full figures, the council said.",
    "Photographers were not allowed on the pier.",
    "Advertisements for the new line appeared on every bus.",
    "Clicking here and there, the mayor found nothing.",
    "#1 reason for the delay was the weather, engineers said.",
])
def test_inline_mentions_and_lookalikes_are_kept(line: str) -> None:
    text = _text(BODY[0], line, BODY[1])
    assert clean(text, DEFAULTS) == text


# -- configuration -----------------------------------------------------------------

def test_defaults_can_be_switched_off() -> None:
    text = _text(*BODY, "Follow us on Twitter", "https://example.org")
    assert clean(text, Boilerplate(use_defaults=False)) == text


def test_user_drop_lines() -> None:
    cfg = Boilerplate(drop_lines=[r"^this story was updated", r"newsletter$"])
    text = _text(BODY[0], "This Story Was Updated at 10:00", BODY[1], "Get our NEWSLETTER")
    assert clean(text, cfg) == _text(BODY[0], BODY[1])


def test_user_cut_from() -> None:
    cfg = Boilerplate(cut_from=[r"^more from the gazette"])
    text = _text(*BODY, "More from the Gazette", "Some long other text " * 10)
    assert clean(text, cfg) == _text(*BODY)


def test_user_cut_from_has_the_same_early_guard() -> None:
    cfg = Boilerplate(cut_from=[r"^editor's note"])
    text = _text(BODY[0], "Editor's note: corrected the date.", *BODY[1:])
    assert clean(text, cfg) == _text(*BODY)


@pytest.mark.parametrize("field", ["drop_lines", "cut_from"])
def test_invalid_user_regex_is_a_config_error(field: str) -> None:
    cfg = Boilerplate(**{field: ["fine", "(unclosed"]})
    with pytest.raises(ConfigError, match=rf"boilerplate\.{field}: invalid regular expression "
                                          r"'\(unclosed'"):
        clean("Some text", cfg)


def test_paragraphs_stay_separated_by_one_blank_line() -> None:
    text = "One.\n\n\n\nTwo.\n \nThree."
    assert clean(text, DEFAULTS) == "One.\n\nTwo.\n\nThree."
