"""Sentence splitting: pysbd's answers on the hard cases, our paragraph rules, the fast path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.summarize.sentences import normalize_language, split_paragraphs, split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # abbreviations that are not sentence ends
        (
            "The U.S. economy grew fast. It was fine.",
            ["The U.S. economy grew fast.", "It was fine."],
        ),
        (
            "He met Dr. Smith on Feb. 12 in Ankara. They talked for an hour.",
            ["He met Dr. Smith on Feb. 12 in Ankara.", "They talked for an hour."],
        ),
        (
            "Mr. and Mrs. Smith went to Washington, D.C. on Tuesday. They stayed at the St. Regis.",
            [
                "Mr. and Mrs. Smith went to Washington, D.C. on Tuesday.",
                "They stayed at the St. Regis.",
            ],
        ),
        (
            "J. R. R. Tolkien wrote books. They sold well.",
            ["J. R. R. Tolkien wrote books.", "They sold well."],
        ),
        # decimal numbers, money, percentages
        (
            "Shares rose 3.5 percent to $12.75 on Monday. Analysts were surprised.",
            ["Shares rose 3.5 percent to $12.75 on Monday.", "Analysts were surprised."],
        ),
        ("Prices rose by 5%. The index fell.", ["Prices rose by 5%.", "The index fell."]),
        # quotations: a full stop inside quotes does not end the sentence around them
        ('He said "It is fine." Then he left.', ['He said "It is fine."', "Then he left."]),
        (
            '"I am here. I am ready," she said. Then she left.',
            ['"I am here. I am ready," she said.', "Then she left."],
        ),
        (
            "He told me: “We will win. We always do.” The crowd cheered.",
            ["He told me: “We will win. We always do.”", "The crowd cheered."],
        ),
        # questions and exclamations
        (
            "Is it true? Nobody knows! We will see.",
            ["Is it true?", "Nobody knows!", "We will see."],
        ),
    ],
)
def test_tricky_english(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_paragraphs_are_never_joined() -> None:
    # No full stop at the end of the first paragraph: still two sentences.
    text = "First paragraph without an end\n\nSecond paragraph here."
    assert split_sentences(text) == ["First paragraph without an end", "Second paragraph here."]
    # A title line over its body (one line break) stays apart too.
    assert split_sentences("Title Line\nBody starts here.") == ["Title Line", "Body starts here."]
    assert split_paragraphs("One. Two.\n\nThree.") == [["One.", "Two."], ["Three."]]


def test_hard_wrapped_line_continues_its_sentence() -> None:
    text = "A sentence that is\nwrapped across lines. Next one."
    assert split_sentences(text) == ["A sentence that is wrapped across lines.", "Next one."]


def test_whitespace_stripped_and_empty_dropped() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n \t ") == []
    assert split_sentences("  Spaced   out   words.  \n\n\n  Next.  ") == [
        "Spaced out words.",
        "Next.",
    ]


def test_languages() -> None:
    assert normalize_language("en-US") == "en"
    assert normalize_language("pt_BR") == "pt"
    assert normalize_language(None) == "en"
    # unsupported -> English rules
    assert split_sentences("Hello world. Bonjour.", "xx") == ["Hello world.", "Bonjour."]
    assert split_sentences("Das ist z.B. gut. Und das auch.", "de") == [
        "Das ist z.B. gut.",
        "Und das auch.",
    ]
    # scripts without spaces go to pysbd whole
    assert split_sentences("这是第一句。这是第二句。", "zh") == ["这是第一句。", "这是第二句。"]


_WORD = st.sampled_from(
    "apple river stone garden window yellow quickly market travel silent morning "  # noqa: SIM905
    "bridge letter winter number forest people simple".split()
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(_WORD, min_size=2, max_size=12), min_size=1, max_size=8),
    st.sampled_from([".", "?", "!"]),
)
def test_plain_sentences_come_back_exactly(words: list[list[str]], end: str) -> None:
    """Plain prose: the fast path and pysbd must both give back the sentences written."""
    import pysbd

    sentences = [" ".join([w[0].capitalize(), *w[1:]]) + end for w in words]
    text = " ".join(sentences)
    assert split_sentences(text) == sentences
    assert [
        s.strip() for s in pysbd.Segmenter(language="en", clean=False).segment(text)
    ] == sentences


def test_import_is_lazy() -> None:
    """`import bot.summarize` must not pull in pysbd or yake (CLI start-up time)."""
    code = (
        "import sys, bot.summarize\n"
        "bad = [m for m in ('pysbd', 'yake', 'numpy') if m in sys.modules]\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
