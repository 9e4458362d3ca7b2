"""The Store's plumbing: engine, one short session per call, errors made into StoreError."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session

from bot.errors import StoreError
from bot.store import migrate
from bot.store.db import IMMEDIATE, make_engine, normalize_url, translate


class StoreBase:
    """Thread-safe: the engine's pool is shared, every call uses its own short session."""

    def __init__(self, url: str) -> None:
        self._url_text = url
        self._url = normalize_url(url)
        self._engine = make_engine(self._url)
        self._closed = False
        self._close_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def is_postgres(self) -> bool:
        return self._url.get_backend_name() == "postgresql"

    @property
    def url(self) -> str:
        """The database URL with the password masked."""
        return self._url.render_as_string(hide_password=True)

    def upgrade(self) -> None:
        """Bring the schema to the newest revision (idempotent, safe with several replicas)."""
        self._guard("upgrade the database schema", lambda: migrate.upgrade(self._engine))

    def current_revision(self) -> str | None:
        result: str | None = self._guard(
            "read the schema revision", lambda: migrate.current_revision(self._engine))
        return result

    def ping(self) -> bool:
        """True when the database answers ``SELECT 1`` (for /readyz); never raises."""
        if self._closed:
            return False
        try:
            with self._engine.connect() as conn:
                return conn.execute(text("SELECT 1")).scalar() == 1
        except SQLAlchemyError:
            return False

    def close(self) -> None:
        with self._close_lock:
            if not self._closed:
                self._closed = True
                self._engine.dispose()

    def __enter__(self) -> StoreBase:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.url!r})"

    # -- helpers for the operations --------------------------------------------------------
    def _guard(self, action: str, fn: Any) -> Any:
        if self._closed:
            raise StoreError("the store is closed")
        try:
            return fn()
        except SQLAlchemyError as exc:
            raise translate(exc, action, self._url_text) from exc

    @contextmanager
    def _session(self, action: str, *, write: bool = True) -> Iterator[Session]:
        """One transaction; committed when the block ends, rolled back on any error.

        ``write`` on SQLite begins with ``BEGIN IMMEDIATE`` (the database's write lock), so
        a read-then-write block is atomic across processes, not just threads.
        """
        if self._closed:
            raise StoreError("the store is closed")
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(**{IMMEDIATE: True})
                with Session(bind=conn, expire_on_commit=False, autoflush=True) as s, s.begin():
                    yield s
        except SQLAlchemyError as exc:
            raise translate(exc, action, self._url_text) from exc

    def _insert(self, model: type[DeclarativeBase]) -> Any:
        """A dialect INSERT that supports ``on_conflict_do_nothing`` (PostgreSQL, SQLite)."""
        return postgresql.insert(model) if self.is_postgres else sqlite.insert(model)

    def _insert_ignore(self, s: Session, model: type[DeclarativeBase], **values: Any) -> bool:
        """INSERT unless the primary key exists; True when a row was added."""
        return bool(rowcount(s, self._insert(model).values(**values).on_conflict_do_nothing()))


def rowcount(s: Session, stmt: Executable) -> int:
    """Execute an INSERT/UPDATE/DELETE and return how many rows it touched."""
    result = cast(CursorResult[Any], s.execute(stmt))
    return int(result.rowcount)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)


def check_aware(*values: datetime | None) -> None:
    for v in values:
        if v is not None and (v.tzinfo is None or v.utcoffset() is None):
            raise ValueError("timestamps must be timezone-aware (UTC)")
