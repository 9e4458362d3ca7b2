"""A delivery's history: one event per change, written in the change's own transaction.

``history(id)`` reads it back oldest first. Kinds: ``queued``, ``previewed``, ``claimed``,
``sent``, ``handed_off``, ``done_by_hand``, ``failed``, ``dead``, ``uncertain``, ``released``,
``taken_over``, ``skipped``, ``retried``, ``forced`` (posted again on purpose: the earlier
remote id and URL are kept in the event), ``migrated``, ``over_budget``,
``budget_released``, and the editor's ``approved``, ``edited`` (the old text kept as
``old_text``), ``rescheduled`` (``earlier`` and ``at``) and ``review_timeout`` (``action``:
hold or approve). ``actor`` says who: a process's owner name or a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.base import StoreBase
from bot.store.schema import Delivery, DeliveryEvent


@dataclass(frozen=True, slots=True)
class DeliveryEventRow:
    delivery_id: int
    at: datetime
    kind: str
    status: str
    actor: str | None
    detail: dict[str, Any]


class HistoryMixin(StoreBase):
    @staticmethod
    def _record(s: Session, d: Delivery, kind: str, now: datetime, *,
                actor: str | None = None, **detail: Any) -> None:
        """Add one event for ``d`` (after its change) to the open transaction."""
        clean = {k: v.isoformat() if isinstance(v, datetime) else v
                 for k, v in detail.items() if v is not None}
        s.add(DeliveryEvent(delivery_id=d.id, at=now, kind=kind, status=d.status,
                            actor=actor, detail=clean))

    def history(self, delivery_id: int) -> list[DeliveryEventRow]:
        """Every event of one delivery, oldest first."""
        q = (select(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
             .order_by(DeliveryEvent.at, DeliveryEvent.id))
        with self._session("read a delivery's history", write=False) as s:
            return [DeliveryEventRow(delivery_id=e.delivery_id, at=e.at, kind=e.kind,
                                     status=e.status, actor=e.actor, detail=dict(e.detail or {}))
                    for e in s.scalars(q)]

    def first_claim_at(self, delivery_id: int) -> datetime | None:
        """When the delivery was first claimed since it was queued or last forced (posted
        again on purpose): the earliest moment a post of it can have reached the platform.
        None when it never was, or when its history is older than the history itself (no
        ``queued`` event): then only its creation time is safe."""
        first: datetime | None = None
        queued = False
        for event in self.history(delivery_id):
            if event.kind == "queued":
                queued = True
            elif event.kind == "forced":
                first = None
            elif event.kind == "claimed" and first is None:
                first = event.at
        return first if queued else None
