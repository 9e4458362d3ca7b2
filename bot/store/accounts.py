"""Per-account state (pause, verification) and the single-daemon lock for SQLite."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from bot.errors import LockLost, StoreError
from bot.store.base import StoreBase, check_aware, rowcount, seconds
from bot.store.rows import AccountStateRow
from bot.store.schema import AccountState, DaemonLock

LOCK_ID = 1


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
        replicas share the work through row locks). A lock whose heartbeat is older than
        ``stale_after`` seconds belongs to a dead daemon and is taken over, and so is one
        taken on this host by a process that no longer exists, so that a restart after
        ``kill -9`` need not wait for the heartbeat to age."""
        if self.is_postgres:
            return
        check_aware(now)
        with self._session("take the daemon lock") as s:
            lock = s.get(DaemonLock, LOCK_ID)
            if lock is None:
                s.add(DaemonLock(id=LOCK_ID, owner=owner, pid=os.getpid(),
                                 host=socket.gethostname(), acquired_at=now, heartbeat_at=now))
                return
            if (lock.owner != owner and lock.heartbeat_at + seconds(stale_after) > now
                    and not _dead_here(lock.host, lock.pid)):
                since = lock.acquired_at.strftime("%Y-%m-%d %H:%M:%S UTC")
                raise StoreError(
                    f"another bot daemon is running on this database (pid {lock.pid} on "
                    f"{lock.host}, since {since}); stop it or use PostgreSQL for several replicas"
                )
            if lock.owner != owner:
                lock.owner, lock.acquired_at = owner, now
            lock.pid, lock.host, lock.heartbeat_at = os.getpid(), socket.gethostname(), now

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
                raise LockLost("lost the daemon lock: another bot daemon took over this database")

    def release_daemon_lock(self, owner: str) -> None:
        if self.is_postgres:
            return
        with self._session("release the daemon lock") as s:
            s.execute(delete(DaemonLock).where(DaemonLock.id == LOCK_ID,
                                               DaemonLock.owner == owner))


def _dead_here(host: str, pid: int) -> bool:
    """True when the lock was taken on this host by a process that no longer exists."""
    if host != socket.gethostname() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but not ours to signal
        return False
    return False
