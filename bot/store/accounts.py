"""Per-account state (pause, verification) and the single-daemon lock for SQLite."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.errors import LockLost, StoreError
from bot.store.base import StoreBase, check_aware, rowcount, seconds
from bot.store.rows import AccountStateRow
from bot.store.schema import AccountState, DaemonLock

LOCK_ID = 1
log = logging.getLogger(__name__)


class AccountsMixin(StoreBase):
    def _set_account(self, action: str, account: str, **values: Any) -> None:
        with self._session(action) as s:
            self._insert_ignore(s, AccountState, account=account, paused=False)
            s.execute(update(AccountState).where(AccountState.account == account)
                      .values(**values).execution_options(synchronize_session=False))

    def pause_account(
        self, account: str, *, reason: str, until: datetime | None, now: datetime
    ) -> None:
        """Stop claiming for ``account`` until ``until`` (None: until resumed)."""
        check_aware(now, until)
        self._set_account(f"pause account {account!r}", account,
                          paused=True, paused_reason=reason, paused_until=until)

    def resume_account(self, account: str) -> None:
        self._set_account(f"resume account {account!r}", account,
                          paused=False, paused_reason=None, paused_until=None)

    def record_verification(
        self, account: str, *, identity: str, expires_at: datetime | None, now: datetime
    ) -> None:
        """The platform confirmed who we post as (and when the token expires, if known)."""
        check_aware(now, expires_at)
        self._set_account(f"record the verification of {account!r}", account,
                          identity=identity, token_expires_at=expires_at, last_verified_at=now)

    def account_states(self) -> dict[str, AccountStateRow]:
        with self._session("read account states", write=False) as s:
            return {r.account: AccountStateRow.of(r) for r in s.scalars(select(AccountState))}

    def get_account_state(self, account: str) -> AccountStateRow | None:
        with self._session("read an account state", write=False) as s:
            r = s.get(AccountState, account)
            return AccountStateRow.of(r) if r else None

    # -- one daemon per SQLite database ----------------------------------------------------
    def acquire_daemon_lock(self, owner: str, *, now: datetime, stale_after: float = 60) -> None:
        """Refuse to start a second daemon on one SQLite file (no-op on PostgreSQL, where
        replicas share the work through row locks).

        The lock is taken over when its holder is gone: its heartbeat is older than
        ``stale_after`` seconds, or it was taken on this host by a process that no longer
        exists - including one that had *our* pid (a restarted container gets the same pid
        on the same host name) and that this process never owned - so that a restart after
        ``kill -9`` need not wait for the heartbeat to age."""
        if self.is_postgres:
            return
        check_aware(now)
        with self._session("take the daemon lock") as s:
            lock = s.get(DaemonLock, LOCK_ID)
            if lock is None:
                s.add(DaemonLock(id=LOCK_ID, owner=owner, pid=os.getpid(),
                                 host=socket.gethostname(), acquired_at=now, heartbeat_at=now))
            elif lock.owner == owner:
                lock.pid, lock.host, lock.heartbeat_at = os.getpid(), socket.gethostname(), now
            else:
                gone = _holder_gone(self._lock_key, lock.owner, lock.host, lock.pid)
                if lock.heartbeat_at + seconds(stale_after) > now and not gone:
                    since = lock.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                    raise StoreError(
                        f"another bot daemon is running on this database (pid {lock.pid} on "
                        f"{lock.host}, since {since}); stop it or use PostgreSQL for several "
                        "replicas"
                    )
                log.warning("taking over the daemon lock of pid %s on %s (%s)", lock.pid,
                            lock.host, gone or f"no heartbeat for {stale_after:.0f} s")
                lock.owner, lock.acquired_at = owner, now
                lock.pid, lock.host, lock.heartbeat_at = os.getpid(), socket.gethostname(), now
        _held(self._lock_key, owner, True)

    @property
    def _lock_key(self) -> str:
        """Which database a lock is on, the same for every Store of this process on it."""
        return os.path.realpath(self._url.database or ":memory:")

    def heartbeat_daemon_lock(self, owner: str, *, now: datetime) -> None:
        """Keep the lock fresh; StoreError if another daemon has taken it."""
        if self.is_postgres:
            return
        check_aware(now)
        with self._session("refresh the daemon lock") as s:
            stmt: Any = (update(DaemonLock)
                         .where(DaemonLock.id == LOCK_ID, DaemonLock.owner == owner)
                         .values(heartbeat_at=now)
                         .execution_options(synchronize_session=False))
            if not rowcount(s, stmt):
                _held(self._lock_key, owner, False)
                raise LockLost("lost the daemon lock: another bot daemon took over this database")

    def release_daemon_lock(self, owner: str) -> None:
        if self.is_postgres:
            return
        with self._session("release the daemon lock") as s:
            s.execute(delete(DaemonLock).where(DaemonLock.id == LOCK_ID,
                                               DaemonLock.owner == owner))
        _held(self._lock_key, owner, False)


_HELD: set[tuple[str, str]] = set()
"""(database, owner) of every daemon lock this process holds: several Daemon objects of
one process (tests, embedding) share its pid, so the pid alone cannot say whose a lock is."""
_HELD_GUARD = threading.Lock()


def _held(database: str, owner: str, held: bool) -> None:
    with _HELD_GUARD:
        if held:
            _HELD.add((database, owner))
        else:
            _HELD.discard((database, owner))


def _holder_gone(database: str, owner: str, host: str, pid: int) -> str | None:
    """Why the lock's holder is certainly gone, or None when it may still run.

    Only a lock taken on this host can be judged: a pid that no longer exists is gone, and
    so is a lock with our own pid that this process does not hold - a process that had
    this pid before us (the daemon of a container restarted after ``kill -9``)."""
    if host != socket.gethostname() or pid <= 0:
        return None
    if pid == os.getpid():
        with _HELD_GUARD:
            ours = (database, owner) in _HELD
        return None if ours else "left by an earlier process with our pid"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return "that process no longer exists"
    except OSError:  # exists, but not ours to signal
        return None
    return None
