"""The rules a platform puts on a post: how long it may be and how that length is counted.

Each adapter class declares its platform's rules once, as its ``rules`` class attribute
(:class:`bot.adapters.base.Adapter`); the renderer, the dry-run adapter and the docs all
read that declaration. The type lives here, in the render layer, because measuring is
rendering's job and the adapters (a later stage) may import it, not the other way round:
the pipeline hands each account's rules to :func:`bot.render.render_posts`.

Three ways of counting:

``weighted``
    X's twitter-text v3 rules: NFC, a few Latin/punctuation ranges weigh 1, everything
    else (CJK, emoji sequences) 2, and every URL ``url_weight`` (23).
``characters``
    Unicode code points after NFC (Facebook, YouTube; Mastodon with ``url_weight``).
``graphemes``
    user-perceived characters (extended grapheme clusters), as Bluesky counts.

With ``url_weight`` set, every URL counts that much whatever its length (for ``weighted``
twitter-text does this itself); ``None`` means a URL counts as written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Literal

from bot.render.length import weighted_length, weighted_lower_bound

Counting = Literal["weighted", "characters", "graphemes"]

# What a platform turns into a link: a scheme and host, up to white space.
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)


@dataclass(frozen=True)
class PlatformRules:
    """What one platform accepts. Adapters declare one; see the module docstring."""

    platform: str
    """The platform key used in configuration (``twitter``, ``facebook`` …)."""
    title: str
    """How people call it, for docs and messages (``X``, ``Facebook Page`` …)."""
    max_length: int
    counting: Counting
    url_weight: int | None = None
    hashtags: bool = True
    """Hashtags become links on this platform (otherwise templates should not add them)."""
    mentions: str = ""
    """How a mention is written there (``@name``, ``@user@server``), empty when the bot
    never writes mentions for it."""
    link_card: bool = False
    """The platform builds a preview card from the article's Open Graph tags by itself."""
    max_images: int = 0
    """Images the bot attaches to one post (0: none; the link card shows the image)."""
    max_image_bytes: int | None = None
    rate_limit: tuple[int, float] | None = None
    """(posts, window in seconds) the platform publishes as its limit, when it does."""
    notes: str = ""
    """One line for the docs: what the numbers rest on."""

    def measure(self, text: str) -> int:
        """The length the platform counts for ``text``."""
        if self.counting == "weighted":
            return weighted_length(text)
        text = unicodedata.normalize("NFC", text)
        if self.url_weight is None:
            return _count(text, self.counting)
        total, pos = 0, 0
        for m in _URL.finditer(text):
            total += _count(text[pos:m.start()], self.counting) + self.url_weight
            pos = m.end()
        return total + _count(text[pos:], self.counting)

    def fits(self, text: str) -> bool:
        if self.counting == "weighted" and weighted_lower_bound(text) > self.max_length:
            return False  # certainly too long: skip the full count
        return self.measure(text) <= self.max_length

    def limited_to(self, max_length: int | None) -> PlatformRules:
        """These rules with another length limit (an account's ``max_length``)."""
        return self if max_length is None else replace(self, max_length=max_length)

    def doc_row(self) -> list[str]:
        """This platform's row of the rules table (``bot platforms`` and the README)."""
        rate = "—"
        if self.rate_limit:
            n, span = self.rate_limit
            rate = f"{n} per {span / 60:g} min" if span < 86400 else f"{n} per {span / 3600:g} h"
        return [
            self.title, f"`{self.platform}`", str(self.max_length), self.counting,
            "as written" if self.url_weight is None else str(self.url_weight),
            "yes" if self.link_card else "no", str(self.max_images), rate,
        ]

    def describe(self) -> str:
        """``280 weighted characters, every URL counts 23`` — for docs and previews."""
        unit = {"weighted": "weighted characters", "characters": "characters",
                "graphemes": "graphemes"}[self.counting]
        url = (f", every URL counts {self.url_weight}" if self.url_weight is not None
               else ", a URL counts as written")
        return f"{self.max_length} {unit}{url}"


DOC_HEADER = ["platform", "key", "limit", "counted in", "a URL counts", "link card", "images",
              "published rate limit"]


def _count(text: str, counting: Counting) -> int:
    if counting == "graphemes":
        return grapheme_length(text)
    return len(text)


def grapheme_length(text: str) -> int:
    """User-perceived characters (extended grapheme clusters, Unicode UAX #29)."""
    import regex  # the third-party module: it knows \\X; imported on first use

    return len(regex.findall(r"\X", text))
