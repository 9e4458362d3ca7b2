"""The default summariser: pick the article's own sentences, never write new ones.

Each candidate sentence gets a score from its position (news puts the point first), its
centrality (TF-IDF cosine similarity to the rest of the article: a centroid score) and its
length; quotations and photo captions are discounted, and furniture (bylines, time stamps,
credits), lines that introduce a quote block (ending in ':') and very short lines are left
out. Questions are left out of summaries unless the article holds nothing else. Sentences
are then picked greedily by maximal marginal relevance: each pick pays for its similarity
to those already chosen, near-duplicates are never picked together, and a sentence that
leans on the one before it ("But ...", "He ...") is discounted unless that one is picked
too. The result comes back in article order and, under a character budget, holds only
whole sentences that fit when joined by single spaces.

The analysis of a text is cached (a few recent texts), so the pipeline's several calls for
one article (the N-sentence summary, N-1, ..., the hook) pay for it once.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

from bot.summarize import junk
from bot.summarize.sentences import DEFAULT_LANGUAGE, normalize_language, split_sentences
from bot.summarize.words import content_words

_QUOTE_OPENERS = "\"'“‘«„"
# Sentences that lean on the one before them (English only).
# fmt: off
_DANGLING_STARTS = frozenset({
    "and", "but", "or", "so", "yet", "also", "however", "meanwhile", "still", "then",
    "he", "she", "they", "it", "this", "that", "these", "those", "his", "her", "their", "its",
    "him", "them", "there", "here", "such",
})
# fmt: on


class Summarizer(Protocol):
    """What the pipeline needs from a summariser."""

    def summarize(
        self,
        text: str,
        *,
        language: str = DEFAULT_LANGUAGE,
        max_sentences: int = 3,
        max_chars: int | None = None,
    ) -> list[str]:
        """Up to ``max_sentences`` whole sentences in article order; joined by single
        spaces they fit ``max_chars`` when it is given."""
        ...

    def hook(self, text: str, *, language: str = DEFAULT_LANGUAGE) -> str:
        """One sentence that works as a teaser ('' for a text without sentences)."""
        ...


@dataclass(frozen=True)
class Tuning:
    """The knobs of :class:`ExtractiveSummarizer` (defaults tuned on CNN/DailyMail dev;
    see ``bench/quality.py``)."""

    position_decay: float = 4.0
    """Position prior ``1 / (1 + i / decay)`` for the i-th candidate (0-based)."""
    centrality_weight: float = 0.5
    """Weight of the centroid similarity (scaled to 0..1) next to the position prior."""
    min_words: int = 6
    """Shorter sentences are left out (unless nothing else is left)."""
    short_words: int = 10
    long_words: int = 45
    """Outside [short_words, long_words] words, the score shrinks in proportion."""
    quote_factor: float = 0.8
    """Sentences that open with a quotation mark."""
    caption_factor: float = 0.5
    """Sentences that start with "Scroll down for video" (a photo caption follows)."""
    dangling_factor: float = 0.3
    """English sentences that lean on the one before, unless that one is picked too."""
    redundancy: float = 1.0
    """MMR: a pick's score minus ``redundancy`` x its highest similarity to earlier picks."""
    duplicate_similarity: float = 0.6
    """Pairs at least this similar (TF-IDF cosine) are never picked together."""


@dataclass(frozen=True)
class Candidate:
    """A sentence the summariser may pick, with what it knows about it."""

    index: int
    """Position of the sentence in the article (every sentence counted)."""
    text: str
    """The sentence, without dateline or agency prefix."""
    score: float
    vector: dict[str, float]
    norm: float
    dangling: bool
    """It leans on the sentence right before it (English only)."""
    question: bool


class _Sentence(NamedTuple):
    position: int
    text: str
    words: list[str]
    prior: float


def _is_question(text: str) -> bool:
    return text.rstrip("\"'”’») ").endswith(("?", "？", "؟"))


# The same for other languages: pronouns and connectives that need the sentence before.
# fmt: off
_DANGLING_BY_LANGUAGE = {
    "de": frozenset({"er", "sie", "es", "dies", "diese", "dieser", "dieses", "aber", "doch",
                     "außerdem", "dabei", "damit", "dann", "dort", "sein", "seine", "ihr", "ihre"}),
    "fr": frozenset({"il", "elle", "ils", "elles", "cela", "ceci", "ce", "mais", "donc", "puis",
                     "ensuite", "cependant", "son", "sa", "ses", "leur", "leurs"}),
    "es": frozenset({"él", "ella", "ellos", "ellas", "esto", "eso", "pero", "sin", "además",
                     "entonces", "su", "sus"}),
    "pt": frozenset({"ele", "ela", "eles", "elas", "isso", "isto", "mas", "porém", "além",
                     "então", "seu", "sua", "seus", "suas"}),
    "tr": frozenset({"o", "bu", "şu", "onlar", "ancak", "ama", "fakat", "ayrıca"}),
}
# fmt: on


def leans_on_previous(sentence: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """True when the sentence opens with a pronoun or connective that needs the sentence
    before it ("He said ...", "But ..."): it cannot open a post."""
    first = sentence.lstrip("\"'“‘«(").split(None, 1)
    if not first:
        return False
    word = first[0].strip(",;:.!?\"'”’»").lower().replace("’", "'")
    word = word.split("'", 1)[0] if "'" in word else word  # "It's", "She'll"
    lang = normalize_language(language)
    return word in _DANGLING_STARTS or word in _DANGLING_BY_LANGUAGE.get(lang, frozenset())


def _is_dangling(text: str) -> bool:
    return leans_on_previous(text, "en")


def _shouting(s: str) -> bool:
    """All capitals (a label or a heading), in a script that has lower case."""
    return s.isupper()


def _length_factor(n: int, t: Tuning) -> float:
    if n < t.short_words:
        return n / t.short_words
    if n > t.long_words:
        return t.long_words / n
    return 1.0


def _sentences(text: str, language: str, t: Tuning) -> list[_Sentence]:
    """Every usable sentence, in order (short ones only when there is nothing else)."""
    keep: list[_Sentence] = []
    short: list[_Sentence] = []
    for i, raw in enumerate(split_sentences(text, language)):
        s = junk.clean_sentence(raw)
        if not s or junk.is_boilerplate(s) or _shouting(s):
            continue
        if not (junk.ends_like_a_sentence(s) and junk.starts_like_a_sentence(s)):
            continue  # a heading, dek, caption or label; or a piece cut from a sentence
        words = content_words(s, language)
        if not words:
            continue
        prior = t.caption_factor if junk.leads_into_caption(raw) else 1.0
        if s[0] in _QUOTE_OPENERS:
            prior *= t.quote_factor
        sentence = _Sentence(i, s, words, prior)
        (short if len(s.split()) < t.min_words or s.endswith(":") else keep).append(sentence)
    return keep or [s for s in short if not s.text.endswith(":")] or short


def _centrality(vectors: list[dict[str, float]]) -> list[float]:
    """Cosine similarity of each vector to the sum of all the others (the centroid)."""
    centroid: Counter[str] = Counter()
    for v in vectors:
        centroid.update(v)
    centroid_sq = sum(x * x for x in centroid.values())
    scores: list[float] = []
    for v in vectors:
        dot = sum(x * (centroid[w] - x) for w, x in v.items())
        rest_sq = centroid_sq - sum(centroid[w] ** 2 - (centroid[w] - x) ** 2 for w, x in v.items())
        norm = math.sqrt(sum(x * x for x in v.values())) * math.sqrt(max(rest_sq, 0.0))
        scores.append(dot / norm if norm > 1e-12 else 0.0)
    return scores


@lru_cache(maxsize=32)
def _analyse(text: str, language: str, t: Tuning) -> tuple[Candidate, ...]:
    sents = _sentences(text, language, t)
    if not sents:
        return ()
    df: Counter[str] = Counter()
    for s in sents:
        df.update(set(s.words))
    idf = {w: math.log((len(sents) + 1) / (d + 0.5)) for w, d in df.items()}
    vectors = [{w: c * idf[w] for w, c in Counter(s.words).items()} for s in sents]
    centrality = _centrality(vectors)
    top = max(centrality) or 1.0
    english = language == "en"
    out: list[Candidate] = []
    for k, (s, v, c) in enumerate(zip(sents, vectors, centrality, strict=True)):
        base = 1.0 / (1.0 + k / t.position_decay) + t.centrality_weight * c / top
        score = base * s.prior * _length_factor(len(s.text.split()), t)
        norm = math.sqrt(sum(x * x for x in v.values()))
        dangling = english and _is_dangling(s.text)
        out.append(Candidate(s.position, s.text, score, v, norm, dangling, _is_question(s.text)))
    return tuple(out)


def similarity(a: Candidate, b: Candidate) -> float:
    """TF-IDF cosine similarity of two candidates of the same article."""
    if not a.norm or not b.norm:
        return 0.0
    small, large = (a.vector, b.vector) if len(a.vector) <= len(b.vector) else (b.vector, a.vector)
    return sum(x * large.get(w, 0.0) for w, x in small.items()) / (a.norm * b.norm)


def _select(
    cands: tuple[Candidate, ...], k: int, max_chars: int | None, t: Tuning
) -> list[Candidate]:
    statements = [c for c in cands if not c.question]
    pool = sorted(statements or cands, key=lambda c: (-c.score, c.index))
    chosen: list[Candidate] = []
    used = -1  # characters used by the chosen sentences joined with single spaces
    while pool and len(chosen) < k:
        picked = {c.index for c in chosen}
        best: tuple[float, int] | None = None
        for j, c in enumerate(pool):
            if max_chars is not None and used + 1 + len(c.text) > max_chars:
                continue
            sim = max((similarity(c, p) for p in chosen), default=0.0)
            if sim >= t.duplicate_similarity:
                continue
            score = c.score * (
                t.dangling_factor if c.dangling and c.index - 1 not in picked else 1.0
            )
            gain = score - t.redundancy * sim
            if best is None or gain > best[0]:
                best = (gain, j)
        if best is None:
            break
        c = pool.pop(best[1])
        chosen.append(c)
        used += 1 + len(c.text)
    return sorted(chosen, key=lambda c: c.index)


def _hook_score(c: Candidate, english: bool) -> float:
    """The sentence score, discounted for what makes a poor teaser on its own."""
    s = c.text
    f = 1.0
    if not 40 <= len(s) <= 220:
        f *= 0.6  # a teaser is short-ish, but says something
    if c.question:
        f *= 0.3  # a question only when nothing better is there
    elif s[-1] not in ".!\"'”’»)":
        f *= 0.5  # no closing punctuation: a caption or a cut line
    opens = s.count("“") + s.count("«") + s.count('"') // 2
    closes = s.count("”") + s.count("»") + s.count('"') // 2
    if s[0] in _QUOTE_OPENERS or opens != closes or s.count('"') % 2:
        f *= 0.5  # a quotation, or a piece of one
    if english and c.dangling:
        f *= 0.6
    return c.score * f


class ExtractiveSummarizer:
    """Position + centrality + redundancy control; see the module docstring."""

    def __init__(self, tuning: Tuning | None = None) -> None:
        self.tuning = tuning or Tuning()

    def candidates(self, text: str, language: str = DEFAULT_LANGUAGE) -> tuple[Candidate, ...]:
        """The sentences that may be picked, in article order (cached per text)."""
        return _analyse(text, normalize_language(language), self.tuning)

    def summarize(
        self,
        text: str,
        *,
        language: str = DEFAULT_LANGUAGE,
        max_sentences: int = 3,
        max_chars: int | None = None,
    ) -> list[str]:
        if max_sentences < 1 or (max_chars is not None and max_chars < 1):
            return []
        chosen = _select(self.candidates(text, language), max_sentences, max_chars, self.tuning)
        return [c.text for c in chosen]

    def hook(self, text: str, *, language: str = DEFAULT_LANGUAGE) -> str:
        cands = self.candidates(text, language)
        if not cands:
            return ""
        english = normalize_language(language) == "en"
        return max(cands, key=lambda c: (_hook_score(c, english), -c.index)).text
