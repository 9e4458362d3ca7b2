"""The ledger that makes "never twice, never lost" true: :class:`Store`."""

from __future__ import annotations

from bot.store.accounts import AccountsMixin
from bot.store.claims import ClaimsMixin
from bot.store.deliveries import DeliveriesMixin
from bot.store.feeds import FeedsMixin
from bot.store.spend import SpendMixin


class Store(FeedsMixin, SpendMixin, DeliveriesMixin, ClaimsMixin, AccountsMixin):
    """The durable ledger on SQLite (one daemon) or PostgreSQL (several replicas).

    ``Store(url)`` takes a SQLAlchemy URL (``sqlite:////abs/path/bot.db``,
    ``postgresql+psycopg://user:pass@host/db`` or plain ``postgresql://``). Call
    :meth:`upgrade` once at start-up. Every method runs its own short transaction and
    returns frozen row snapshots; every database failure is a :class:`~bot.errors.StoreError`.
    All timestamps are timezone-aware UTC (naive ones are refused with ValueError).
    """

    def __enter__(self) -> Store:
        return self
