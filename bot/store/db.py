"""Engines for SQLite and PostgreSQL, and the translation of database errors into StoreError."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    NoSuchModuleError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.pool import StaticPool

from bot.config import mask_url
from bot.errors import StoreError

LOCK_TIMEOUT_MS = 10_000
"""How long a transaction waits for a lock held by someone else before it fails."""
IMMEDIATE = "pubbot_sqlite_immediate"
"""Execution option: begin this connection's transaction with ``BEGIN IMMEDIATE``."""


def normalize_url(url: str) -> URL:
    """Parse a database URL; plain ``postgresql://`` (and ``postgres://``) use psycopg 3."""
    try:
        u = make_url(url)
    except ArgumentError:
        raise StoreError(f"not a database URL: {mask_url(url)!r}") from None
    if u.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"unsupported database {u.get_backend_name()!r}: use sqlite or postgresql")
    return u


def make_engine(u: URL) -> Engine:
    if u.get_backend_name() == "sqlite":
        return _sqlite_engine(u)
    try:
        engine = create_engine(u, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               connect_args={"connect_timeout": 10})
    except (NoSuchModuleError, ImportError):
        raise StoreError("PostgreSQL needs psycopg 3: pip install 'pubbot[postgres]'") from None
    timeout_ms = LOCK_TIMEOUT_MS

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Like SQLite's busy timeout: wait for a row lock this long, then fail clearly
        # instead of hanging behind a stuck transaction.
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {int(timeout_ms)}")
        dbapi_conn.commit()

    return engine


def _sqlite_engine(u: URL) -> Engine:
    db = u.database or ""
    memory = db in ("", ":memory:") or db.startswith("file::memory:")
    kwargs: dict[str, Any] = {}
    if memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, or every session sees nothing
    else:
        try:
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for {db}: {exc.strerror}") from None
    engine = create_engine(
        u,
        connect_args={"check_same_thread": False, "timeout": LOCK_TIMEOUT_MS / 1000},
        **kwargs,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); the driver must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        try:
            cur.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _wal(cur)
                # FULL: a commit survives power loss too; a lost "sent" would mean a repost.
                cur.execute("PRAGMA synchronous = FULL")
        finally:
            cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A writer takes the write lock up front: no lock upgrade, no SQLITE_BUSY mid-way,
        # and the whole transaction is serialised against every other process.
        immediate = conn.get_execution_options().get(IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _wal(cur: Any) -> None:
    """Switch to WAL. The switch needs a moment alone with the file and SQLite answers
    "locked" at once, without its busy handler, when several processes open a new
    database together: retry until the busy timeout."""
    deadline = time.monotonic() + LOCK_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def translate(exc: SQLAlchemyError, action: str, url: str) -> StoreError:
    """One clear line: what failed and why, without SQL and without the password."""
    where = mask_url(url)
    if isinstance(exc, IntegrityError):
        reason = "a constraint was violated"
    elif isinstance(exc, OperationalError):
        reason = _first_line(exc)
        low = reason.lower()
        if any(m in low for m in ("database is locked", "database is busy", "lock timeout")):
            reason = "the database is locked by another process (waited too long)"
        elif "unable to open database" in low:
            reason = "cannot open the database file"
        elif low.startswith(("connection failed", "failed to resolve host", "connection timeout")):
            detail = reason.rsplit(" failed: ", 1)[-1].replace("FATAL:", "").strip()
            reason = f"cannot connect to the database server: {detail}"
    elif isinstance(exc, DBAPIError):
        reason = _first_line(exc)
    elif isinstance(exc, StatementError) and isinstance(exc.orig, ValueError):
        reason = f"invalid value: {exc.orig}"
    else:
        reason = exc.__class__.__name__
    reason = _scrub(reason, url)
    return StoreError(f"cannot {action}: {reason} ({where})")


def _first_line(exc: DBAPIError | StatementError) -> str:
    orig = exc.orig if exc.orig is not None else exc
    text = str(orig).strip().splitlines()
    line = text[0] if text else orig.__class__.__name__
    return line[:300]


def _scrub(text: str, url: str) -> str:
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    if password:
        text = text.replace(str(password), "********")
    return text
