"""What waits and why: previews waiting for a decision, the daily cap in use, earlier posts.

``bot status`` and the daemon read these to tell the truth about the queue: when an account
may post next (its cap in use), which dry-run previews wait for a human's decision once the
account is live, and the earlier remote URLs of deliveries posted again with ``--force``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.store.base import check_aware, rowcount
from bot.store.history import HistoryMixin
from bot.store.schema import CAP_STATUSES, Delivery, DeliveryEvent, DeliveryStatus

S = DeliveryStatus


def cap_count_query(account: str, since: datetime) -> Any:
    """SELECT how many posts of ``account`` count against its daily cap since ``since``: sent,
    in flight or handed to a human (by when they were sent, else claimed)."""
    return select(func.count()).select_from(Delivery).where(
        Delivery.account == account,
        Delivery.status.in_([x.value for x in CAP_STATUSES]),
        func.coalesce(Delivery.sent_at, Delivery.claimed_at) >= since,
    )


class WaitingMixin(HistoryMixin):
    def cap_used(self, account: str, *, since: datetime) -> int:
        """Posts of ``account`` that count against its daily cap since ``since``."""
        check_aware(since)
        with self._session("count the day's posts", write=False) as s:
            return int(s.execute(cap_count_query(account, since)).scalar_one())

    def expire_preview(self, delivery_id: int, *, now: datetime, reason: str,
                       actor: str | None = None) -> bool:
        """previewed -> skipped, only while it is still previewed (a human's `bot send` that
        got there first wins); True when it was skipped."""
        check_aware(now)
        with self._session(f"skip preview {delivery_id}") as s:
            stmt = (
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == S.PREVIEWED.value)
                .values(status=S.SKIPPED.value, updated_at=now, owner=None,
                        lease_expires_at=None, version=Delivery.version + 1)
                .execution_options(synchronize_session=False)
            )
            if not rowcount(s, stmt):
                return False
            self._record(s, s.get_one(Delivery, delivery_id), "skipped", now, actor=actor,
                         reason=reason)
            return True

    def earlier_urls(self, delivery_ids: Collection[int]) -> dict[int, list[str]]:
        """delivery id -> the remote URLs it had before each ``--force`` (oldest first)."""
        if not delivery_ids:
            return {}
        q = (select(DeliveryEvent.delivery_id, DeliveryEvent.detail)
             .where(DeliveryEvent.delivery_id.in_(list(delivery_ids)),
                    DeliveryEvent.kind == "forced")
             .order_by(DeliveryEvent.at, DeliveryEvent.id))
        out: dict[int, list[str]] = {}
        with self._session("read earlier posts", write=False) as s:
            for delivery_id, detail in s.execute(q):
                url = (detail or {}).get("earlier_remote_url")
                if url:
                    out.setdefault(delivery_id, []).append(str(url))
        return out
