"""What a post or a look-up cost (:class:`Cost`), totals (:class:`SpendTotal`), and the one
function that writes a ``spend`` row inside an open transaction (:func:`add_spend`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.schema import SpendRecord


@dataclass(frozen=True)
class Cost:
    """What one post (with its thread) or one look-up cost."""

    micro_usd: int
    units: int
    """Posts created (``post``) or posts read (``read``)."""
    kind: str = "post"
    once: bool = False
    """Record it only if the delivery has no post cost yet (a post found on the platform
    after a lost answer was paid for once, whichever attempt finds it)."""


@dataclass(frozen=True)
class SpendTotal:
    """One account's spend since a moment."""

    account: str
    micro_usd: int = 0
    posts: int = 0
    """Posts created."""
    reads: int = 0
    """Posts read by look-ups."""
    read_micro_usd: int = 0


def add_spend(s: Session, account: str, delivery_id: int | None, cost: Cost,
              now: datetime) -> None:
    """Add one spend row to the open transaction (``once``: unless one is there already)."""
    if cost.once and delivery_id is not None and s.execute(
            select(SpendRecord.id).where(SpendRecord.delivery_id == delivery_id,
                                         SpendRecord.kind == "post").limit(1)).first():
        return
    s.add(SpendRecord(account=account, delivery_id=delivery_id, at=now, kind=cost.kind,
                      units=cost.units, micro_usd=cost.micro_usd))
