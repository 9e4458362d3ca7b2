"""Fixtures shared by the unit tests of the pipeline's stateful half."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated SQLite ledger (the store's and scheduler's own tests define theirs)."""
    s = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.upgrade()
    yield s
    s.close()
