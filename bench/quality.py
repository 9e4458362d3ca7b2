"""Summary quality on CNN/DailyMail (issue 6, item 1): ``python -m bench.quality``.

Scores our extractive summariser against LEAD-k and sumy's LexRank/TextRank with the
``rouge-score`` package (ROUGE-1, ROUGE-2, ROUGE-Lsum F1, no stemming; sentences on separate
lines for Lsum), at a 3-sentence budget and at a 200-character (tweet) budget, and counts how
many of our summaries carry boilerplate. Writes the table to ``bench/results/quality.md``.

Needs the bench extras (``rouge-score``, ``sumy``). sumy normally splits with NLTK punkt,
which is not installed: here every system gets the same sentences from
``bot.summarize.sentences.split_sentences`` and sumy gets a plain regex word tokenizer.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import markdown_table, shared_dir, write_result
from bot.summarize.extractive import ExtractiveSummarizer, Tuning, _analyse
from bot.summarize.sentences import split_sentences

TWEET = 200
METRICS = ("rouge1", "rouge2", "rougeLsum")
# Independent of bot.summarize.junk on purpose: what a reader would call furniture.
BOILERPLATE = re.compile(
    r"\bBy \.|PUBLISHED:|UPDATED:|\(CNN\)|^By [A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3}\s*(?:\.|,|$)"
    r"|\b(?:Photo|Image|Picture)s?(?: credit| copyright)?\s*:|Getty Images|Image copyright"
    r"|Scroll down for video|Last updated",
    re.MULTILINE,
)
_WORD = re.compile(r"\w+(?:['’]\w+)*")


@dataclass(frozen=True)
class Doc:
    id: str
    text: str
    reference: str
    """Reference sentences, one per line."""
    sentences: tuple[str, ...]


def load(path: Path) -> list[Doc]:
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        ref = "\n".join(row.get("reference_sents") or split_sentences(row["reference"]))
        docs.append(Doc(row["id"], row["article"], ref, tuple(split_sentences(row["article"]))))
    return docs


# -- baselines -------------------------------------------------------------------------------
def lead(doc: Doc, k: int) -> list[str]:
    return list(doc.sentences[:k])


def cut_at_word(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters at a word boundary (no ellipsis)."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0]
    return cut[:limit].rstrip()


def fit_by_rank(sentences: Sequence[str], ranked: Sequence[int], limit: int, k: int) -> list[str]:
    """Best-rated sentences that fit ``limit`` characters joined by spaces, in article order."""
    chosen: list[int] = []
    used = -1
    for i in ranked:
        if len(chosen) == k:
            break
        if used + 1 + len(sentences[i]) <= limit:
            chosen.append(i)
            used += 1 + len(sentences[i])
    return [sentences[i] for i in sorted(chosen)]


class _Words:
    """sumy's tokenizer interface, without NLTK: a plain regex word tokenizer."""

    @staticmethod
    def to_words(text: str) -> list[str]:
        return _WORD.findall(text)


def sumy_ranking(kind: str) -> Callable[[Doc], list[int]]:
    """Sentence indices, best first, by sumy's LexRank or TextRank (English stemmer/stop words)."""
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    cls = LexRankSummarizer if kind == "lexrank" else TextRankSummarizer
    summarizer: Any = cls(Stemmer("english"))
    summarizer.stop_words = get_stop_words("english")
    words = _Words()

    def rank(doc: Doc) -> list[int]:
        sents = [Sentence(s, words) for s in doc.sentences]
        dom = ObjectDocumentModel([Paragraph(sents)])
        captured: dict[Any, float] = {}
        original = summarizer._get_best_sentences

        def capture(sentences: Any, count: Any, rating: Any, *a: Any, **kw: Any) -> Any:
            captured.update(rating)
            return original(sentences, count, rating, *a, **kw)

        summarizer._get_best_sentences = capture
        try:
            summarizer(dom, len(sents))
        finally:
            del summarizer._get_best_sentences
        order = {id(s): i for i, s in enumerate(sents)}
        ratings = [(captured.get(s, 0.0), -order[id(s)]) for s in sents]
        return sorted(range(len(sents)), key=lambda i: ratings[i], reverse=True)

    return rank


# -- scoring ---------------------------------------------------------------------------------
def rouge(preds: Sequence[Sequence[str]], docs: Sequence[Doc]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=False)
    totals = dict.fromkeys(METRICS, 0.0)
    for pred, doc in zip(preds, docs, strict=True):
        scores = scorer.score(doc.reference, "\n".join(pred))
        for m in METRICS:
            totals[m] += scores[m].fmeasure
    return {m: 100 * v / len(docs) for m, v in totals.items()}


def boilerplate_rate(preds: Sequence[Sequence[str]]) -> float:
    return sum(1 for p in preds if BOILERPLATE.search("\n".join(p))) / max(len(preds), 1)


def ours(docs: Sequence[Doc], tuning: Tuning | None = None) -> dict[str, list[list[str]]]:
    s = ExtractiveSummarizer(tuning)
    return {
        "3": [s.summarize(d.text, max_sentences=3) for d in docs],
        "tweet": [s.summarize(d.text, max_sentences=3, max_chars=TWEET) for d in docs],
    }


def timings(docs: Sequence[Doc]) -> dict[str, float]:
    """Median milliseconds per article, cold cache: ``summarize_article`` (3 sentences,
    variants, hook, 2 hashtags) with the hashtags from the article's tags, and with names
    from the lead."""
    from bot.config import SummaryConfig
    from bot.models import Article
    from bot.summarize import summarize_article

    cfg = SummaryConfig(sentences=3, hashtags=2)
    out: dict[str, float] = {}
    for label, tags in (("tags", ["Politics", "World news"]), ("names", [])):
        summarize_article(Article(title="warm-up", text=docs[0].text, tags=tags), cfg)
        times = []
        for d in docs:
            article = Article(title="", text=d.text, tags=tags)
            _analyse.cache_clear()
            t0 = time.perf_counter()
            summarize_article(article, cfg)
            times.append(time.perf_counter() - t0)
        out[label] = 1000 * statistics.median(times)
    return out


def run(docs: Sequence[Doc]) -> tuple[str, dict[str, dict[str, float]]]:
    mine = ours(docs)
    lex, tex = sumy_ranking("lexrank"), sumy_ranking("textrank")
    lex_rank = [lex(d) for d in docs]
    tex_rank = [tex(d) for d in docs]
    systems: dict[str, tuple[str, list[list[str]]]] = {
        "ours (3 sentences)": ("3", mine["3"]),
        "LEAD-3": ("3", [lead(d, 3) for d in docs]),
        "sumy LexRank (3)": (
            "3",
            [[d.sentences[i] for i in sorted(r[:3])] for d, r in zip(docs, lex_rank, strict=True)],
        ),
        "sumy TextRank (3)": (
            "3",
            [[d.sentences[i] for i in sorted(r[:3])] for d, r in zip(docs, tex_rank, strict=True)],
        ),
        "ours (200 chars)": ("tweet", mine["tweet"]),
        "LEAD-1 cut to 200": ("tweet", [[cut_at_word(" ".join(lead(d, 1)), TWEET)] for d in docs]),
        "sumy LexRank (200)": (
            "tweet",
            [fit_by_rank(d.sentences, r, TWEET, 3) for d, r in zip(docs, lex_rank, strict=True)],
        ),
        "sumy TextRank (200)": (
            "tweet",
            [fit_by_rank(d.sentences, r, TWEET, 3) for d, r in zip(docs, tex_rank, strict=True)],
        ),
    }
    baseline = {"3": "LEAD-3", "tweet": "LEAD-1 cut to 200"}
    scores = {name: rouge(preds, docs) for name, (_, preds) in systems.items()}
    rows = []
    for name, (budget, preds) in systems.items():
        base = scores[baseline[budget]]
        sc = scores[name]
        over = [len(" ".join(p)) > TWEET for p in preds] if budget == "tweet" else []
        rows.append(
            [
                name,
                *(sc[m] for m in METRICS),
                *(f"{sc[m] / base[m]:.3f}" for m in METRICS),
                f"{100 * boilerplate_rate(preds):.1f}%",
                f"{statistics.mean(len(' '.join(p)) for p in preds):.0f}",
                sum(over) if budget == "tweet" else "-",
            ]
        )
    header = [
        "system",
        "R-1",
        "R-2",
        "R-Lsum",
        "R-1 ratio",
        "R-2 ratio",
        "R-Lsum ratio",
        "boilerplate",
        "mean chars",
        "over 200",
    ]
    ours3, lead3 = scores["ours (3 sentences)"], scores["LEAD-3"]
    ours_t, lead1 = scores["ours (200 chars)"], scores["LEAD-1 cut to 200"]
    junk = boilerplate_rate(mine["3"]) + boilerplate_rate(mine["tweet"])
    met = (all(ours3[m] >= lead3[m] for m in METRICS)
           and all(ours_t[m] > lead1[m] for m in METRICS) and junk == 0)
    verdict = (
        "Targets: ours ≥ LEAD-3 on R-1, R-2 and R-Lsum at 3 sentences; ours > LEAD-1 at 200 "
        "characters; no boilerplate in our summaries — " + ("met" if met else "NOT met")
    )
    ms = timings(docs)
    words = statistics.median(len(d.text.split()) for d in docs)
    table = markdown_table(header, rows)
    text = (
        f"## Summary quality: CNN/DailyMail dev ({len(docs)} articles)\n\n"
        "ROUGE F1 x100 (rouge-score, no stemming; Lsum over newline-separated sentences). "
        "Ratios are to the same-run baseline: LEAD-3 at 3 sentences, LEAD-1 cut to 200 "
        "characters at a word boundary at the tweet budget. Every system gets the sentences "
        "of `bot.summarize.sentences.split_sentences` (pysbd); sumy (LexRank, TextRank; "
        "English Snowball stemmer and stop words) gets a regex word tokenizer instead of "
        "NLTK punkt, which is not installed. Boilerplate: share of summaries with a byline, "
        "'PUBLISHED:', 'UPDATED:', a photo credit, '(CNN)', 'By . ' or 'Scroll down for "
        "video'.\n\n"
        f"{table}\n\n"
        f"{verdict}.\n\n"
        f"Speed (median {words:.0f} words per article, cold cache): `summarize_article` "
        f"(3 sentences, 3 variants, hook, 2 hashtags) {ms['tags']:.2f} ms with the hashtags "
        f"from the article's tags, {ms['names']:.2f} ms when they are names found in the lead.\n"
    )
    return text, scores


ABLATIONS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "position only (centrality_weight=0)": {"centrality_weight": 0.0},
    "position_decay=2": {"position_decay": 2.0},
    "no redundancy control": {"redundancy": 0.0, "duplicate_similarity": 1.01},
    "no dangling discount": {"dangling_factor": 1.0},
    "no caption discount": {"caption_factor": 1.0},
    "no quote discount": {"quote_factor": 1.0},
    "no length preference": {"short_words": 1, "long_words": 10**6},
}


def ablation(docs: Sequence[Doc]) -> str:
    """What each knob of :class:`Tuning` is worth: ROUGE with it switched off."""
    from dataclasses import replace

    def fmt(r: dict[str, float]) -> str:
        return " / ".join(f"{r[m]:.2f}" for m in METRICS)

    rows = [
        [
            "LEAD-3 / LEAD-1 cut",
            fmt(rouge([lead(d, 3) for d in docs], docs)),
            fmt(rouge([[cut_at_word(d.sentences[0], TWEET)] for d in docs], docs)),
        ]
    ]
    for label, change in ABLATIONS.items():
        _analyse.cache_clear()
        preds = ours(docs, replace(Tuning(), **change))
        rows.append([label, fmt(rouge(preds["3"], docs)), fmt(rouge(preds["tweet"], docs))])
    header = ["variant", "3 sentences R-1 / R-2 / R-Lsum", "200 chars R-1 / R-2 / R-Lsum"]
    return "### Ablation (one knob off at a time)\n\n" + markdown_table(header, rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=shared_dir() / "corpora/summ/cnndm-dev.jsonl")
    ap.add_argument("--out", default="quality.md")
    ap.add_argument("--ablation", action="store_true", help="also switch each knob off in turn")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"data set not found: {args.data}", file=sys.stderr)
        return 2
    docs = load(args.data)
    text, _ = run(docs)
    if args.ablation:
        text += "\n" + ablation(docs)
    print(text)
    print(f"written to {write_result(args.out, text)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
