"""Length rules: the official twitter-text conformance suite and the platform specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render.length import plain_length, weighted_length, weighted_lower_bound
from bot.render.rules import PlatformRules, grapheme_length
from tests.conftest import SHARED

VALIDATE = SHARED / "corpora" / "twitter-text" / "conformance" / "validate.yml"

# section of validate.yml -> the config the reference implementations use for it
SECTIONS: dict[str, str | None] = {
    "WeightedTweetsCounterTest": "v2",
    "WeightedTweetsWithDiscountedEmojiCounterTest": "v3",
    "UnicodeDirectionalMarkerCounterTest": None,  # the default config
}


def _cases() -> list[Any]:
    if not VALIDATE.is_file():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"missing {VALIDATE}"))]
    tests = yaml.safe_load(VALIDATE.read_text(encoding="utf-8"))["tests"]
    return [
        pytest.param(config, case, id=f"{section}-{i}-{case['description'][:40]}")
        for section, config in SECTIONS.items()
        for i, case in enumerate(tests[section])
    ]


def test_the_suite_has_the_documented_number_of_cases(shared_dir: Path) -> None:
    tests = yaml.safe_load(VALIDATE.read_text(encoding="utf-8"))["tests"]
    assert [len(tests[s]) for s in SECTIONS] == [20, 22, 2]


@pytest.mark.parametrize(("config", "case"), _cases())
def test_weighted_length_matches_conformance_suite(
    shared_dir: Path, config: str | None, case: dict[str, Any]
) -> None:
    text = case["text"]
    got = weighted_length(text) if config is None else weighted_length(text, config)  # type: ignore[arg-type]
    assert got == case["expected"]["weightedLength"], case["description"]


def test_every_url_weighs_23_however_long() -> None:
    long_url = "https://example.org/" + "a" * 300 + "?utm_source=twitter&utm_medium=social"
    assert weighted_length(long_url) == 23
    assert weighted_length(f"Read {long_url}") == len("Read ") + 23


def test_bare_domains_count_as_urls() -> None:
    assert weighted_length("example.com") == 23


def test_cjk_and_emoji_weigh_two() -> None:
    assert weighted_length("日本") == 4
    assert weighted_length("👨‍👩‍👧") == 2  # one ZWJ sequence of five code points
    assert weighted_length("👨‍👩‍👧", "v2") > 2  # v2 counted each code point


def test_text_is_counted_after_nfc_normalisation() -> None:
    decomposed, composed = "e\u0301", "\u00e9"
    assert weighted_length(decomposed) == weighted_length(composed) == 1
    assert plain_length(decomposed) == plain_length(composed) == 1


def test_unknown_config_is_refused() -> None:
    with pytest.raises(ValueError, match="v4"):
        weighted_length("x", "v4")  # type: ignore[arg-type]


WEIGHTED = PlatformRules("p", "P", 280, "weighted", url_weight=23)
CHARS = PlatformRules("p", "P", 500, "characters")
CHARS_URL23 = PlatformRules("p", "P", 500, "characters", url_weight=23)
GRAPHEMES = PlatformRules("p", "P", 300, "graphemes")


def test_each_counting_mode_measures_as_its_platform_does() -> None:
    text = "日本 👨‍👩‍👧 e\u0301 https://example.org/a/very/long/path/to/an/article"
    url = "https://example.org/a/very/long/path/to/an/article"
    assert WEIGHTED.measure(text) == weighted_length(text)
    # code points after NFC: the family emoji is five, the decomposed é one
    assert CHARS.measure(text) == len("日本 ") + 5 + len(" é ") + len(url)
    assert CHARS_URL23.measure(text) == len("日本 ") + 5 + len(" é ") + 23
    # graphemes: the family emoji is one user-perceived character; the URL counts in full
    assert GRAPHEMES.measure(text) == len("日本 ") + 1 + len(" é ") + len(url)


def test_a_weighted_url_counts_the_same_whatever_its_length() -> None:
    short = "read https://ex.org/a"
    long = "read https://ex.org/" + "a" * 200
    assert CHARS_URL23.measure(short) == CHARS_URL23.measure(long) == len("read ") + 23
    assert CHARS.measure(long) > CHARS.measure(short)


def test_graphemes_of_combining_marks_flags_and_hangul_jamo() -> None:
    assert grapheme_length("🇹🇷🇩🇪") == 2  # two flags, four regional indicators
    assert grapheme_length("\u1100\u1161\u11a8") == 1  # one Hangul syllable in jamo
    assert grapheme_length("क्षि") == 1  # Devanagari conjunct with a vowel sign
    assert grapheme_length("") == 0


def test_an_accounts_lower_limit_replaces_the_platforms() -> None:
    lower = WEIGHTED.limited_to(25)
    assert lower.max_length == 25 and lower.counting == "weighted"
    assert WEIGHTED.limited_to(None) is WEIGHTED
    assert lower.fits("a" * 25) and not lower.fits("a" * 26)
    assert lower.describe() == "25 weighted characters, every URL counts 23"
    assert GRAPHEMES.describe() == "300 graphemes, a URL counts as written"


_PIECES = st.one_of(
    st.text("abcXYZ,;:!?'\"()-.#*0123456789 \n\r\t", max_size=30),
    st.text("日本語かが\u3099カタカナ。、ー", max_size=20),
    st.sampled_from(["😀", "1️⃣", "#️⃣", "👨‍👩‍👧‍👦", "🏳️‍🌈", "\u200d", "\ufe0f", "e\u0301", "Ａ"]),
    st.sampled_from(["https://example.com/path", "example.com", "ASP.NET", "a.co", "例え.jp"]),
    st.text(max_size=10),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_the_quick_lower_bound_never_exceeds_the_real_count(text: str) -> None:
    assert weighted_lower_bound(text) <= weighted_length(text)


def test_the_lower_bound_is_tight_for_plain_words() -> None:
    text = "plain words, (quoted) and 日本語 here"
    assert weighted_lower_bound(text) == weighted_length(text) == len(text) + 3


def test_the_code_points_counted_without_the_emoji_scan_are_in_no_emoji() -> None:
    """The fast path's alphabet (everything below U+20D0 but © ® ‼ ⁉) against twitter-text's
    own emoji pattern: no code point of it is an emoji, alone, doubled or joined; and every
    code point the pattern needs beside them (keycap, variation selector) is outside it."""
    from twitter_text.regexp.emoji import emoji

    from bot.render.length import _NO_EMOJI

    safe = [chr(c) for c in range(0x20D0) if _NO_EMOJI.fullmatch(chr(c))]
    assert len(safe) == 0x20D0 - 4
    for ch in safe:
        for form in (ch, ch + ch, f"{ch}\u200d{ch}", f"{ch}1#*{ch}"):
            assert not emoji.search(form), hex(ord(ch))
    for needed in ("\u20e3", "\ufe0f", "\u00a9", "\u00ae", "\u203c", "\u2049", "\U0001f600"):
        assert not _NO_EMOJI.fullmatch(f"1{needed}")


_LATIN = st.one_of(
    _PIECES,
    st.text("àéîõüçñßÀÉ\u0301\u0308ЖжΩωğışİ\u2019\u201c\u2014\u2026\r\n ", max_size=20),
    st.sampled_from(["\r\n", "\r", "https://example.org/a?b=c#d", "www.example.com",
                     "e\u0301x.com", "x.com/\u00e9t\u00e9"]),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_LATIN, max_size=12).map("".join))
def test_skipping_the_emoji_scan_never_changes_a_count(text: str) -> None:
    from bot.render.length import _options, twitter_text

    full = twitter_text().parse_tweet(text, _options("v3")).weightedLength
    weighted_length.cache_clear()
    assert weighted_length(text) == full
