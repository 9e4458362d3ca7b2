"""summarize_article: the Summary the renderer steps down through."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SummaryConfig
from bot.models import Article
from bot.summarize import ExtractiveSummarizer, summarize_article
from bot.summarize.sentences import split_sentences

from .test_extractive_summary import ARTICLE


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_sentences_variants_hook_hashtags() -> None:
    article = Article(title="Portville approves bicycle lanes", text=ARTICLE, tags=["Cycling"])
    summary = summarize_article(article, SummaryConfig(sentences=3, hashtags=2))
    assert len(summary.sentences) == 3
    # richest first: N, N-1, ..., 1 sentences; each the best set of its size
    assert [len(split_sentences(v)) for v in summary.variants] == [3, 2, 1]
    assert summary.variants[0] == " ".join(summary.sentences)
    s = ExtractiveSummarizer()
    for v, k in zip(summary.variants, (3, 2, 1), strict=True):
        assert v == " ".join(s.summarize(ARTICLE, max_sentences=k))
    lengths = [len(v) for v in summary.variants]
    assert lengths == sorted(lengths, reverse=True)
    assert summary.hook and len(split_sentences(summary.hook)) == 1
    assert summary.hashtags[0] == "Cycling" and len(summary.hashtags) == 2


def test_hashtags_zero_and_language_fallback() -> None:
    text = (
        "Der Stadtrat von Portstadt hat am Montag neue Radwege beschlossen. "
        "Die Radwege sollen bis 2018 durch die ganze Stadt führen. "
        "Die Bürgermeisterin erwartet weniger Unfälle und weniger Lärm in der Innenstadt."
    )
    article = Article(title="Neue Radwege", text=text)
    summary = summarize_article(article, SummaryConfig(sentences=2, hashtags=0, language="de"))
    assert summary.hashtags == []
    assert len(summary.sentences) == 2 and all(x in text for x in summary.sentences)


def test_fewer_sentences_than_asked() -> None:
    text = (
        "The council approved the bicycle lane plan on Monday evening. "
        "Work starts in June next year."
    )
    summary = summarize_article(
        Article(title="Lanes", text=text), SummaryConfig(sentences=5, hashtags=0)
    )
    assert summary.sentences == split_sentences(text)
    assert [len(split_sentences(v)) for v in summary.variants] == [2, 1]


def test_no_body_sentence_no_summary_and_no_hook() -> None:
    # The headline is never used as a summary or hook: the post is then headline + link.
    summary = summarize_article(Article(title="Just a title", text=""), SummaryConfig(hashtags=0))
    assert summary.sentences == [] and summary.variants == [] and summary.hook == ""


def test_paragraphs_repeating_the_headline_are_not_summary() -> None:
    title = "Ferry line to reopen in spring"
    text = ("Review\n\nFerry line to reopen in spring\n\nThe ferry line between the old harbour"
            " and the island will reopen in April after two years of repairs, the authority"
            " said.\n\nTickets will cost the same as before the closure, the authority added.")
    summary = summarize_article(Article(title=title, text=text), SummaryConfig(hashtags=0))
    assert all(title not in s for s in summary.sentences)
    assert "Review" not in summary.sentences  # a label without a full stop
    assert summary.sentences[0].startswith("The ferry line")


@pytest.mark.parametrize(("language", "text"), [
    ("ja", "市議会は月曜日、新しい予算を承認した。市長は予算について「よかった」と述べた。"
           "次の会議は来月に開かれる予定です。"),
    ("ar", "وافق مجلس المدينة يوم الاثنين على الميزانية الجديدة بعد نقاش طويل. هل هذا جيد للمدينة؟"
           " قال الرئيس إن الميزانية ستساعد الجميع في المدينة."),
    ("hi", "नगर परिषद ने सोमवार को नया बजट मंजूर किया। महापौर ने इस फैसले का स्वागत किया।"
           " अगली बैठक अगले महीने होगी।"),
])
def test_every_script_gets_a_summary_from_its_body(language: str, text: str) -> None:
    # Without a language (a .txt file), and with it: sentences are split either way.
    for lang in (None, language):
        article = Article(title="見出し" if language == "ja" else "Headline", text=text,
                          language=lang)
        summary = summarize_article(article, SummaryConfig(sentences=2, hashtags=0))
        assert len(summary.sentences) == 2, summary.sentences
        assert all(s in text for s in summary.sentences)


class _Lead:
    """Another Summarizer: the first sentences (shows the parameter is honoured)."""

    def summarize(
        self,
        text: str,
        *,
        language: str = "en",
        max_sentences: int = 3,
        max_chars: int | None = None,
    ) -> list[str]:
        return split_sentences(text, language)[:max_sentences]

    def hook(self, text: str, *, language: str = "en") -> str:
        return split_sentences(text, language)[-1]


def test_custom_summarizer_is_used() -> None:
    text = "One sentence here for a start. Two sentences make a pair. Three is the last one."
    summary = summarize_article(
        Article(title="t", text=text), SummaryConfig(sentences=2, hashtags=0), _Lead()
    )
    assert summary.sentences == ["One sentence here for a start.", "Two sentences make a pair."]
    assert summary.hook == "Three is the last one."


def test_sample_article(sample_article_path: Path) -> None:
    raw = sample_article_path.read_text(encoding="utf-8")
    body_and_footer = raw.split("\n", 1)[1]
    body = body_and_footer.split("Follow our", 1)[0]  # boilerplate removal is not ours
    footer = body_and_footer[len(body) :]
    article = Article(title=raw.split("\n", 1)[0].strip(), text=body)
    summary = summarize_article(article, SummaryConfig(sentences=3, hashtags=2))
    flat_body = _flat(body)
    assert len(summary.sentences) == 3
    for s in [*summary.sentences, summary.hook]:
        assert _flat(s) in flat_body
        assert _flat(s) not in _flat(footer)
    assert not any(s.endswith(":") for s in summary.sentences)  # "...on the agenda:" intro line
    assert all(len(v) > 0 for v in summary.variants)
    assert "Putin" in summary.hashtags  # named in the title and throughout
    for tag in summary.hashtags:
        assert tag.isalnum()


@pytest.mark.parametrize("n", [1, 2, 4])
def test_sentence_count_follows_config(n: int) -> None:
    summary = summarize_article(
        Article(title="t", text=ARTICLE), SummaryConfig(sentences=n, hashtags=0)
    )
    assert len(summary.sentences) == n
    assert len(summary.variants) == n


def test_a_long_read_is_summarised_from_its_lead_paragraphs() -> None:
    from bot.summarize import LEAD_CHARS, lead

    filler = ("The committee met again on Thursday and discussed the budget in detail, "
              "without reaching a decision on any of the items before it.")
    paragraphs = [f"Paragraph {i}. {filler}" for i in range(200)]
    text = "\n\n".join(paragraphs)
    cut = lead(text)
    assert LEAD_CHARS <= len(cut) < LEAD_CHARS + len(paragraphs[0]) + 2
    assert text.startswith(cut) and text[len(cut):].startswith("\n\n")  # whole paragraphs
    assert lead("One short story.") == "One short story."
    article = Article(title="Budget talks", text=text, url="https://example.org/a")
    summary = summarize_article(article, SummaryConfig())
    assert summary.sentences and all(s in cut for s in summary.sentences)
