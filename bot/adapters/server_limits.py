"""Limits a server told us about itself, cached in ``<data_dir>/server-limits.json``.

A Mastodon server sets its own post length (``configuration.statuses.max_characters``,
500 by default) and what a URL counts (``characters_reserved_per_url``, 23). The adapter
reads them from ``GET /api/v2/instance`` when it checks the account and, at most once a day,
before it posts; rendering reads this file (no network at render time). The file maps each
server's address to its limits and when they were read; it is rewritten atomically and
read again only when it changed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

log = logging.getLogger(__name__)

FILENAME = "server-limits.json"
MAX_AGE_SECONDS = 24 * 3600.0
"""Limits older than this are read again before the next post."""

_lock = threading.Lock()
_memo: dict[Path, tuple[float, dict[str, ServerLimits]]] = {}


@dataclass(frozen=True)
class ServerLimits:
    max_characters: int
    url_weight: int
    fetched_at: float

    def fresh(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) - self.fetched_at < MAX_AGE_SECONDS


def cache_path(data_dir: Path) -> Path:
    return Path(data_dir) / FILENAME


def read_all(data_dir: Path) -> dict[str, ServerLimits]:
    """Every cached server's limits ({} when there is no usable file)."""
    path = cache_path(data_dir)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return {}
    with _lock:
        hit = _memo.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    table = _parse(path)
    with _lock:
        _memo[path] = (mtime, table)
    return table


def read(data_dir: Path, server: str) -> ServerLimits | None:
    return read_all(data_dir).get(server.rstrip("/"))


def write(data_dir: Path, server: str, limits: ServerLimits) -> None:
    """Record ``server``'s limits (other servers' entries are kept)."""
    path = cache_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock:
        table = {k: asdict(v) for k, v in _parse(path).items()}
        table[server.rstrip("/")] = asdict(limits)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".server-limits.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(table, fh, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        _memo.pop(path, None)


def _parse(path: Path) -> dict[str, ServerLimits]:
    """The file's table; {} (and a warning) when it is missing parts or not JSON."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {str(k): ServerLimits(int(v["max_characters"]), int(v["url_weight"]),
                                     float(v["fetched_at"])) for k, v in raw.items()}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("ignoring %s: %s", path, type(exc).__name__)
        return {}
