"""Fixtures shared by the unit tests of the pipeline's stateful half."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store import Store
from tests.adapters.conftest import FB_SECRETS, X_SECRETS
from tests.fakes import FakeFacebook, FakeX


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh, migrated SQLite ledger (the store's and scheduler's own tests define theirs)."""
    s = Store(f"sqlite:///{tmp_path / 'bot.db'}")
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def x() -> Iterator[FakeX]:
    """A fake X on loopback, accepting the test credentials."""
    with FakeX(**X_SECRETS) as fake:
        yield fake


@pytest.fixture
def fb() -> Iterator[FakeFacebook]:
    """A fake Facebook Graph API on loopback, accepting the test credentials."""
    with FakeFacebook(**FB_SECRETS) as fake:
        yield fake
