"""Start-up time (issue 6, item 4): ``python -m bench.startup``.

Wall time of ``bot --help`` and of ``bot preview`` on the sample article, against the
venv's ``python -c pass`` and ``python -c "import tweepy, googleapiclient.discovery"``.
Every command runs ``--repeat`` times, the commands interleaved so that a busy moment on
the shared machine hits all of them alike; the table shows the median (and the fastest run
and the median CPU time of the child in the notes). The working directory is an empty
temporary folder, so no ``config/bot.yaml`` or ``.env`` is picked up.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    ROOT,
    Row,
    Section,
    fmt_ms,
    fmt_ratio,
    shared_dir,
    venv_bin,
    write_result,
)

TARGET_HELP_RATIO = 10.0
TARGET_PREVIEW_S = 1.0
SAMPLE = Path("corpora/articles/putin-ankara.txt")


@dataclass
class CommandTiming:
    label: str
    wall: list[float]
    cpu: list[float]
    """User + system CPU seconds of the child process."""

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)


def run_once(argv: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one run; RuntimeError when the command fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(list(argv), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr[-500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def time_commands(commands: Mapping[str, Sequence[str]], repeat: int, warmup: int = 1,
                  cwd: Path | None = None) -> dict[str, CommandTiming]:
    """Run each command ``warmup`` times untimed, then ``repeat`` times interleaved."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")}
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        where = cwd or Path(tmp)
        for _ in range(warmup):  # fill the page cache and the bytecode caches
            for argv in commands.values():
                run_once(argv, where, env)
        out = {k: CommandTiming(k, [], []) for k in commands}
        for _ in range(repeat):
            for label, argv in commands.items():
                wall, cpu = run_once(argv, where, env)
                out[label].wall.append(wall)
                out[label].cpu.append(cpu)
    return out


def commands(sample: Path) -> dict[str, list[str]]:
    python, bot = venv_bin("python"), venv_bin("bot")
    return {
        "python -c pass": [python, "-c", "pass"],
        "python -c 'import tweepy, googleapiclient.discovery'":
            [python, "-c", "import tweepy, googleapiclient.discovery"],
        "bot --help": [bot, "--help"],
        "bot preview": [bot, "preview", str(sample), "--url", "https://example.org/x"],
    }


def section(t: dict[str, CommandTiming]) -> Section:
    base, imports = t["python -c pass"], t["python -c 'import tweepy, googleapiclient.discovery'"]
    helped, preview = t["bot --help"], t["bot preview"]
    help_ratio = helped.median / base.median
    sec = Section("startup", "Start-up (issue 6, item 4)", data={
        k: {"median": v.median, "best": v.best, "cpu_median": v.cpu_median, "runs": len(v.wall)}
        for k, v in t.items()})
    sec.rows = [
        Row("`bot --help`", fmt_ms(helped.median), f"`python -c pass` {fmt_ms(base.median)}",
            fmt_ratio(help_ratio), f"< {TARGET_HELP_RATIO:g}× python -c pass",
            help_ratio < TARGET_HELP_RATIO),
        Row("`bot --help` vs importing the vendor SDKs", fmt_ms(helped.median),
            f"`import tweepy, googleapiclient.discovery` {fmt_ms(imports.median)}",
            fmt_ratio(helped.median / imports.median)),
        Row("`bot preview` (sample article)", fmt_ms(preview.median),
            f"`python -c pass` {fmt_ms(base.median)}; SDK imports {fmt_ms(imports.median)}",
            fmt_ratio(preview.median / imports.median) + " SDK imports",
            f"< {TARGET_PREVIEW_S:g} s", preview.median < TARGET_PREVIEW_S),
    ]
    detail = "; ".join(
        f"{k}: median {fmt_ms(v.median)}, fastest {fmt_ms(v.best)}, median CPU "
        f"{fmt_ms(v.cpu_median)}" for k, v in t.items())
    sec.notes += [
        f"{len(base.wall)} interleaved runs of each command after one warm-up run, from an "
        "empty working directory (embedded default settings: three dry-run accounts), the "
        f"venv's interpreter ({sys.version.split()[0]}). `bot preview "
        f"../shared/{SAMPLE} --url https://example.org/x` reads, extracts, summarises "
        "and renders the three posts.",
        f"All figures: {detail}.",
    ]
    return sec


def run(repeat: int = 10) -> Section:
    sample = shared_dir() / SAMPLE
    if not sample.is_file():
        sample = ROOT / "bot" / "data" / "sample-article.md"
    sec = section(time_commands(commands(sample), repeat))
    if sample.name != SAMPLE.name:
        sec.notes.append(f"../shared/{SAMPLE} is missing: the preview used {sample.name}.")
    return sec


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.startup",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    ns = ap.parse_args(argv)
    sec = run(ns.repeat)
    text = sec.markdown()
    print(text)
    print(f"written to {write_result('startup.md', text)}", file=sys.stderr)
    return 0 if sec.met is not False else 1


if __name__ == "__main__":
    raise SystemExit(main())
