"""The thresholds of issue 10 on the shared corpora, through ``bench.posts``.

The whole harness runs here (the sample, 181 pages, 125 CNN/DailyMail articles, 30 WordPress
items: about 15 s): at most 5 % of posts with a finding of ``bench.post_checks``, no headline
printed twice, Facebook and YouTube posts that differ, a language for every article and no
page that fails.
"""

from __future__ import annotations

import pytest

from bench.common import shared_dir
from bench.post_checks import Case, Finding
from bench.posts import Figures, collect, judge

Judged = tuple[list[Case], Figures, dict[tuple[str, str], list[Finding]]]

CORPORA = shared_dir() / "corpora"

pytestmark = pytest.mark.skipif(
    not (CORPORA / "article-extraction").is_dir(),
    reason=f"../shared corpora not found at {CORPORA} (set BOT_SHARED_DIR)")


@pytest.fixture(scope="module")
def judged() -> Judged:
    cases, _times = collect(CORPORA)
    figures, found = judge(cases)
    return cases, figures, found


def test_no_page_fails(judged: Judged) -> None:
    cases, figures, _ = judged
    failed = [(c.name, c.error) for c in cases if c.error]
    assert figures.failures == 0, failed[:5]
    assert sum(1 for c in cases if c.kind == "page") == 181


def test_at_most_five_percent_of_posts_have_a_serious_defect(judged: Judged) -> None:
    _, figures, found = judged
    bad = {k: v for k, v in found.items() if v}
    assert figures.defective <= 0.05 * figures.posts, sorted(bad.items())[:20]


def test_no_post_prints_the_headline_twice(judged: Judged) -> None:
    _, figures, found = judged
    twice = [k for k, v in found.items() if any(cat == "headline_twice" for cat, _ in v)]
    assert figures.headline_twice == 0, twice


def test_facebook_and_youtube_posts_differ(judged: Judged) -> None:
    cases, figures, _ = judged
    assert figures.fb_differs >= 0.95 * (len(cases) - figures.failures)


def test_every_article_has_a_language(judged: Judged) -> None:
    cases, figures, _ = judged
    unknown = [c.name for c in cases if not c.error and not c.language]
    assert figures.language_known >= 0.98 * (len(cases) - figures.failures), unknown[:10]
