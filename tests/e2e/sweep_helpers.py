"""Helpers for the bad-input sweep: corpus files, fresh ledgers, independent length checks."""

from __future__ import annotations

import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.store import Store

with warnings.catch_warnings():  # twitter-text-parser 3.0 still imports pkg_resources
    warnings.simplefilter("ignore")
    import twitter_text

HANG_BOUND = 60.0
"""Seconds after which one call counts as hung. A guard against hangs, not a speed target."""

LIMITS = {"twitter": 280, "facebook": 63206, "youtube": 1000}
"""The platforms' published limits (twitter-text v3 weighted for X, characters elsewhere)."""

_HEADER = re.compile(r"^Header:\s*([A-Za-z][A-Za-z0-9-]*):\s*(.*?)\s*$", re.M)


def fits(platform: str, text: str) -> bool:
    """Measured with twitter-text itself for X, not with the bot's own counter."""
    if platform == "twitter":
        return bool(twitter_text.parse_tweet(text).weightedLength <= LIMITS["twitter"])
    return len(text) <= LIMITS[platform]


def one_line(text: str | None) -> bool:
    return bool(text and text.strip()) and "\n" not in str(text) and "Traceback" not in str(text)


def corpus_files(folder: Path) -> list[Path]:
    """Every feed document under ``folder`` (not the corpus' own notes and licences)."""
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in (".xml", ".json"))


def served_headers(body: bytes) -> tuple[str | None, dict[str, str]]:
    """(content type, other headers) a feedparser test file asks to be served with.

    feedparser's own suite reads ``Header: Name: value`` lines in the file's first comment
    and sends them; files without one get ``application/xml``.
    """
    head = body[:2048].decode("latin-1")
    end = head.find("-->")
    ctype: str | None = "application/xml"
    headers: dict[str, str] = {}
    for name, value in _HEADER.findall(head[: end if end >= 0 else 0]):
        if name.lower() == "content-type":
            ctype = value or None
        elif value:
            headers[name] = value
    return ctype, headers


@dataclass
class Tally:
    """Per-folder counts, printed by the sweep (see the test's docstring)."""

    files: int = 0
    ok: int = 0
    error: int = 0
    items: int = 0
    deliveries: int = 0
    dead: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    def line(self, name: str) -> str:
        return (f"{name}: {self.files} files, {self.ok} ok, {self.error} feed errors, "
                f"{self.items} items, {self.deliveries} deliveries rendered, "
                f"{self.dead} dead deliveries")


class LedgerFactory:
    """A fresh, migrated SQLite ledger per case, copied from one migrated template file.

    Files live on /dev/shm when it exists (the sweep commits thousands of small
    transactions; fsync on a shared disk would dominate), else in the given folder.
    """

    def __init__(self, fallback: Path) -> None:
        shm = Path("/dev/shm")
        base = shm if shm.is_dir() and _writable(shm) else fallback
        self.root = Path(tempfile.mkdtemp(prefix="pubbot-sweep-", dir=base))
        self.template = self.root / "template.db"
        store = Store(f"sqlite:///{self.template}")
        store.upgrade()
        store.close()
        self._n = 0

    def fresh(self) -> Store:
        self._n += 1
        target = self.root / "case.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.template, target)
        return Store(f"sqlite:///{target}")

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _writable(path: Path) -> bool:
    try:
        with tempfile.TemporaryFile(dir=path):
            return True
    except OSError:
        return False


@contextmanager
def guarded() -> Iterator[Any]:
    """A one-thread pool: ``call(fn, label)`` runs ``fn`` and fails the test if it hangs."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="sweep")

    def call(fn: Any, label: str, bound: float = HANG_BOUND) -> Any:
        fut = pool.submit(fn)
        try:
            return fut.result(timeout=bound)
        except FutureTimeout:
            raise AssertionError(f"{label}: still running after {bound:g} s (a hang)") from None

    try:
        yield call
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
