"""Restarts just work: `bot run` in a container restarted after SIGKILL, and SIGHUP.

A restarted container runs the new daemon with the *same* pid on the *same* host name as
the one that was killed, and the lock row the killed daemon left has a heartbeat only
seconds old. Here a process writes exactly such a row with its own pid, then ``exec``s
`bot run` - which keeps the pid - and the daemon must start at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from bot.store import Store
from bot.store.schema import DaemonLock
from tests.e2e.test_run_health import child_env, free_port, get, items, wait_for, write_config
from tests.fakes.feedserver import FeedServer

PLANT_THEN_EXEC = textwrap.dedent("""
    import os, socket, sys
    from datetime import UTC, datetime
    from bot.store import Store
    from bot.store.schema import DaemonLock

    db, cfg = sys.argv[1], sys.argv[2]
    st = Store(f"sqlite:///{db}")
    st.upgrade()
    now = datetime.now(UTC)
    with st._session("leave a lock as a daemon killed with SIGKILL does") as s:
        s.add(DaemonLock(id=1, owner=f"{socket.gethostname()}:{os.getpid()}:0ld70ken",
                         pid=os.getpid(), host=socket.gethostname(),
                         acquired_at=now, heartbeat_at=now))
    st.close()
    print(os.getpid(), flush=True)
    os.execv(sys.executable, [sys.executable, "-m", "bot", "--config", cfg, "run"])
""")


def test_a_daemon_restarted_with_the_killed_ones_pid_starts_at_once(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.db"
    db.parent.mkdir()
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        port = free_port()
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=port, max_poll_age=1800)
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", PLANT_THEN_EXEC, str(db), str(cfg)],
                                cwd=tmp_path, env=child_env(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        try:
            assert proc.stdout is not None
            planted_pid = int(proc.stdout.readline())
            assert planted_pid == proc.pid  # the lock names the very pid the daemon runs as
            wait_for("/healthz", lambda: True if get(f"http://127.0.0.1:{port}/healthz")[0] == 200
                     else None, proc, timeout=30)
            took = time.monotonic() - t0
            assert took < 30, "the restart waited for the old heartbeat to age"
            with Store(f"sqlite:///{db}") as st, st._session("read the lock", write=False) as s:
                lock = s.get_one(DaemonLock, 1)
                assert (lock.pid, lock.host) == (proc.pid, socket.gethostname())
                assert not lock.owner.endswith(":0ld70ken")

            # SIGHUP: a clean stop, exit 0, the lock released for the next start.
            proc.send_signal(signal.SIGHUP)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err
    with Store(f"sqlite:///{db}") as st, st._session("read the lock", write=False) as s:
        assert s.get(DaemonLock, 1) is None


def test_sigkill_then_restart_takes_the_lock_at_once(tmp_path: Path) -> None:
    """The same without a container: the killed daemon's pid is gone, the new one has
    another; the lock's fresh heartbeat does not make it wait either."""
    with FeedServer() as srv:
        srv.add_feed("news", items(srv))
        port = free_port()
        cfg = write_config(tmp_path, srv.url("/news.xml"), port=port, max_poll_age=1800)
        health = f"http://127.0.0.1:{port}/healthz"
        procs: list[subprocess.Popen[bytes]] = []
        try:
            for _ in range(2):
                proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(cfg), "run"],
                                        cwd=tmp_path, env=child_env(), stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
                procs.append(proc)
                t0 = time.monotonic()
                wait_for("/healthz", lambda: True if get(health)[0] == 200 else None, proc,
                         timeout=30)
                assert time.monotonic() - t0 < 30
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(10)
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()
                proc.communicate()

