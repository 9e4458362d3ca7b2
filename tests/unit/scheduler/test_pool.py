"""The scheduler's thread pools: jobs run side by side, a failing job fails only itself,
and a job stuck past shutdown never keeps the process alive."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from bot.scheduler.pool import DaemonThreadPool, PoolExecutor

ROOT = Path(__file__).resolve().parents[3]


def threads_of(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(f"{name}-")]


def test_jobs_run_side_by_side_and_give_their_results() -> None:
    pool = DaemonThreadPool(2, name="side")
    both = threading.Barrier(2, timeout=10)  # only passes when two jobs run at once
    try:
        futures = [pool.submit(lambda n=n: (both.wait(), n * n)[1]) for n in (3, 4)]
        assert [f.result(timeout=10) for f in futures] == [9, 16]
        assert sorted(t.name for t in threads_of("side")) == ["side-0", "side-1"]
        assert all(t.daemon for t in threads_of("side"))
    finally:
        pool.shutdown()


def test_a_failing_job_fails_its_future_and_the_pool_runs_on() -> None:
    pool = DaemonThreadPool(1, name="t")
    try:
        bad = pool.submit(lambda: 1 // 0)
        good = pool.submit(lambda: "still here")
        with pytest.raises(ZeroDivisionError):
            bad.result(timeout=10)
        assert good.result(timeout=10) == "still here"
        assert pool.submit(sum, [1, 2, 3]).result(timeout=10) == 6
    finally:
        pool.shutdown()


def test_after_shutdown_queued_jobs_are_dropped_and_new_ones_refused() -> None:
    pool = DaemonThreadPool(1, name="drop")
    release = threading.Event()
    started = threading.Event()
    ran: list[str] = []

    def stuck() -> None:
        started.set()
        release.wait(10)
        ran.append("stuck")

    first = pool.submit(stuck)
    queued = pool.submit(lambda: ran.append("queued"))
    assert started.wait(10)
    pool.shutdown(wait=False)  # returns at once, the stuck job still running
    assert not first.done()
    release.set()
    first.result(timeout=10)
    for t in threads_of("drop"):
        t.join(10)
    assert ran == ["stuck"] and not queued.done()  # never started, never resolved
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)


def test_shutdown_of_an_unused_pool_starts_no_thread() -> None:
    pool = DaemonThreadPool(3, name="unused")
    pool.shutdown()
    assert threads_of("unused") == []


STUCK = """
import sys, threading, time
from bot.scheduler.pool import DaemonThreadPool

pool = DaemonThreadPool(1, name="stuck")
started = threading.Event()
pool.submit(lambda: (started.set(), time.sleep(3600)))
started.wait(10)
pool.shutdown(wait=False)
print("leaving", flush=True)
"""


def test_a_job_stuck_past_shutdown_does_not_keep_the_process_alive(tmp_path: Path) -> None:
    script = tmp_path / "stuck.py"
    script.write_text(textwrap.dedent(STUCK))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, timeout=30)
    assert (done.returncode, done.stdout.strip()) == (0, "leaving"), done.stderr


def test_the_scheduler_survives_a_failing_job_on_the_pool() -> None:
    sched = BackgroundScheduler(executors={"default": PoolExecutor(2, "jobs")})
    calls: list[int] = []
    twice = threading.Event()

    def flaky() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise RuntimeError("the first run fails")
        twice.set()

    sched.add_job(flaky, "interval", seconds=0.2, id="flaky")
    sched.start()
    try:
        assert twice.wait(15), "the job did not run again after failing"
        assert sched.running and sched.get_job("flaky") is not None
    finally:
        sched.shutdown(wait=True)
