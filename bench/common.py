"""Small helpers shared by the bench scripts (generic: paths, timing, markdown tables)."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def shared_dir() -> Path:
    """``../shared`` next to the project, or ``$BOT_SHARED_DIR``."""
    return Path(os.environ.get("BOT_SHARED_DIR", ROOT.parent / "shared"))


def median_seconds(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; floats shown with two decimals."""

    def cell(v: object) -> str:
        return f"{v:.2f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_result(name: str, text: str) -> Path:
    """Write ``bench/results/<name>`` (the folder is git-ignored) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / name
    path.write_text(text, encoding="utf-8")
    return path


# -- shared by the issue-6 benchmarks (speed, startup, dispatch, idle) and bench/__main__ ------


@dataclass
class Row:
    """One measured figure against its same-run baseline and its target."""

    figure: str
    value: str
    baseline: str = "-"
    ratio: str = "-"
    target: str = "-"
    met: bool | None = None
    """None: reported only, no target."""


@dataclass
class Section:
    """One benchmark's result: a table of :class:`Row` plus free-text notes."""

    key: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    """The raw figures (for the smoke tests and anyone scripting the bench)."""

    @property
    def met(self) -> bool | None:
        judged = [r.met for r in self.rows if r.met is not None]
        return all(judged) if judged else None

    def body(self) -> str:
        """The table and the notes, without a heading."""
        head = ["figure", "ours", "baseline", "ratio", "target", "met?"]
        rows = [[r.figure, r.value, r.baseline, r.ratio, r.target, verdict(r.met)]
                for r in self.rows]
        parts = [markdown_table(head, rows)]
        if self.notes:
            parts += ["", *[f"- {n}" for n in self.notes]]
        return "\n".join(parts) + "\n"

    def markdown(self, level: int = 2) -> str:
        return f"{'#' * level} {self.title}\n\n{self.body()}"


def venv_bin(name: str) -> str:
    """``name`` next to the running interpreter (the venv's ``bin``), else on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "**no**")


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def fmt_ratio(value: float) -> str:
    return f"{value:.2f}×"


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation."""
    data = sorted(values)
    if not data:
        raise ValueError("no values")
    pos = (len(data) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_info() -> dict[str, str]:
    """CPU model, cores, RAM, Python, OS, load average and the date, for the report."""
    ram = _ram_gib()
    try:
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count() or "unknown"),
        "RAM": f"{ram:.1f} GiB" if ram is not None else "unknown",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "load average (1, 5, 15 min) at start": load,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
