"""The benchmarks in miniature: each one's core function on a few inputs gives figures.

No timing is asserted (speed targets live in ``bench/``), and no figure is computed again
here: what is checked is that every benchmark runs end to end and reports sane shapes
(positive times, counts that add up, no post lost, a yes/no verdict on each judged row).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import common, speed, startup
from bench.__main__ import BENCHES, Outcome, included, judged, report
from bench.common import Row, Section


# -- common ------------------------------------------------------------------------------
def test_percentile_interpolates_between_ranks() -> None:
    assert common.percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert common.percentile([1.0, 2.0, 3.0], 0.0) == 1.0
    assert common.percentile([1.0, 2.0, 3.0], 1.0) == 3.0


def test_section_verdict_follows_its_judged_rows() -> None:
    sec = Section("x", "X", rows=[Row("a", "1"), Row("b", "2", met=True)])
    assert sec.met is True
    sec.rows.append(Row("c", "3", met=False))
    assert sec.met is False
    assert Section("y", "Y", rows=[Row("a", "1")]).met is None
    body = sec.body()
    assert "| c | 3 | - | - | - | **no** |" in body and "| b | 2 | - | - | - | yes |" in body


def test_machine_description_names_the_essentials() -> None:
    info = common.machine_info()
    for key in ("CPU", "cores", "RAM", "Python", "OS", "date"):
        assert isinstance(info[key], str) and info[key].strip(), key
    assert info["cores"] == "unknown" or int(info["cores"]) >= 1


# -- speed -------------------------------------------------------------------------------
def test_titles_and_urls_come_from_the_archived_address() -> None:
    cnn = ("http://web.archive.org/web/20150722034343id_/"
           "http://www.cnn.com/2015/04/08/us/feat-nasa-scientist-alien-life/")
    dm = ("http://web.archive.org/web/20150403223948id_/http://www.dailymail.co.uk/sport/"
          "article-3023941/Gary-Locke-set-confirmed-permanent-Kilmarnock-manager.html")
    assert speed.original_url(cnn) == (
        "http://www.cnn.com/2015/04/08/us/feat-nasa-scientist-alien-life/")
    assert speed.title_from_url(cnn) == "Feat nasa scientist alien life"
    assert speed.title_from_url(dm) == "Gary Locke set confirmed permanent Kilmarnock manager"


def test_text_pipeline_is_timed_per_article(shared_dir: Path) -> None:
    from bot.config import Settings

    articles = speed.cnndm_articles(shared_dir / "corpora/summ/cnndm-dev.jsonl", limit=3)
    assert len(articles) == 3 and all(a.title and a.url and a.text for a in articles)
    settings = Settings()
    accounts = [a for a in settings.accounts if a.enabled]
    timed = speed.best_of(articles, {"ours": speed.ours(settings, accounts)}, passes=2,
                          before=speed.clear_caches)["ours"]
    assert timed.failures == 0
    assert len(timed.wall) == len(timed.cpu) == 3
    assert all(0 < t < float("inf") for t in timed.wall)
    assert all(0 <= t < float("inf") for t in timed.cpu)
    assert 0 < timed.rate < float("inf")


def test_text_figures_include_the_sumy_baseline(shared_dir: Path) -> None:
    pytest.importorskip("sumy")
    articles = speed.cnndm_articles(shared_dir / "corpora/summ/cnndm-dev.jsonl", limit=2)
    figures = speed.text_speed(articles, passes=1, warmup=1)
    sec = speed.section(figures, None)
    assert {"ours", "sumy", "summary"} <= set(figures)
    assert figures["sumy"]["failures"] == 0 and figures["ours"]["failures"] == 0
    for system in ("ours", "sumy"):
        assert figures[system]["rate"] > 0 and figures[system]["median"] > 0
    judged_rows = [r for r in sec.rows if r.met is not None]
    assert [r.figure for r in judged_rows] == ["text → 3 posts: throughput",
                                               "text → 3 posts: median per article"]
    assert all(isinstance(r.met, bool) and r.target for r in judged_rows)


def test_html_pipeline_is_compared_with_trafilatura_alone(shared_dir: Path) -> None:
    pages = speed.html_pages(shared_dir / "corpora/article-extraction/html", limit=2)
    assert len(pages) == 2 and all(html.lstrip().startswith("<") for _, html in pages)
    figures = speed.html_speed(pages, passes=1, warmup=0)
    for system in ("ours", "trafilatura"):
        assert figures[system]["mean"] > 0 and figures[system]["median"] > 0
    rows = speed.section(None, figures).rows
    assert [r.figure for r in rows] == ["HTML → 3 posts: mean per page",
                                        "HTML → 3 posts: median per page"]
    assert isinstance(rows[0].met, bool) and rows[0].target


# -- startup -----------------------------------------------------------------------------
def test_commands_are_timed_interleaved_and_failures_raise() -> None:
    t = startup.time_commands({"pass": [sys.executable, "-c", "pass"]}, repeat=2, warmup=0)
    assert len(t["pass"].wall) == 2 and t["pass"].median > 0 and t["pass"].best > 0
    with pytest.raises(RuntimeError, match="exited 3"):
        startup.time_commands({"bad": [sys.executable, "-c", "raise SystemExit(3)"]},
                              repeat=1, warmup=0)


# -- dispatch ----------------------------------------------------------------------------
# What the platform recorded decides, not how fast this machine happens to be: one post
# per window makes every accepted post use its window up, so these hold however loaded
# the machine is (a slower bot only spreads the posts over more windows).
def test_rate_limit_headers_pause_the_account_before_any_429() -> None:
    from bench.dispatch import run_dispatch

    run = run_dispatch("headers", limit=1, span=1.0, windows=2, extra_windows=1)
    assert run.sent == run.queued == 3 and run.lost == 0
    assert run.used_up >= 1, "no answer said the window was used up: nothing was paused"
    assert run.refused == [] and run.rate_limited_total == 0  # paused before the platform said no
    per_window = run.requests_per_window()
    assert max(per_window.values()) <= run.limit, per_window  # never asked more than allowed


def test_without_remaining_counts_the_dispatcher_learns_from_429s() -> None:
    from bench.dispatch import run_dispatch

    run = run_dispatch("429 only", limit=1, span=2.0, windows=1, extra_windows=1)
    assert run.sent == run.queued == 2 and run.lost == 0
    assert run.refused, "the platform never answered 429: the loop never met a full window"
    assert run.statuses.get("rate_limited") == run.rate_limited_total == len(run.refused)
    for refused_at in run.refused:  # after each 429, no post before the window the 429 named
        later = [t for t in run.requests if t > refused_at]
        assert later and run.window_of(min(later)) > run.window_of(refused_at)


# -- lookup costs ------------------------------------------------------------------------
def test_bounded_lookups_read_only_the_posts_since_the_first_attempt() -> None:
    from bench.lookup_costs import duplicate_lookup, ghost_lookup

    ghost = ghost_lookup(history=30, backlog=6)
    assert ghost["bounded"] == (7, 1, "found")  # the ghost and the six made after it
    assert ghost["unbounded"] == (37, 1, "found")  # a page holds the whole account
    nothing = ghost_lookup(history=30, backlog=6, made=False)
    assert nothing["bounded"] == (6, 1, "not there")
    assert duplicate_lookup(history=30)["newest 10"] == (10, 1, "cannot tell")  # no id: fine


# -- idle --------------------------------------------------------------------------------
@pytest.mark.slow
def test_idle_daemon_is_measured_once_its_feeds_are_polled() -> None:
    pytest.importorskip("psutil")
    from bench.idle import run_idle, section

    run = run_idle(feeds=3, interval=2, window=3, settle=0.5)
    assert run.errors == 0
    assert run.polled_in_window == 3
    assert run.daemon.rss_mb > run.baseline.rss_mb > 0
    assert run.daemon.peak_rss_mb >= run.daemon.rss_mb
    rows = section(run).rows
    assert isinstance(rows[0].met, bool) and rows[0].target


# -- the report --------------------------------------------------------------------------
def test_results_files_are_folded_in_under_the_section_heading() -> None:
    text = "# Feed polling\n\nintro\n\n## Detail\n\n| a |\n|---|\n| 1 |\n"
    body = included(text)
    assert not body.startswith("#")
    assert "### Detail" in body and "# Feed polling" not in body


def test_verdicts_are_read_from_results_files() -> None:
    assert judged("Targets: ours ≥ 0.7× the bare rate — NOT met.") is False
    assert judged("Targets: ours ≥ 0.7× the bare rate — met.") is True
    table = "| figure | met? |\n|---|---|\n| a | yes |\n| b | - |\n"
    assert judged(table) is True
    assert judged(table + "| c | **no** |\n") is False
    assert judged("| system | R-1 |\n|---|---|\n| ours | 39.7 |\n") is None


def test_report_has_machine_summary_and_every_section_in_order() -> None:
    speed_bench = next(b for b in BENCHES if b.key == "speed")
    idle_bench = next(b for b in BENCHES if b.key == "idle")
    outcomes: dict[str, Outcome | None] = {
        "speed": Outcome(speed_bench, "| figure |\n", met=False, seconds=12.0),
        "idle": Outcome(idle_bench, "", met=None, seconds=1.0, error="RuntimeError: boom"),
    }
    text = report({"CPU": "test cpu", "cores": "2"}, outcomes, "python -m bench --only speed")
    headings = [ln for ln in text.splitlines() if ln.startswith("## ")]
    assert headings[:2] == ["## Machine", "## Summary"]
    assert [h.split(". ", 1)[1] for h in headings[2:]] == [b.title for b in BENCHES]
    assert "| 2. Pipeline speed | **no** | 12 s |" in text
    assert "| 6. Idle daemon | failed: RuntimeError: boom | 1 s |" in text
    assert "| 1. Summary quality | not run | - |" in text
    assert "| CPU | test cpu |" in text


# -- desk --------------------------------------------------------------------------------
def test_the_desk_benchmark_serves_every_delivery_it_seeded() -> None:
    import statistics

    from bench import desk

    m = desk.measure(deliveries=10, repeat=2)
    assert (m["deliveries"], m["shown"], m["waiting"]) == (10, 10, 6)
    assert len(m["page"]) == len(m["query"]) == len(m["render"]) == 2
    sec = desk.section(m)
    (judged_row,) = [r for r in sec.rows if r.met is not None]
    assert judged_row.target == "< 200 ms"
    assert judged_row.met == (statistics.median(m["page"]) < desk.TARGET_S)
