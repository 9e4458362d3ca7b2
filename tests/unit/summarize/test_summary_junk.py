"""Furniture inside the text: datelines stripped, bylines and credits recognised."""

from __future__ import annotations

import pytest

from bot.summarize.junk import clean_sentence, is_boilerplate, leads_into_caption


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("(CNN)Deputies rushed the suspect from court.", "Deputies rushed the suspect from court."),
        ("(CNN) -- The law was signed on Tuesday.", "The law was signed on Tuesday."),
        ("WASHINGTON (CNN) -- The president spoke.", "The president spoke."),
        ("LONDON, England (Reuters) - Shares fell.", "Shares fell."),
        ("Scroll down for video The mayor opened the lane.", "The mayor opened the lane."),
        ("(The Hollywood Reporter)Stan Freberg has died.", "Stan Freberg has died."),
        # nothing to strip
        ("(Ray was quite angry.) He laughed.", "(Ray was quite angry.) He laughed."),
        ("The CNN anchor (left) smiled.", "The CNN anchor (left) smiled."),
        ("Reuters said the deal was off.", "Reuters said the deal was off."),
    ],
)
def test_clean_sentence(raw: str, clean: str) -> None:
    assert clean_sentence(raw) == clean


@pytest.mark.parametrize(
    "sentence",
    [
        "By .",
        "By Jane Doe",
        "By Jane Doe and John Roe, CNN",
        "PUBLISHED: 10:02 EST, 4 May 2015 |",
        "UPDATED: 11:40 EST, 4 May 2015",
        "Last updated at 11:40 GMT",
        "Updated: 10:31",
        "Photo: Portville City Council",
        "(Photo: AP)",
        "Image copyright Getty Images",
        "Image caption The mayor at the opening",
        "Read more: the full council report",
        "Click here to see the pictures.",
        "Follow us on Twitter for updates.",
        "See the plan at https://example.org/plan today.",
        "© 2015 Portville News. All rights reserved.",
        "Sign up for our daily newsletter.",
    ],
)
def test_boilerplate(sentence: str) -> None:
    assert is_boilerplate(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "By the end of the year, prices had doubled.",
        "By Monday the council had voted.",
        "The photo was taken in May by a local resident.",
        "Reuters reported that the talks had collapsed on Friday.",
        "She updated her plans after the vote.",
        "He follows the rules and publishes a report every year.",
    ],
)
def test_not_boilerplate(sentence: str) -> None:
    assert not is_boilerplate(sentence)


def test_caption_lead() -> None:
    assert leads_into_caption("Scroll down for video Mayor Ruiz, pictured, at the opening")
    assert not leads_into_caption("The mayor asked people to scroll down the list.")
