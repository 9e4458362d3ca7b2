"""fit.truncate: word-boundary cuts that keep URLs, hashtags, mentions and quotes whole."""

from __future__ import annotations

import pytest

from bot.render.fit import break_points, finish, truncate, truncate_to, unmatched_openers


def within(n: int) -> object:
    return lambda s: len(s) <= n


def test_text_that_fits_comes_back_unchanged() -> None:
    assert truncate("short text", within(100)) == "short text"  # type: ignore[arg-type]


def test_empty_text_gives_none() -> None:
    assert truncate("   ", within(100)) is None  # type: ignore[arg-type]


def test_cuts_at_the_last_word_that_fits_and_adds_an_ellipsis() -> None:
    # "alpha beta…" is 11 characters; "alpha beta gamma…" would be 17.
    assert truncate_to("alpha beta gamma delta", 16, len) == "alpha beta…"


def test_trailing_commas_and_dashes_go_before_the_ellipsis() -> None:
    assert truncate_to("alpha, beta gamma", 11, len) == "alpha…"
    assert truncate_to("alpha — beta gamma", 12, len) == "alpha…"


def test_nothing_fits_gives_none() -> None:
    assert truncate_to("alphabet soup", 3, len) is None


def test_a_single_word_without_spaces_is_never_cut() -> None:
    assert truncate_to("a" * 400, 50, len) is None


@pytest.mark.parametrize(
    "text",
    [
        "read https://example.com/a/very/long/path/that/goes/on?x=1 now please ok",
        "hello @somebody_with_a_long_name and #SomeLongHashtag2026 again and again",
        "東京の #日本語の話題 について https://例え.jp/パス 話しました。次の話題です",
    ],
)
def test_urls_mentions_and_hashtags_are_kept_whole_or_left_out(text: str) -> None:
    tokens = set(text.split())
    for limit in range(1, len(text) + 2):
        out = truncate_to(text, limit, len)
        if out is None:
            continue
        assert len(out) <= limit
        for tok in out.split():
            if tok[0] in "#@h":
                assert tok.rstrip("…") in tokens, (limit, out)


def test_cjk_text_without_spaces_is_cut_between_characters() -> None:
    # Eight characters allowed: seven kept plus the ellipsis.
    assert truncate_to("日本語の文章です。次の文章です。", 8, len) == "日本語の文章で…"


def test_a_cut_at_a_sentence_end_wins_when_it_keeps_enough() -> None:
    text = "First sentence here. Second one goes on and on"
    # Best word cut "First sentence here. Second one…" (32); the sentence (20) is >= 60 % of it.
    assert truncate_to(text, 33, len) == "First sentence here."
    # With room for "...goes on…" (40) the sentence would keep only half: the word cut wins.
    assert truncate_to(text, 40, len) == "First sentence here. Second one goes on…"


def test_an_open_quote_is_closed_when_dropping_it_would_lose_too_much() -> None:
    text = "He said “this is a long quote with many words” and left"
    out = truncate_to(text, 37, len)
    # Longest cut: 'He said “this is a long quote with' + '…' + '”' = 36 characters.
    assert out == "He said “this is a long quote with…”"
    assert unmatched_openers(out) == []


def test_an_open_quote_is_dropped_when_that_costs_little() -> None:
    text = "He said “this is a long quote with many words” and left"
    # 'He said “this…”' would fit 15, but 'He said' keeps more than half of 'He said “this'.
    assert truncate_to(text, 15, len) == "He said…"


def test_brackets_inside_a_word_drop_back_to_the_word_start() -> None:
    assert finish("one two three four five six seven f(x") == "one two three four five six seven…"


def test_unmatched_openers_handles_nesting_and_straight_quotes() -> None:
    assert unmatched_openers('a (b [c] "d" e') == [(2, "(")]
    assert unmatched_openers('x "y (z') == [(2, '"'), (5, "(")]
    assert unmatched_openers("ok) (fine)") == []


def test_nested_openers_are_closed_innermost_first() -> None:
    assert finish("«(alpha beta") == "«(alpha beta…)»"


def test_break_points_never_fall_inside_a_hashtag_or_url() -> None:
    text = "#日本語 見て https://example.com/日本 です"
    pts = break_points(text)
    assert all(not (0 < p < 4) for p in pts)  # inside "#日本語"
    start = text.index("https")
    end = start + len("https://example.com/日本")
    assert all(not (start < p < end) for p in pts)
