"""What the test suite needs from the machine, started when possible and named when missing.

* **PostgreSQL.** Tests marked ``postgres`` use ``$BOT_TEST_POSTGRES_URL``. When it is not
  set and such tests were collected, the suite runs ``scripts/start-postgres --no-install``
  (the script `.ci/run` uses): with the server binaries installed it starts a throw-away
  server (stopped again at the end if this run started it) and the tests run; without them
  the tests skip and the summary says how to enable them.
* **Corpora.** Tests that read the shared corpora look in ``../shared`` (or
  ``$BOT_SHARED_DIR``); the summary says where they were expected.
* **A container engine.** Without rootful podman or a Docker daemon the image is not built
  (its files are still checked); the summary says how to get one.

So `make test` on a fresh clone hides nothing: every group of skipped tests is counted in
the summary with the one step that would run it.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("BOT_SHARED_DIR", ROOT.parent / "shared"))
START = ROOT / "scripts" / "start-postgres"
URL_VAR = "BOT_TEST_POSTGRES_URL"


@dataclass
class _Postgres:
    started: bool = False
    """This run started the server (and stops it at the end)."""
    reused: bool = False
    problem: str | None = None
    """Why no server could be had (no binaries, the script failed)."""


_pg = _Postgres()


def pytest_collection_finish(session: pytest.Session) -> None:
    if os.environ.get(URL_VAR) or not any(
        item.get_closest_marker("postgres") for item in session.items
    ):
        return
    try:
        proc = subprocess.run([str(START), "--no-install"], capture_output=True, text=True,
                              timeout=180, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        _pg.problem = f"scripts/start-postgres did not run ({exc})"
        return
    url = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0 or not url.startswith("postgresql"):
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        _pg.problem = last.removeprefix("start-postgres: ")
        return
    os.environ[URL_VAR] = url
    _pg.started = "starting the server" in proc.stderr
    _pg.reused = not _pg.started


def pytest_unconfigure(config: pytest.Config) -> None:
    if _pg.started:
        subprocess.run([str(START), "--stop"], capture_output=True, timeout=120, check=False)


def _reason(report: Any) -> str:
    longrepr = getattr(report, "longrepr", None)
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    pg = [r for r in skipped if "postgres" in getattr(r, "keywords", {})
          or URL_VAR in _reason(r)]
    corpora = [r for r in skipped if "BOT_SHARED_DIR" in _reason(r) or str(SHARED) in _reason(r)]
    lines: list[str] = []
    if pg:
        why = _pg.problem or f"{URL_VAR} is not set"
        lines.append(
            f"PostgreSQL: {len(pg)} tests skipped ({why}). Install the server binaries "
            "(apt-get install postgresql) and the suite starts its own server with "
            f"scripts/start-postgres, or export {URL_VAR}=\"$(scripts/start-postgres)\".")
    elif _pg.started:
        lines.append("PostgreSQL: the tests ran on a throw-away server started for this run "
                     "(scripts/start-postgres), stopped again.")
    if corpora:
        lines.append(
            f"Corpora: {len(corpora)} tests skipped: the shared corpora are expected at "
            f"{SHARED} (../shared next to the project) or wherever $BOT_SHARED_DIR points.")
    engine = [r for r in skipped if "no container engine" in _reason(r)]
    if engine:
        lines.append(
            f"Containers: {len(engine)} tests skipped: no container engine. As root, apt-get "
            "install podman (scripts/container-smoke installs it itself), or give the suite a "
            "Docker daemon; the container files are checked either way.")
    if lines:
        terminalreporter.write_sep("=", "what this run could not test, and how to enable it")
        for line in lines:
            terminalreporter.write_line(line)
