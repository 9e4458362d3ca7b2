"""Hashtags for an article: its own tags first, then keywords found by yake.

A tag of several words becomes one CamelCase hashtag ("real estate" -> "RealEstate").
Numbers, stop words, single letters, catch-all categories ("Uncategorized") and anything
longer than 25 characters never become hashtags; neither do URLs, handles or punctuation.
yake is imported on first use only.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.summarize import junk
from bot.summarize.sentences import normalize_language, split_sentences
from bot.summarize.words import stopwords

if TYPE_CHECKING:
    from bot.models import Article

MAX_LENGTH = 25
KEYWORD_TEXT_CHARS = 300
"""yake reads the title and about this much of the opening (whole sentences): the point of
a news article is up front, and yake's cost grows faster than the text (median per article
on the 2-core dev box: 2.7 ms at 300 characters, 4.6 ms at 600, ~30 ms at 2,000; the tags
chosen on the CNN/DailyMail dev set barely differ between 300 and 600)."""

# fmt: off
_CATCH_ALL = frozenset({
    "uncategorized", "uncategorised", "uncategorized posts", "general", "misc",
    "miscellaneous", "other", "others", "none", "default", "blog", "news", "featured", "home",
    "sin categoría", "allgemein", "non classé", "senza categoria",
})
# Dates make poor hashtags (English; other languages rely on yake's ranking).
_DATE_WORDS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "today", "yesterday", "tomorrow", "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
    "week", "weekend", "month", "year",
})
# fmt: on
# News agencies and networks name the source, not the story.
_AGENCIES = frozenset({"cnn", "ap", "afp", "reuters", "upi", "bbc", "pa", "dpa", "efe"})
_JUNK = re.compile(r"https?:|www\.|@|\\|\w\.[a-z]{2,6}\b")  # links, handles, domains
_POSSESSIVE = re.compile(r"['’]s\b")
_WORD_BEFORE = re.compile(r"(\w+)(?:['’]s)?[ \t]+$")
_WORD_AFTER = re.compile(r"(?:['’]s)?[ \t]+(\w+)")
_SPLIT = re.compile(r"[\s\-_–—/.,:;+&]+")
_NON_WORD = re.compile(r"[\W_]+")


def _word(w: str) -> str:
    """One word of a CamelCase hashtag: first letter up, the rest as written."""
    return w[:1].upper() + w[1:]


def to_hashtag(phrase: str, language: str | None = None) -> str | None:
    """The hashtag (without '#') for a tag or keyword, or None when it makes a poor one."""
    raw = phrase.strip().lstrip("#").strip()
    if not raw or _JUNK.search(raw) or raw.casefold() in _CATCH_ALL:
        return None
    stop = stopwords(language)
    parts = [_NON_WORD.sub("", p) for p in _SPLIT.split(_POSSESSIVE.sub("", raw))]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if all(p.casefold() in stop or p.isdigit() for p in parts):
        return None
    tag = parts[0] if len(parts) == 1 else "".join(_word(p) for p in parts)
    if len(tag) < 2 or len(tag) > MAX_LENGTH or tag.isdigit() or tag.casefold() in stop:
        return None
    if tag.casefold() in _DATE_WORDS:
        return None
    if not any(c.isalpha() for c in tag):
        return None
    return tag


def _from_tags(tags: list[str], language: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for t in tags:
        h = to_hashtag(t, language)
        if h is not None:
            out.append((h, t))
    return out


@lru_cache(maxsize=16)
def _extractor(language: str, top: int) -> Any:
    import yake

    return yake.KeywordExtractor(
        lan=language, n=2, top=top, dedup_lim=0.7, stopwords=set(stopwords(language))
    )


def keywords(text: str, language: str | None, top: int = 20) -> list[str]:
    """yake's keywords (1- and 2-grams) for ``text``, best first."""
    if not text.strip():
        return []
    lang = normalize_language(language)
    found = _extractor(lang, top).extract_keywords(text)
    return [str(kw) for kw, _score in found]


def _is_name_fragment(kw: str, text: str, stop: frozenset[str]) -> bool:
    """'President Vladimir' (of 'Vladimir Putin'), 'Recep Tayyip' (of 'Recep Tayyip Erdogan')."""
    words = kw.split()
    if len(words) < 2:
        return False
    capitals = [w[:1].isupper() for w in words]
    if any(capitals) and not all(capitals):
        return True  # "comedy Veep", "candidate Hillary"
    if not all(capitals):
        return False
    pattern = re.compile(r"(?<!\w)" + r"(?:['’]s)?\s+".join(map(re.escape, words)) + r"(?!\w)")

    def name_word(m: re.Match[str] | None) -> bool:
        w = m.group(1) if m else ""
        return w[:1].isupper() and w.casefold() not in stop

    found = False
    for m in pattern.finditer(text):
        found = True
        before = _WORD_BEFORE.search(text, max(0, m.start() - 40), m.start())
        after = _WORD_AFTER.match(text, m.end())
        if not (name_word(before) or name_word(after)):
            return False  # the keyword stands on its own at least once
    return found


def _rank(kw: str) -> int:
    """Proper names first, then single common words, then two common words."""
    if any(w[:1].isupper() for w in kw.split()):
        return 0
    return 1 if " " not in kw else 2


def _keyword_text(article: Article, language: str) -> str:
    """The title and the opening sentences, without datelines and furniture."""
    parts = [article.title.strip()] if article.title.strip() else []
    size = 0
    for raw in split_sentences(article.text[: 3 * KEYWORD_TEXT_CHARS], language):
        s = junk.clean_sentence(raw)
        if s and not junk.is_boilerplate(s):
            parts.append(s)
            size += len(s)
            if size >= KEYWORD_TEXT_CHARS:
                break
    return "\n".join(parts)


def hashtags(article: Article, count: int, *, language: str | None = None) -> list[str]:
    """Up to ``count`` hashtags (no '#'): the article's tags first, then yake keywords.

    Keywords that name the site or are fragments of a longer name are skipped; proper
    names come before common words. Deduplicated case-insensitively; a keyword sharing a
    word with a hashtag already chosen is skipped ("Putin" after "VladimirPutin").
    ``language`` is used when the article does not say.
    """
    if count <= 0:
        return []
    lang = normalize_language(article.language or language)
    chosen: list[str] = []
    seen: set[str] = set()
    used_words: set[str] = set()

    def add(tag: str, words: list[str]) -> None:
        key = tag.casefold()
        if key in seen or len(chosen) >= count:
            return
        chosen.append(tag)
        seen.add(key)
        used_words.update(w.casefold() for w in words if w)

    for tag, phrase in _from_tags(article.tags, lang):
        add(tag, _SPLIT.split(phrase))
    if len(chosen) < count:
        text = _keyword_text(article, lang)
        skip = {(article.site_name or "").casefold(), *_AGENCIES}
        found = [
            k for k in keywords(text, lang, top=max(10, 5 * count)) if k.casefold() not in skip
        ]
        for kw in sorted(found, key=_rank):  # stable: yake's order within each rank
            h = to_hashtag(kw, lang)
            words = [w for w in _SPLIT.split(_POSSESSIVE.sub("", kw)) if w]
            if h is None or any(w.casefold() in used_words for w in words):
                continue
            if _is_name_fragment(kw, text, stopwords(lang)):
                continue
            if any(h.casefold()[:7] == c.casefold()[:7] for c in chosen if len(h) >= 7):
                continue  # "Scientologist" after "Scientology"
            add(h, words)
            if len(chosen) >= count:
                break
    return chosen
