"""The single-daemon lock on SQLite, and database failures told as one clean StoreError."""

from __future__ import annotations

import os
import socket
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import bot.store.db
from bot.errors import LockLost, StoreError
from bot.store import Store

from .conftest import T0, at, delivery


# -- daemon lock ---------------------------------------------------------------------------
def test_second_daemon_is_refused_with_a_clear_message(sqlite_url: str) -> None:
    first, second = Store(sqlite_url), Store(sqlite_url)  # two engines, as two processes
    first.upgrade()
    first.acquire_daemon_lock("daemon-a", now=T0)
    first.acquire_daemon_lock("daemon-a", now=at(0.5))  # the owner may take it again
    with pytest.raises(StoreError) as err:
        second.acquire_daemon_lock("daemon-b", now=at(0.9))
    msg = str(err.value)
    assert f"pid {os.getpid()} on {socket.gethostname()}" in msg
    assert "since 2025-03-01 12:00:00" in msg and "use PostgreSQL" in msg
    assert "\n" not in msg
    first.heartbeat_daemon_lock("daemon-a", now=at(1))
    with pytest.raises(LockLost, match="lost the daemon lock"):
        second.heartbeat_daemon_lock("daemon-b", now=at(1))
    first.close()
    second.close()


def test_stale_lock_is_taken_over_and_the_old_owner_learns_it(sqlite_url: str) -> None:
    a, b = Store(sqlite_url), Store(sqlite_url)
    a.upgrade()
    a.acquire_daemon_lock("daemon-a", now=T0)
    a.heartbeat_daemon_lock("daemon-a", now=at(1))
    with pytest.raises(StoreError):
        b.acquire_daemon_lock("daemon-b", now=at(1.9), stale_after=60)  # 54 s old: alive
    b.acquire_daemon_lock("daemon-b", now=at(2), stale_after=60)  # 60 s old: dead
    with pytest.raises(LockLost, match="lost the daemon lock"):
        a.heartbeat_daemon_lock("daemon-a", now=at(2.1))
    a.release_daemon_lock("daemon-a")  # not the owner: nothing happens
    with pytest.raises(StoreError, match="another bot daemon"):
        a.acquire_daemon_lock("daemon-a", now=at(2.2))
    b.release_daemon_lock("daemon-b")
    a.acquire_daemon_lock("daemon-a", now=at(2.3))  # free again
    a.close()
    b.close()


@pytest.mark.postgres
def test_daemon_lock_is_a_no_op_on_postgres(pg_url: str) -> None:
    a, b = Store(pg_url), Store(pg_url)
    a.upgrade()
    a.acquire_daemon_lock("replica-1", now=T0)
    b.acquire_daemon_lock("replica-2", now=T0)  # replicas share work through row locks
    b.heartbeat_daemon_lock("replica-2", now=at(1))
    a.release_daemon_lock("replica-1")
    a.close()
    b.close()


# -- errors --------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


OPS: dict[str, Callable[[Store], Any]] = {
    "upgrade": lambda st: st.upgrade(),
    "current_revision": lambda st: st.current_revision(),
    "get_feed": lambda st: st.get_feed("blog"),
    "claim_next": lambda st: st.claim_next("x", owner="w", now=T0, lease_seconds=60),
    "mark_sent": lambda st: st.mark_sent(1, remote_id=None, remote_url=None, now=T0),
    "counts": lambda st: st.counts(),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_unreachable_postgres_is_a_store_error_without_the_password(op: str) -> None:
    url = f"postgresql://pubbot:Sup3r-Secret-pw@127.0.0.1:{_closed_port()}/pubbot"
    st = Store(url)
    with pytest.raises(StoreError) as err:
        OPS[op](st)
    msg = str(err.value)
    assert "Sup3r-Secret-pw" not in msg and "Sup3r-Secret-pw" not in repr(err.value)
    assert "cannot connect to the database server" in msg
    assert "pubbot:********@127.0.0.1" in msg
    assert "\n" not in msg and "SELECT" not in msg.upper()
    assert err.value.exit_code == 3
    assert st.ping() is False
    st.close()


def test_sqlite_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    path.write_bytes(b"this is not a database, just some text " * 100)
    with Store(f"sqlite:///{path}") as st, pytest.raises(
            StoreError, match=r"cannot upgrade the database schema: .*not a database"):
        st.upgrade()


def test_sqlite_folder_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder"):
        Store(f"sqlite:///{tmp_path / 'file' / 'sub' / 'bot.db'}")


def test_sqlite_locked_too_long(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.store.db, "LOCK_TIMEOUT_MS", 200)
    st = Store(sqlite_url)
    st.upgrade()
    delivery(st)
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StoreError, match="locked by another process"):
            st.claim_next("x", owner="w", now=T0, lease_seconds=60)
        assert st.get_delivery(1) is not None  # readers are not blocked in WAL mode
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert st.claim_next("x", owner="w", now=T0, lease_seconds=60) is not None
    st.close()


@pytest.mark.postgres
def test_postgres_row_lock_held_too_long(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.store.db, "LOCK_TIMEOUT_MS", 200)
    st = Store(pg_url)
    st.upgrade()
    d = delivery(st)
    other = Store(pg_url)  # a second process, stuck in the middle of a transaction
    with other._engine.connect() as conn, conn.begin():
        conn.exec_driver_sql(f"SELECT 1 FROM deliveries WHERE id = {d.id} FOR UPDATE")
        with pytest.raises(StoreError, match="locked by another process"):
            st.mark_sent(d.id, remote_id="1", remote_url=None, now=T0)
    st.mark_sent(d.id, remote_id="1", remote_url=None, now=T0)  # free again
    other.close()
    st.close()


@pytest.mark.parametrize("url, match", [
    ("mysql://u:pw@127.0.0.1/db", "unsupported database 'mysql'"),
    ("not a url at all", "not a database URL"),
])
def test_bad_urls(url: str, match: str) -> None:
    with pytest.raises(StoreError, match=match):
        Store(url)


def test_closed_store_refuses_work(sqlite_url: str) -> None:
    st = Store(sqlite_url)
    st.upgrade()
    st.close()
    st.close()  # twice is fine
    with pytest.raises(StoreError, match="closed"):
        st.get_feed("blog")
    with pytest.raises(StoreError, match="closed"):
        st.upgrade()
    assert st.ping() is False
