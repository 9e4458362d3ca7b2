"""The ledger that makes "never twice, never lost" true: :class:`Store`, and how to open it."""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING

from bot.store.accounts import AccountsMixin
from bot.store.claims import ClaimsMixin
from bot.store.deliveries import DeliveriesMixin
from bot.store.feeds import FeedsMixin
from bot.store.waiting import WaitingMixin

if TYPE_CHECKING:
    from bot.config import Settings


class Store(FeedsMixin, WaitingMixin, DeliveriesMixin, ClaimsMixin, AccountsMixin):
    """The durable ledger on SQLite (one daemon) or PostgreSQL (several replicas).

    ``Store(url)`` takes a SQLAlchemy URL (``sqlite:////abs/path/bot.db``,
    ``postgresql+psycopg://user:pass@host/db`` or plain ``postgresql://``). Call
    :meth:`upgrade` once at start-up. Every method runs its own short transaction and
    returns frozen row snapshots; every database failure is a :class:`~bot.errors.StoreError`.
    All timestamps are timezone-aware UTC (naive ones are refused with ValueError).
    """

    def __enter__(self) -> Store:
        return self


def open_store(settings: Settings) -> Store:
    """Open the ledger of ``settings`` (creating the data directory for the default SQLite
    file) and bring its schema up to date."""
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url)
    store.upgrade()
    return store


def make_owner() -> str:
    """A name for this process in leases and locks: ``host:pid:random``, unique per call."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
