"""Permission and path problems told as configuration errors: the path, who we are, the fix.

A data directory owned by root on a bind mount, a secret file only its owner may read, an
arbitrary UID in group 0 (OpenShift) on a volume made for another user: each is one
:class:`~bot.errors.ConfigError` line naming the path and a command that fixes it, e.g.

    data_dir /srv/bot: cannot write there as uid 10001 (gid 10001); fix: chown 10001 /srv/bot

never an ``internal error`` with a traceback.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from bot.errors import ConfigError

LEDGER_FILES = ("bot.db", "bot.db-wal", "bot.db-shm")
"""The SQLite ledger in ``data_dir`` and the files SQLite keeps beside it in WAL mode."""


def who() -> str:
    return f"uid {os.geteuid()} (gid {os.getegid()})"


def fix_for(path: Path, want: str) -> str:
    """A command that gives this process the ``want`` permissions (``r``, ``rw``, ``rwx``…)."""
    uid, gid = os.geteuid(), os.getegid()
    try:
        st = path.stat()
    except OSError:
        return f"chown {uid} {path}"
    if st.st_uid == uid:
        return f"chmod u+{want} {path}"
    if st.st_gid in {gid, *os.getgroups()}:
        return f"chmod g+{want} {path}, or chown {uid} {path}"
    if gid == 0:  # OpenShift: an arbitrary uid whose group is root
        return f"chgrp 0 {path} && chmod g+{want} {path}, or chown {uid} {path}"
    return f"chown {uid} {path}, or chgrp {gid} {path} && chmod g+{want} {path}"


def problem(what: str, path: Path, doing: str, want: str) -> str:
    """One line: ``what path: cannot doing as uid U (gid G); fix: …``."""
    if want != "r" and _read_only_fs(path):
        return (f"{what} {path}: cannot {doing}: it is on a read-only file system; "
                "mount a writable volume there")
    return f"{what} {path}: cannot {doing} as {who()}; fix: {fix_for(path, want)}"


def from_os_error(exc: OSError, what: str, doing: str = "use it") -> ConfigError:
    """A ConfigError for an OSError about a path (permission, not a folder, …)."""
    path = Path(exc.filename) if exc.filename else None
    if path is None:
        return ConfigError(f"{what}: cannot {doing}: {exc.strerror or exc}")
    if exc.errno in (errno.EACCES, errno.EPERM):
        want = "rwx" if path.is_dir() else ("rw" if doing.startswith("write") else "r")
        return ConfigError(problem(what, path, doing, want))
    if exc.errno == errno.EROFS:
        return ConfigError(f"{what} {path}: cannot {doing}: it is on a read-only file system; "
                           "mount a writable volume there")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return ConfigError(f"{what} {path}: a file is in the way where a folder is expected; "
                           "move it or point the setting elsewhere")
    return ConfigError(f"{what} {path}: cannot {doing}: {exc.strerror or exc}")


def ensure_writable_dir(path: Path, what: str) -> None:
    """Create ``path`` if needed and check that we may create and change files in it
    (and in the ledger files already there); ConfigError naming the fix otherwise."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise ConfigError(f"{what} {path}: is a file, not a folder; move it or point "
                          f"{what} elsewhere") from None
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise from_os_error(exc, what, "create the folder") from None
        parent = _existing_ancestor(path)
        if _read_only_fs(parent):
            raise ConfigError(problem(what, path, "create it", "rwx")) from None
        raise ConfigError(f"{what} {path}: cannot create it: {parent} is not writable by "
                          f"{who()}; fix: {fix_for(parent, 'rwx')}") from None
    if not path.is_dir():
        raise ConfigError(f"{what} {path}: is a file, not a folder; move it or point "
                          f"{what} elsewhere")
    if not _can(path, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(problem(what, path, "write there", "rwx"))
    for name in LEDGER_FILES:
        f = path / name
        if f.exists() and not _can(f, os.R_OK | os.W_OK):
            raise ConfigError(problem(what, f, "write the ledger", "rw"))


def unreadable(paths: Iterable[Path], what: str) -> list[str]:
    """One problem line per path we may not read (folders: list and enter)."""
    out = []
    for p in paths:
        mode = os.R_OK | os.X_OK if p.is_dir() else os.R_OK
        if not _can(p, mode):
            out.append(problem(what, p, "read it", "rx" if p.is_dir() else "r"))
    return out


def _can(path: Path, mode: int) -> bool:
    try:
        return os.access(path, mode, effective_ids=os.access in os.supports_effective_ids)
    except OSError:
        return False


def _existing_ancestor(path: Path) -> Path:
    p = path.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(_existing_ancestor(path)).f_flag & os.ST_RDONLY)
    except OSError:
        return False

