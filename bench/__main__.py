"""Every benchmark of issue 6, and ``docs/benchmarks.md``: ``python -m bench``.

    python -m bench                          # all seven (about ten minutes)
    python -m bench --only speed,startup     # some of them
    python -m bench --quick                  # smaller sizes, a rough check in ~2 minutes

Sections: 1 quality (``bench.quality``), 2 speed, 3 feeds (``bench.feeds``), 4 startup,
5 dispatch, 6 idle, 7 feedparse (``bench.feedparse``). Quality, feeds and feedparse run as
their own processes and leave ``bench/results/quality.md`` / ``feeds.md`` /
``feedparse.md``; the others run here and leave
``bench/results/<name>.md``. The report takes every section from this run, and a section
not run this time from its ``bench/results`` file of an earlier run (marked as such).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.common import RESULTS, ROOT, Section, machine_info, markdown_table, verdict, write_result

REPORT = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Bench:
    key: str
    number: int
    title: str
    results: str
    """The file in bench/results this benchmark leaves."""


BENCHES = (
    Bench("quality", 1, "Summary quality", "quality.md"),
    Bench("speed", 2, "Pipeline speed", "speed.md"),
    Bench("feeds", 3, "Feed polling at scale", "feeds.md"),
    Bench("startup", 4, "Start-up", "startup.md"),
    Bench("dispatch", 5, "Dispatch under platform limits", "dispatch.md"),
    Bench("idle", 6, "Idle daemon", "idle.md"),
    Bench("feedparse", 7, "Feed parsers against feedparser", "feedparse.md"),
)
KEYS = tuple(b.key for b in BENCHES)


@dataclass
class Outcome:
    """What one benchmark gave in this run."""

    bench: Bench
    body: str
    met: bool | None
    seconds: float
    error: str | None = None


# -- running ---------------------------------------------------------------------------------
def _external(module: str, args: Sequence[str]) -> tuple[int, str]:
    """Run ``python -m <module> <args>`` from the project root; (exit code, stderr tail)."""
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    return proc.returncode, proc.stderr[-2000:]


def _in_process(bench: Bench, quick: bool) -> Section:
    if bench.key == "speed":
        from bench import speed

        return (speed.run(passes=1, limit=20, html_limit=15, html_passes=1) if quick
                else speed.run())
    if bench.key == "startup":
        from bench import startup

        return startup.run(repeat=3 if quick else 10)
    if bench.key == "dispatch":
        from bench import dispatch

        return dispatch.run(windows=2, baseline=False) if quick else dispatch.run()
    if bench.key == "idle":
        from bench import idle

        return idle.run(interval=10, window=15) if quick else idle.run()
    raise ValueError(f"unknown in-process benchmark {bench.key!r}")


EXTERNAL: dict[str, tuple[str, Callable[[bool], list[str]]]] = {
    "quality": ("bench.quality", lambda quick: []),
    "feeds": ("bench.feeds", lambda quick: (
        ["--feeds", "300", "--rounds", "2", "--repeat", "1", "--latency", "0"] if quick
        else [])),
    "feedparse": ("bench.feedparse", lambda quick: []),
}


def run_bench(bench: Bench, quick: bool) -> Outcome:
    t0 = time.perf_counter()
    try:
        if bench.key in EXTERNAL:
            module, args = EXTERNAL[bench.key]
            code, err = _external(module, args(quick))
            path = RESULTS / bench.results
            if not path.is_file() or path.stat().st_mtime < time.time() - (
                    time.perf_counter() - t0) - 5:
                raise RuntimeError(f"python -m {module} left no fresh {path.name} "
                                   f"(exit {code}): {err.strip()[-500:]}")
            text = path.read_text(encoding="utf-8")
            return Outcome(bench, included(text), judged(text), time.perf_counter() - t0)
        sec = _in_process(bench, quick)
        write_result(bench.results, sec.markdown())
        return Outcome(bench, sec.body(), sec.met, time.perf_counter() - t0)
    except Exception as exc:
        traceback.print_exc()
        return Outcome(bench, "", None, time.perf_counter() - t0,
                       error=f"{type(exc).__name__}: {exc}")


# -- the report ------------------------------------------------------------------------------
def included(text: str) -> str:
    """A results file as a section body: its own first heading dropped, the other headings
    put under the section's."""
    lines = text.strip().splitlines()
    if lines and lines[0].startswith("#"):
        lines = lines[1:]
    out = [re.sub(r"^#{1,6}\s+", "### ", line) for line in lines]
    return "\n".join(out).strip() + "\n"


def judged(text: str) -> bool | None:
    """The verdict a results file states: a 'met?' column, or a 'met' / 'NOT met' line."""
    if re.search(r"\bNOT met\b", text):
        return False
    if re.search(r"—\s*met\b", text):
        return True
    header = next((ln for ln in text.splitlines() if ln.startswith("|") and "met?" in ln), None)
    if header is None:
        return None
    col = [c.strip() for c in header.strip("|").split("|")].index("met?")
    verdicts = [[c.strip() for c in ln.strip("|").split("|")][col]
                for ln in text.splitlines() if ln.startswith("|") and ln != header
                and not ln.startswith("|---")]
    judged_rows = [v for v in verdicts if v in ("yes", "**no**")]
    return all(v == "yes" for v in judged_rows) if judged_rows else None


def earlier(bench: Bench) -> Outcome | None:
    """The section from a results file an earlier run left, if any."""
    path = RESULTS / bench.results
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    body = f"*From an earlier run ({when}), not re-run this time.*\n\n{included(text)}"
    return Outcome(bench, body, judged(text), 0.0)


def report(machine: dict[str, str], outcomes: dict[str, Outcome | None], command: str) -> str:
    parts = [
        "# Benchmarks", "",
        f"Generated by `{command}` (see `bench/`); each figure against a baseline measured in "
        "the same run. Regenerate with `make bench`.", "",
        "## Machine", "",
        markdown_table(["", ""], [[k, v] for k, v in machine.items()]), "",
        "The machine is shared with other jobs: wall times are noisy, so the speed figures "
        "keep each item's fastest pass and the start-up figures the median of interleaved "
        "runs.", "",
        "## Summary", "",
    ]
    rows = []
    for b in BENCHES:
        o = outcomes.get(b.key)
        state = ("not run" if o is None else f"failed: {o.error}" if o.error
                 else verdict(o.met) if o.met is not None else "no target")
        took = f"{o.seconds:.0f} s" if o is not None and o.seconds else "-"
        rows.append([f"{b.number}. {b.title}", state, took])
    parts += [markdown_table(["section", "targets met?", "time"], rows), ""]
    for b in BENCHES:
        o = outcomes.get(b.key)
        parts += [f"## {b.number}. {b.title}", ""]
        if o is None:
            parts += ["Not run yet: `python -m bench --only " + b.key + "`.", ""]
        elif o.error:
            parts += [f"The benchmark failed: `{o.error}`.", ""]
        else:
            parts += [o.body.rstrip(), ""]
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    ap.add_argument("--only", help=f"comma-separated, from: {', '.join(KEYS)}")
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a rough check)")
    ap.add_argument("--out", type=Path, default=REPORT, help="the report (docs/benchmarks.md)")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ns = ap.parse_args(argv)
    chosen = list(KEYS)
    if ns.only:
        chosen = [k.strip() for k in ns.only.split(",") if k.strip()]
        unknown = [k for k in chosen if k not in KEYS]
        if unknown:
            ap.error(f"unknown benchmark {unknown[0]!r} (choose from {', '.join(KEYS)})")
    machine = machine_info()
    outcomes: dict[str, Outcome | None] = {}
    for b in BENCHES:
        if b.key in chosen:
            print(f"[bench] {b.number}. {b.title} ...", file=sys.stderr, flush=True)
            outcomes[b.key] = run_bench(b, ns.quick)
            o = outcomes[b.key]
            assert o is not None
            print(f"[bench] {b.key}: {o.error or verdict(o.met)} ({o.seconds:.0f} s)",
                  file=sys.stderr, flush=True)
        else:
            outcomes[b.key] = earlier(b)
    command = "python -m bench" + (f" --only {ns.only}" if ns.only else "") + (
        " --quick" if ns.quick else "")
    text = report(machine, outcomes, command)
    ns.out.parent.mkdir(parents=True, exist_ok=True)
    ns.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written to {ns.out}", file=sys.stderr)
    ran = [outcomes[k] for k in chosen]
    if any(o is not None and o.error for o in ran):
        return 2
    if ns.strict and any(o is not None and o.met is False for o in ran):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
