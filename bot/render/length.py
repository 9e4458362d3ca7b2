"""Post length as the platforms count it.

X counts *weighted* characters (twitter-text v3 rules): the text is NFC-normalised, code
points in a few Latin/punctuation ranges weigh 1, everything else (CJK, emoji sequences)
weighs 2, and every URL - including bare domains such as ``example.com`` - weighs 23.
Facebook and YouTube count plain characters. ``twitter_text`` is imported on first use so
that importing this module (and the CLI) stays cheap.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, Literal

TwitterConfig = Literal["v2", "v3"]
"""v3 (the default, what X uses today) counts an emoji sequence as 2; v2 counts code points."""


@cache
def twitter_text() -> ModuleType:
    """The twitter_text package, imported on first use (it takes about 0.2 s)."""
    with warnings.catch_warnings():
        # twitter-text-parser 3.0 imports pkg_resources, which setuptools deprecates.
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
        import twitter_text as module
        import twitter_text.config
    return module


@cache
def _options(config: TwitterConfig) -> dict[str, Any]:
    configs = twitter_text().config.config

    if config == "v3":
        return dict(configs["version3"])
    if config == "v2":
        opts = dict(configs["version2"])
        # twitter-text-parser 3.0's version2 config lacks this key; v2 has no emoji parsing.
        opts.setdefault("emoji_parsing_enabled", False)
        return opts
    raise ValueError(f"unknown twitter-text config {config!r} (use 'v2' or 'v3')")


# Code points no emoji of twitter-text's pattern can contain: everything below U+20D0 (the
# combining marks for symbols, keycap U+20E3 among them) but the four that are emoji
# (© ® ‼ ⁉). Digits, '#' and '*' start keycap emoji only with U+FE0F or U+20E3, which are
# not in it. Checked against the pattern itself in the tests.
_NO_EMOJI = re.compile(r"[\x00-\xa8\xaa-\xad\xaf-\u203b\u203d-\u2048\u204a-\u20cf]*")


@lru_cache(maxsize=1024)
def weighted_length(text: str, config: TwitterConfig = "v3") -> int:
    """The length X counts for ``text`` (280 is the limit for a standard post).

    Cached: ``parse_tweet`` takes about a millisecond, and rendering measures the chosen
    text again after fitting it. Most of that millisecond is twitter-text's scan for emoji,
    which it runs whatever the text; a text that cannot hold one (most Latin, Greek and
    Cyrillic news) is counted by :func:`_without_emoji` instead: the same count, from
    twitter-text's own URL extractor and character weights (the tests compare the two).
    """
    options = _options(config)
    if _NO_EMOJI.fullmatch(text):
        return _without_emoji(text, options)
    return int(twitter_text().parse_tweet(text, options).weightedLength)


def _without_emoji(text: str, options: dict[str, Any]) -> int:
    """``parse_tweet(text).weightedLength`` for a text without emoji: NFC, line endings as
    ``\\n``, every URL ``transformed_url_length``, every other code point its range's weight."""
    from twitter_text.extract_urls import extract_urls_with_indices
    from twitter_text.get_character_weight import get_character_weight

    normal = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    urls = {u["indices"][0]: len(u["url"]) for u in extract_urls_with_indices(normal)}
    total, i = 0, 0
    while i < len(normal):
        if i in urls:
            total += options["transformed_url_length"] * options["scale"]
            i += urls[i]
        else:
            total += get_character_weight(normal[i], options)
            i += 1
    return int(total / options["scale"])


# Whole words that weigh exactly 1 (plain ASCII letters and a little punctuation, no dot,
# digit, '#' or '*', so neither part of a URL nor of an emoji) or exactly 2 (CJK, kana)
# per code point, NFC-stable.
_ONE = re.compile(r"(?<!\S)[A-Za-z,;:!?'\"()\-]+(?!\S)")
_TWO = re.compile(r"(?<!\S)[\u3041-\u3096\u309d-\u30ff\u3400-\u4dbf\u4e00-\u9fff]+(?!\S)")


def weighted_lower_bound(text: str) -> int:
    """A cheap number never above :func:`weighted_length` (to reject long drafts fast)."""
    spaces = text.count(" ") + text.count("\n")
    ones = sum(len(w) for w in _ONE.findall(text))
    twos = sum(len(w) for w in _TWO.findall(text))
    return spaces + ones + 2 * twos


def plain_length(text: str) -> int:
    """Code points after NFC normalisation (what Facebook and YouTube limits count)."""
    return len(unicodedata.normalize("NFC", text))


def has_url(text: str) -> bool:
    """True when X would find a URL in ``text`` (bare domains such as ``example.com``
    included): such a post is billed as "with URL"."""
    return bool(twitter_text().extract_urls(text))
