"""The extractive summariser: order, budgets, redundancy, junk, hook, determinism."""

from __future__ import annotations

import re

import pytest

from bot.summarize.extractive import ExtractiveSummarizer, Tuning, _analyse
from bot.summarize.sentences import split_sentences

# An invented news story with the furniture real pages leave in the text.
ARTICLE = """\
By Jane Doe

PUBLISHED: 10:02 EST, 4 May 2015 | UPDATED: 11:40 EST, 4 May 2015

PORTVILLE (CNN) -- The Portville city council approved a plan on Monday to build forty \
kilometres of protected bicycle lanes across the city by 2018.

The bicycle lane plan, approved by the council on Monday, will build forty kilometres of \
protected bicycle lanes across Portville by 2018.

Mayor Ana Ruiz said the bicycle lanes would cut traffic deaths and make the city centre \
quieter for the people who live there.

Photo: Portville City Council

The council will pay for the bicycle lanes with a transport grant and a small increase in \
parking fees in the city centre.

Shop owners on Main Street warned that losing parking spaces could hurt their business \
during the long construction work.

Scroll down for video

Here is what the mayor told reporters:

"We have waited ten years for this," she said.

Will cyclists actually use the new bicycle lanes?

Construction of the first bicycle lanes starts in June, and the council expects the whole \
network to open by the end of 2018.

Last updated at 11:40 GMT
"""

FURNITURE = re.compile(
    r"\bBy Jane\b|PUBLISHED:|UPDATED:|\(CNN\)|Photo:|Scroll down|Last updated|:$"
)


@pytest.fixture()
def summarizer() -> ExtractiveSummarizer:
    return ExtractiveSummarizer()


def _position(sentence: str) -> int:
    """Where the sentence starts in the article (it must come from it, word for word)."""
    flat = " ".join(ARTICLE.split())
    pos = flat.find(sentence)
    assert pos >= 0, f"not from the article: {sentence!r}"
    return pos


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_sentences_in_article_order_and_from_the_article(
    summarizer: ExtractiveSummarizer, k: int
) -> None:
    picked = summarizer.summarize(ARTICLE, max_sentences=k)
    assert 1 <= len(picked) <= k
    positions = [_position(s) for s in picked]
    assert positions == sorted(positions)


def test_never_returns_boilerplate(summarizer: ExtractiveSummarizer) -> None:
    for k in range(1, 9):
        for s in summarizer.summarize(ARTICLE, max_sentences=k):
            assert not FURNITURE.search(s), s
    assert not FURNITURE.search(summarizer.hook(ARTICLE))


def test_dateline_is_stripped_from_the_lead(summarizer: ExtractiveSummarizer) -> None:
    first = summarizer.summarize(ARTICLE, max_sentences=1)[0]
    assert first.startswith("The Portville city council approved")


def test_near_duplicates_are_not_picked_together(summarizer: ExtractiveSummarizer) -> None:
    # Sentences 1 and 2 of the story say the same thing in other words.
    picked = summarizer.summarize(ARTICLE, max_sentences=4)
    both = [s for s in picked if "forty kilometres" in s]
    assert len(both) == 1


def test_redundancy_control_is_what_keeps_them_apart() -> None:
    """Without MMR and the duplicate cut-off the two restatements are both picked."""
    loose = ExtractiveSummarizer(Tuning(redundancy=0.0, duplicate_similarity=1.01))
    picked = loose.summarize(ARTICLE, max_sentences=2)
    assert sum("forty kilometres" in s for s in picked) == 2


@pytest.mark.parametrize("budget", [60, 100, 140, 200, 280, 500])
def test_max_chars_is_respected_with_whole_sentences(
    summarizer: ExtractiveSummarizer, budget: int
) -> None:
    picked = summarizer.summarize(ARTICLE, max_sentences=3, max_chars=budget)
    assert len(" ".join(picked)) <= budget
    whole = set(split_sentences(ARTICLE)) | {summarizer.summarize(ARTICLE, max_sentences=1)[0]}
    for s in picked:
        assert s in whole  # never a cut sentence


def test_budget_picks_what_fits_rather_than_nothing(summarizer: ExtractiveSummarizer) -> None:
    top = summarizer.summarize(ARTICLE, max_sentences=1)[0]
    budget = len(top) - 1  # the best sentence no longer fits ...
    picked = summarizer.summarize(ARTICLE, max_sentences=3, max_chars=budget)
    assert picked and top not in picked  # ... something shorter is chosen instead


def test_budget_below_every_sentence_gives_nothing(summarizer: ExtractiveSummarizer) -> None:
    assert summarizer.summarize(ARTICLE, max_sentences=3, max_chars=10) == []
    assert summarizer.summarize(ARTICLE, max_sentences=0) == []


def test_deterministic() -> None:
    first = ExtractiveSummarizer().summarize(ARTICLE, max_sentences=3)
    _analyse.cache_clear()
    again = ExtractiveSummarizer().summarize(ARTICLE, max_sentences=3)
    assert first == again
    assert ExtractiveSummarizer().hook(ARTICLE) == ExtractiveSummarizer().hook(ARTICLE)


def test_hook_is_one_informative_sentence(summarizer: ExtractiveSummarizer) -> None:
    hook = summarizer.hook(ARTICLE)
    assert len(split_sentences(hook)) == 1
    assert not hook.endswith("?")  # statements are available
    assert not hook.startswith('"')  # not a quotation
    assert not hook.endswith(":")
    _position(hook)


def test_hook_falls_back_to_a_question_when_nothing_else() -> None:
    text = (
        "Will the new bridge over the river ever open to traffic? "
        "Nobody at the city hall can say when."
    )
    s = ExtractiveSummarizer()
    assert s.hook(text) == "Nobody at the city hall can say when."
    only_questions = (
        "Will the new bridge over the river ever open to traffic? Who is going to pay for it all?"
    )
    assert s.hook(only_questions).endswith("?")


def test_questions_and_colon_lines_are_avoided_in_summaries(
    summarizer: ExtractiveSummarizer,
) -> None:
    picked = summarizer.summarize(ARTICLE, max_sentences=3)
    assert not any(s.endswith(("?", ":")) for s in picked)


def test_empty_and_tiny_texts() -> None:
    s = ExtractiveSummarizer()
    assert s.summarize("") == []
    assert s.hook("") == ""
    assert s.hook("   \n\n ") == ""
    # very short sentences are kept when there is nothing else
    assert s.summarize("Rain today.") == ["Rain today."]
    assert s.hook("Rain today.") == "Rain today."


def test_non_english_text_is_summarised() -> None:
    text = (
        "Der Stadtrat von Portstadt hat am Montag neue Radwege beschlossen. "
        "Die Radwege sollen bis 2018 durch die ganze Stadt führen. "
        "Die Bürgermeisterin erwartet weniger Unfälle und weniger Lärm in der Innenstadt."
    )
    picked = ExtractiveSummarizer().summarize(text, language="de", max_sentences=2)
    assert len(picked) == 2
    assert all(s in text for s in picked)
