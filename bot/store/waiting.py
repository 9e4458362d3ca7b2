"""What waits and why: previews waiting for a decision, the daily cap in use, earlier posts.

``bot status`` and the daemon read these to tell the truth about the queue: when an account
may post next (its cap in use), which dry-run previews wait for a human's decision once the
account is live, and the earlier remote URLs of deliveries posted again with ``--force``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from bot.store.base import check_aware, rowcount
from bot.store.claims import ClaimsMixin, cap_count_query
from bot.store.deliveries import DeliveriesMixin
from bot.store.rows import ArticleRow, DeliveryRow
from bot.store.schema import (
    DUE_STATUSES,
    ArticleRecord,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
)

S = DeliveryStatus


class WaitingMixin(DeliveriesMixin, ClaimsMixin):
    def reopen_and_claim(
        self, delivery_id: int, *, owner: str, now: datetime, lease_seconds: float,
        force: bool = False, text: str | None = None, payload: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> DeliveryRow | None:
        """Re-open a delivery (as :meth:`retry` does, StoreError when it cannot be) and claim
        it for ``owner`` in the same transaction, so no dispatcher takes it in between
        (``bot send``, ``bot post`` while a daemon runs). None when it is being sent."""
        check_aware(now)
        with self._session(f"re-open and claim delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, None, allow_sent=True)
            if d.status == S.SENDING:
                return None
            self._reopen(s, d, now, force=force, text=text, payload=payload, actor=actor)
            return self._claim_by_hand(s, d, owner, now, lease_seconds)

    def cap_used(self, account: str, *, since: datetime) -> int:
        """Posts of ``account`` that count against its daily cap since ``since``."""
        check_aware(since)
        with self._session("count the day's posts", write=False) as s:
            return int(s.execute(cap_count_query(account, since)).scalar_one())

    def expire_preview(self, delivery_id: int, *, now: datetime, reason: str,
                       actor: str | None = None) -> bool:
        """previewed -> skipped, only while it is still previewed (a human's `bot send` that
        got there first wins); True when it was skipped."""
        return self._move(delivery_id, (S.PREVIEWED,), S.SKIPPED, "skipped", now=now,
                          actor=actor, reason=reason)

    def hold_for_decision(self, delivery_id: int, *, now: datetime, reason: str,
                          actor: str | None = None) -> bool:
        """pending/scheduled/failed -> previewed without sending (queued while its account
        was in dry run, the account is live now), only while nobody claimed it; True when
        it was held."""
        return self._move(delivery_id, DUE_STATUSES, S.PREVIEWED, "previewed", now=now,
                          actor=actor, reason=reason)

    def _move(self, delivery_id: int, from_: Collection[DeliveryStatus], to: DeliveryStatus,
              kind: str, *, now: datetime, actor: str | None, reason: str) -> bool:
        """Compare-and-set: ``to`` only while the delivery is in one of ``from_``."""
        check_aware(now)
        with self._session(f"move delivery {delivery_id} to {to}") as s:
            stmt = (
                update(Delivery)
                .where(Delivery.id == delivery_id,
                       Delivery.status.in_([x.value for x in from_]))
                .values(status=to.value, updated_at=now, owner=None, lease_expires_at=None,
                        version=Delivery.version + 1)
                .execution_options(synchronize_session=False)
            )
            if not rowcount(s, stmt):
                return False
            self._record(s, s.get_one(Delivery, delivery_id), kind, now, actor=actor,
                         reason=reason)
            return True

    def get_articles(self, article_ids: Collection[str]) -> dict[str, ArticleRow]:
        """article id -> its row, for the ids in the ledger (one query)."""
        ids = list(dict.fromkeys(article_ids))
        out: dict[str, ArticleRow] = {}
        with self._session("read articles", write=False) as s:
            for start in range(0, len(ids), 500):  # bounded IN lists
                q = select(ArticleRecord).where(ArticleRecord.id.in_(ids[start:start + 500]))
                out.update((r.id, ArticleRow.of(r)) for r in s.scalars(q))
        return out

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
