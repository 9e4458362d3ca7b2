"""Summaries, teasers and hashtags for an article (stage 3: Article -> Summary).

Importing this package is cheap: pysbd and yake are imported on first use.
"""

from __future__ import annotations

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


def summarize_article(
    article: Article, cfg: SummaryConfig, summarizer: Summarizer | None = None
) -> Summary:
    """The article's best ``cfg.sentences`` sentences, the step-down variants, hook, hashtags.

    ``variants`` is richest first: the best N sentences, the best N-1, ..., the best one,
    each in article order joined by single spaces (duplicates left out). The hook falls
    back to the first summary sentence, then to the title, so it is never empty for an
    article with a title.
    """
    s = summarizer or default_summarizer()
    language = article.language or cfg.language
    best = s.summarize(article.text, language=language, max_sentences=cfg.sentences)
    variants: list[str] = []
    if best:
        variants.append(" ".join(best))
        for k in range(len(best) - 1, 0, -1):
            v = " ".join(s.summarize(article.text, language=language, max_sentences=k))
            if v and v not in variants:
                variants.append(v)
    hook = s.hook(article.text, language=language) or (best[0] if best else article.title)
    return Summary(
        sentences=best,
        variants=variants,
        hook=hook,
        hashtags=_hashtags(article, cfg.hashtags, language=language),
    )
