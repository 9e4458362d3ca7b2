"""Length rules: the official twitter-text conformance suite and the platform specs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import Account
from bot.render.length import plain_length, weighted_length, weighted_lower_bound
from bot.render.platforms import SPECS, spec_for
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


def test_platform_specs() -> None:
    assert (SPECS["twitter"].max_length, SPECS["twitter"].url_weight) == (280, 23)
    assert SPECS["twitter"].weighted and not SPECS["facebook"].weighted
    assert SPECS["facebook"].max_length == 63206
    assert SPECS["youtube"].max_length == 1000
    assert SPECS["twitter"].measure("日本") == 4
    assert SPECS["youtube"].measure("日本") == 2


def test_account_max_length_overrides_the_platform_limit() -> None:
    yt = spec_for(Account(name="yt", platform="youtube", max_length=500))
    assert yt.max_length == 500 and not yt.weighted
    x = spec_for(Account(name="x", platform="twitter", max_length=25000))
    assert x.max_length == 25000 and x.weighted
    assert spec_for(Account(name="fb", platform="facebook")) == SPECS["facebook"]
    assert x.fits("a" * 25000) and not x.fits("a" * 25001)


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
