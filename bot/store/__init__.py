"""The durable ledger: feeds, articles, deliveries and account state (SQLAlchemy + Alembic).

``Store(url)`` on SQLite (one daemon; WAL, ``BEGIN IMMEDIATE`` for writes) or PostgreSQL
(several replicas; row locks, ``SKIP LOCKED``). Call ``upgrade()`` at start-up. Every call
is one short transaction that returns frozen row snapshots (``DeliveryRow``, ``ArticleRow``,
``FeedStateRow``, ``AccountStateRow``) and turns any database failure into ``StoreError``.

Never twice: ``UNIQUE(article_id, account)`` makes ``add_delivery`` return None for a pair
already in the ledger, and ``claim_next``/``claim_specific`` hand a delivery to one owner
at a time (``mark_*`` with ``owner=`` refuse once that owner lost the lease). Never lost:
a sender that dies leaves its row ``sending``; ``stale_sending`` + ``take_over_stale`` let
another worker reconcile it (``mark_sent`` or ``mark_uncertain`` for a human).

``open_store(settings)`` opens the configured ledger and upgrades it; ``make_owner()`` names
this process in leases and locks; ``delivery_payload``/``post_of`` write and read the post a
delivery row keeps.
"""

from bot.store.costs import Cost, SpendTotal
from bot.store.history import DeliveryEventRow
from bot.store.payload import add_post_delivery, delivery_payload, post_of
from bot.store.rows import AccountStateRow, ArticleRow, DeliveryRow, FeedStateRow
from bot.store.schema import CAP_STATUSES, DUE_STATUSES, DeliveryStatus
from bot.store.store import Store, make_owner, open_store

__all__ = [
    "CAP_STATUSES",
    "DUE_STATUSES",
    "AccountStateRow",
    "ArticleRow",
    "Cost",
    "DeliveryEventRow",
    "DeliveryRow",
    "DeliveryStatus",
    "FeedStateRow",
    "SpendTotal",
    "Store",
    "add_post_delivery",
    "delivery_payload",
    "make_owner",
    "open_store",
    "post_of",
]
