"""`make test` on a fresh clone hides nothing: the suite starts PostgreSQL itself when the
server binaries are there, and otherwise its summary says how to run what it skipped.

Each case runs pytest in a subprocess with the suite's plugin (``tests.suite_services``) on a
three-test file: one PostgreSQL test, one that needs the shared corpora, one that needs a
container engine.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli_helpers import ROOT

START = ROOT / "scripts" / "start-postgres"
TESTS = '''
import os
import pytest

@pytest.mark.postgres
def test_database():
    url = os.environ.get("BOT_TEST_POSTGRES_URL")
    if not url:
        pytest.skip("PostgreSQL tests need BOT_TEST_POSTGRES_URL")
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        assert conn.execute("select 1").fetchone() == (1,)

def test_corpus():
    shared = os.environ["BOT_SHARED_DIR"]
    if not os.path.isdir(shared):
        pytest.skip(f"../shared corpora not found at {shared} (set BOT_SHARED_DIR)")

def test_image():
    pytest.skip("no container engine here (rootful podman or a Docker daemon)")
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A cluster folder the ``postgres`` user can reach (pytest's tmp_path is root-only)."""
    d = Path(tempfile.mkdtemp(prefix="pubbot-suite-pg-", dir="/tmp"))
    d.chmod(0o755)
    try:
        yield d / "cluster"
    finally:
        subprocess.run([str(START), "--stop", str(d / "cluster")], capture_output=True,
                       timeout=120, check=False, env={**os.environ})
        shutil.rmtree(d, ignore_errors=True)


def run_suite(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_two.py").write_text(TESTS, encoding="utf-8")
    full = {k: v for k, v in os.environ.items() if k not in ("BOT_TEST_POSTGRES_URL",)}
    full.update(PYTHONPATH=str(ROOT), BOT_SHARED_DIR=str(tmp_path / "no-shared"), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.suite_services",
         "-p", "no:cacheprovider", "-o", "markers=postgres", "--rootdir", str(tmp_path),
         str(tmp_path / "test_two.py")],
        cwd=tmp_path, env=full, capture_output=True, text=True, timeout=300)


def summary(res: subprocess.CompletedProcess[str]) -> list[str]:
    head = "what this run could not test, and how to enable it"
    lines = res.stdout.splitlines()
    start = next(i for i, ln in enumerate(lines) if head in ln)
    groups = ("PostgreSQL:", "Corpora:", "Containers:")
    return [ln for ln in lines[start + 1:] if ln.startswith(groups)]


def test_the_suite_starts_its_own_postgresql_when_the_binaries_are_there(
    tmp_path: Path, pg_dir: Path
) -> None:
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        pytest.skip("PostgreSQL server binaries are not installed here (apt-get install "
                    "postgresql): the next test covers this machine")
    port = free_port()
    res = run_suite(tmp_path, PUBBOT_PG_DIR=str(pg_dir), PUBBOT_PG_PORT=str(port))
    assert "1 passed, 2 skipped" in res.stdout, res.stdout + res.stderr
    lines = summary(res)
    assert lines[0] == ("PostgreSQL: the tests ran on a throw-away server started for this "
                        "run (scripts/start-postgres), stopped again.")
    assert lines[1].startswith("Corpora: 1 tests skipped: the shared corpora are expected at "
                               f"{tmp_path / 'no-shared'}")
    assert lines[2].startswith("Containers: 1 tests skipped: no container engine.")
    with socket.socket() as s:  # stopped again: nothing listens on its port
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_without_a_server_the_summary_says_how_to_get_one(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("start-postgres cannot make a cluster here\n")
    res = run_suite(tmp_path, PUBBOT_PG_DIR=str(blocker / "cluster"),
                    PUBBOT_PG_PORT=str(free_port()))
    assert "3 skipped" in res.stdout, res.stdout + res.stderr
    (pg, corpora, containers) = summary(res)
    assert pg.startswith("PostgreSQL: 1 tests skipped (")
    assert pg.endswith("Install the server binaries (apt-get install postgresql) and the suite "
                       "starts its own server with scripts/start-postgres, or export "
                       "BOT_TEST_POSTGRES_URL=\"$(scripts/start-postgres)\".")
    assert corpora.startswith("Corpora: 1 tests skipped")
    assert "apt-get install podman" in containers
