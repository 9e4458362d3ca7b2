"""Shortening text at a word boundary so that a post fits.

:func:`truncate` keeps the longest prefix of a text that ends at a break opportunity and
still fits, then finishes it: trailing commas and dashes go, an ellipsis is added (unless
the prefix ends a sentence), and a quote or bracket left open is either dropped (when that
costs little) or closed after the ellipsis. A cut never falls inside a URL, a word, a
hashtag or a mention; text without spaces may only be cut between CJK characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from bot.render.length import twitter_text

ELLIPSIS = "…"

PAIRS: dict[str, str] = {
    "(": ")", "[": "]", "{": "}", "“": "”", "«": "»",
    "「": "」", "『": "』", "（": "）", "［": "］", "【": "】", "〈": "〉", "《": "》",
}
_CLOSERS = {close: open_ for open_, close in PAIRS.items()}
_TRAILING_JUNK = " \t\n,;:、，；：-–—/&·|"
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"”’»)\]）」』]*)$")
_SENTENCE_CHARS = frozenset(".!?。！？…\"”’»)]）」』")
_SPACE = re.compile(r"\s+")


def unmatched_openers(text: str) -> list[tuple[int, str]]:
    """Opening quotes and brackets in ``text`` that are never closed, outermost first.

    A straight double quote opens or closes depending on what is open; a closer that
    does not match the innermost open bracket is ignored.
    """
    stack: list[tuple[int, str]] = []
    for i, ch in enumerate(text):
        if ch == '"':
            if stack and stack[-1][1] == '"':
                stack.pop()
            else:
                stack.append((i, ch))
        elif ch in PAIRS:
            stack.append((i, ch))
        elif ch in _CLOSERS and stack and stack[-1][1] == _CLOSERS[ch]:
            stack.pop()
    return stack


def _closer(opener: str) -> str:
    return '"' if opener == '"' else PAIRS[opener]


def is_cjk(ch: str) -> bool:
    """Characters of scripts written without spaces, between which a line may break."""
    cp = ord(ch)
    return (
        0x3040 <= cp <= 0x30FF  # hiragana, katakana
        or 0x3400 <= cp <= 0x4DBF  # CJK extension A
        or 0x4E00 <= cp <= 0x9FFF  # CJK unified ideographs
        or 0xF900 <= cp <= 0xFAFF  # compatibility ideographs
        or 0x20000 <= cp <= 0x3FFFF  # extensions B and later
        or 0x3001 <= cp <= 0x3002  # 、。
    )


@lru_cache(maxsize=64)
def _url_spans(text: str) -> tuple[tuple[int, int], ...]:
    found = twitter_text().extract_urls_with_indices(text)
    return tuple((u["indices"][0], u["indices"][1]) for u in found)


def break_points(text: str) -> list[int]:
    """Offsets ``i`` (ascending) where ``text[:i]`` ends between two words."""
    points = {m.start() for m in _SPACE.finditer(text) if m.start() > 0}
    if any(is_cjk(c) for c in text):
        protected = [range(a + 1, b) for a, b in _url_spans(text)]
        for m in re.finditer(r"\S+", text):
            token = m.group()
            if token[0] in "#@＃＠" or "://" in token or "www." in token:
                continue  # never split a hashtag, a mention or anything like a URL
            for j in range(1, len(token)):
                prev, cur = token[j - 1], token[j]
                if not (is_cjk(prev) and is_cjk(cur)):
                    continue
                i = m.start() + j
                if not any(i in r for r in protected):
                    points.add(i)
    return sorted(points)


def finish(prefix: str) -> str:
    """Turn a cut-off prefix into presentable text (see the module docstring)."""
    p = prefix.rstrip(_TRAILING_JUNK)
    if not p:
        return ""
    open_ = unmatched_openers(p)
    if open_:
        first = open_[0][0]
        start = first
        if first > 0 and not (p[first - 1].isspace() or is_cjk(p[first - 1])):
            word = re.search(r"\s\S*$", p[:first])  # the opener is inside a word
            start = word.start() if word else 0
        back = p[:start].rstrip(_TRAILING_JUNK)
        if back and len(back) * 2 >= len(p):
            return finish(back)
        closers = "".join(_closer(o) for _, o in reversed(open_))
        return p + ("" if p.endswith(ELLIPSIS) else ELLIPSIS) + closers
    if _SENTENCE_END.search(p):
        return p
    return p + ELLIPSIS


def truncate(text: str, fits: Callable[[str], bool], *, prefer_sentence: float = 0.6) -> str | None:
    """The longest finished prefix of ``text`` for which ``fits`` is true.

    Returns ``text`` itself when it fits, None when not even its first word does. When
    a cut at a sentence end keeps at least ``prefer_sentence`` of the best cut, the
    sentence end wins (no ellipsis needed).
    """
    text = text.strip()
    if not text or fits(text):
        return text or None
    points = break_points(text)
    cands: dict[int, str] = {}

    def ok(j: int) -> bool:
        if j not in cands:
            cands[j] = finish(text[: points[j]])
        return bool(cands[j]) and fits(cands[j])

    # Gallop, then bisect: the cost stays near the size of the answer, not of the text.
    good, bad, step = -1, len(points), 1
    while good + step < len(points):
        if ok(good + step):
            good += step
            step *= 2
        else:
            bad = good + step
            break
    while bad - good > 1:
        mid = (good + bad) // 2
        if ok(mid):
            good = mid
        else:
            bad = mid
    if good < 0:
        return None
    best = cands[good]
    if not _SENTENCE_END.search(text[: points[good]].rstrip()):
        tries = 0
        for j in range(good - 1, -1, -1):
            if points[j] < prefer_sentence * len(best) or tries >= 5:
                break
            if text[points[j] - 1] not in _SENTENCE_CHARS:
                continue
            tries += 1
            cut = text[: points[j]].rstrip()
            if _SENTENCE_END.search(cut) and not unmatched_openers(cut) and fits(cut):
                return cut
    return best


def truncate_to(text: str, limit: int, measure: Callable[[str], int]) -> str | None:
    """:func:`truncate` with a plain length budget."""
    return truncate(text, lambda s: measure(s) <= limit)
