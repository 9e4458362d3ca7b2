"""Summaries, teasers and hashtags for an article (stage 3: Article -> Summary).

Importing this package is cheap: pysbd and the stop-word lists are loaded on first use.
"""

from __future__ import annotations

import re

from bot.config import SummaryConfig
from bot.models import Article, Summary
from bot.summarize.extractive import ExtractiveSummarizer, Summarizer, Tuning
from bot.summarize.hashtags import hashtags as _hashtags
from bot.summarize.sentences import split_sentences

# ``hashtags`` is not re-exported: it would hide the ``bot.summarize.hashtags`` module.
__all__ = [
    "ExtractiveSummarizer",
    "Summarizer",
    "Tuning",
    "split_sentences",
    "summarize_article",
]

_default: ExtractiveSummarizer | None = None


def default_summarizer() -> ExtractiveSummarizer:
    global _default
    if _default is None:
        _default = ExtractiveSummarizer()
    return _default


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]+", " ", text.casefold()).split())


def without_headline(text: str, title: str) -> str:
    """``text`` without the paragraphs that only repeat the headline (sites print it again
    after a label, a dek or a "related" link)."""
    head = _norm(title)
    if not head:
        return text
    paragraphs = text.split("\n\n")
    kept = [p for p in paragraphs if _norm(p) != head]
    return text if len(kept) == len(paragraphs) else "\n\n".join(kept)


LEAD_CHARS = 8000
"""How much of the body the summary reads: whole paragraphs up to about this many characters
(the first paragraph always). A post's sentences come from the lead; this is longer than
almost any news article (the CNN/DailyMail set: at most 6,163 characters) and keeps a long
read, or a page with comments glued on, from costing more than a news story."""


def lead(text: str, limit: int = LEAD_CHARS) -> str:
    """``text`` cut after the paragraph that reaches ``limit`` characters."""
    if len(text) <= limit:
        return text
    end = text.find("\n\n", limit)
    return text if end < 0 else text[:end]


def summarize_article(
    article: Article, cfg: SummaryConfig, summarizer: Summarizer | None = None
) -> Summary:
    """The article's best ``cfg.sentences`` sentences, the step-down variants, hook, hashtags.

    ``variants`` is richest first: the best N sentences, the best N-1, ..., the best one,
    each in article order joined by single spaces (duplicates left out). Everything comes
    from the body, never from the headline: paragraphs that repeat the headline are left
    out, and an article without a usable body sentence gets no summary and no hook (its
    posts are the headline and the link).
    """
    s = summarizer or default_summarizer()
    language = article.language or cfg.language
    text = lead(without_headline(article.text, article.title))
    best = s.summarize(text, language=language, max_sentences=cfg.sentences)
    variants: list[str] = []
    if best:
        variants.append(" ".join(best))
        for k in range(len(best) - 1, 0, -1):
            v = " ".join(s.summarize(text, language=language, max_sentences=k))
            if v and v not in variants:
                variants.append(v)
    hook = s.hook(text, language=language) or (best[0] if best else "")
    return Summary(
        sentences=best,
        variants=variants,
        hook=hook,
        hashtags=_hashtags(article, cfg.hashtags, language=language, mode=cfg.hashtag_mode),
    )
