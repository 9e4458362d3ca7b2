"""The pieces a post is made of, cleaned for one account."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.config import Account, Settings
from bot.models import Article, Summary
from bot.render.links import with_utm

# C0/C1 controls, surrogates, and the code points twitter-text calls invalid.
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def one_line(text: str | None) -> str:
    """Text as one clean line: controls removed, whitespace runs become one space."""
    if not text:
        return ""
    return " ".join(_BAD.sub("", unicodedata.normalize("NFC", text)).split())


def hashtag_text(value: object) -> str:
    """A hashtag without '#': 'climate change' -> 'ClimateChange'; '' if nothing usable."""
    words = re.findall(r"\w+", unicodedata.normalize("NFC", str(value)))
    if len(words) > 1:
        words = [w[:1].upper() + w[1:] for w in words]
    tag = "".join(words)
    return "" if tag.isdigit() else tag


def clean_hashtags(tags: list[str], limit: int | None) -> list[str]:
    """Usable hashtags without '#': word characters only, not all digits, no duplicates."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        t = hashtag_text(tag)
        if not t or t.casefold() in seen:
            continue
        seen.add(t.casefold())
        out.append(t)
    return out if limit is None else out[:limit]


@dataclass
class Material:
    """Everything one account's post can use, before fitting."""

    title: str
    variants: list[str]
    """Summaries to step down through, richest first."""
    hook: str
    sentences: list[str]
    hashtags: list[str]
    link: str | None
    base: dict[str, Any] = field(default_factory=dict)
    """Context entries that do not change while fitting."""

    def sentences_of(self, text: str) -> list[str]:
        """``text`` split into the known sentences it is made of (plus any rest)."""
        out: list[str] = []
        rest = text.strip()
        for s in self.sentences:
            if s and rest.startswith(s):
                out.append(s)
                rest = rest[len(s):].lstrip()
        if rest:
            out.append(rest)
        return out

    def context(self, title: str, summary: str, hashtags: list[str]) -> dict[str, Any]:
        sentences = self.sentences_of(summary) if summary else []
        return {
            **self.base, "title": title, "summary": summary, "sentences": sentences,
            "lead": self.lead_of(sentences), "teaser": self.teaser_for(summary),
            "hashtags": list(hashtags), "hashtag_line": " ".join(f"#{h}" for h in hashtags),
        }

    def teaser_for(self, summary: str) -> str:
        """The hook while the post has room for a summary at all: '' once the fitting has
        dropped the summary, the cut-down text once it has cut one."""
        if not summary:
            return ""
        if summary in self.variants or summary == self.hook:
            return self.hook or self.lead_of(self.sentences_of(summary))
        return summary

    def lead_of(self, sentences: list[str]) -> str:
        """The first of ``sentences`` that can open a post on its own (no "He said ..." or
        "But ..." whose subject the reader never met); '' when none can."""
        from bot.summarize.extractive import leans_on_previous

        language = self.base.get("article", {}).get("language") or "en"
        for s in sentences:
            if not leans_on_previous(s, language):
                return s
        return ""


def gather(article: Article, summary: Summary, account: Account, settings: Settings) -> Material:
    sentences = [s for s in (one_line(x) for x in summary.sentences) if s]
    variants = [v for v in (one_line(x) for x in summary.variants) if v]
    if not variants:
        variants = [" ".join(sentences[:n]) for n in range(len(sentences), 0, -1)]
    link = article.url.strip() if article.url and article.url.strip() else None
    if link and account.utm:
        link = with_utm(link, account.utm)
    hook = one_line(summary.hook)
    base = {
        "article": {
            "title": one_line(article.title), "url": article.url,
            "author": one_line(article.author) or None,
            "published": article.published, "image": article.image, "tags": list(article.tags),
            "language": article.language, "site_name": one_line(article.site_name) or None,
        },
        "hook": hook, "link": link,
        "site_name": one_line(article.site_name) or settings.site_name,
        "platform": account.platform, "account": account.name,
    }
    return Material(
        title=one_line(article.title), variants=variants, hook=hook, sentences=sentences,
        hashtags=clean_hashtags(summary.hashtags, account.hashtags), link=link, base=base,
    )
