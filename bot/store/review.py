"""The editor's decisions on a delivery: approve, edit, reschedule — each a compare-and-set.

Every decision names the ``version`` the editor saw (``DeliveryRow.version``, bumped by every
change of the row). The row is locked (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite) and the decision refused with :class:`~bot.errors.Conflict` when the version moved —
another editor decided first, or a dispatcher claimed it — and whenever the row is being
sent. So an editor's decision and a dispatcher's claim never both win: the claim bumps the
version, and the decision bumps it for the claim's next look.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, select
from sqlalchemy.orm import Session

from bot.errors import Conflict, Refused
from bot.store.base import check_aware
from bot.store.history import HistoryMixin
from bot.store.rows import DeliveryRow
from bot.store.schema import DUE_STATUSES, Delivery, DeliveryEvent, DeliveryStatus

S = DeliveryStatus
EDITABLE = (S.AWAITING_REVIEW, S.PENDING, S.SCHEDULED, S.FAILED, S.PREVIEWED, S.OVER_BUDGET)
"""Statuses whose text an editor may change (never one being sent or already out)."""
RESCHEDULABLE = (S.AWAITING_REVIEW, S.PENDING, S.SCHEDULED, S.FAILED, S.OVER_BUDGET)
QUEUED = (S.AWAITING_REVIEW, *DUE_STATUSES, S.OVER_BUDGET)
"""What the desk's queue shows: waiting for an editor, then everything still to be sent."""


@dataclass(frozen=True, slots=True)
class QueueRow:
    """A delivery as the desk's queue lists it: the row's own fields, and what the card
    shows read from its payload by the database (no JSON parsed per row here)."""

    id: int
    article_id: str
    account: str
    platform: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    text: str
    link: str | None
    version: int
    last_error: str | None
    remote_url: str | None
    title: str | None
    image: str | None
    description: str | None
    length: int | None
    """The post's length as rendering (or the last edit) measured it."""


def compare_version(d: Delivery, version: int | None, action: str) -> None:
    """Refuse (Conflict) a decision on a row being sent, or one that changed since the
    editor read it at ``version`` (None: the caller did not say, only the sending check)."""
    if d.status == S.SENDING:
        raise Conflict(f"delivery {d.id} is being sent right now; it can no longer be {action}")
    if version is not None and d.version != version:
        raise Conflict(
            f"delivery {d.id} changed since you read it (version {version}, now {d.version}, "
            f"{d.status}); read it again and decide again")


class ReviewMixin(HistoryMixin):
    def _for_editor(self, s: Session, delivery_id: int, version: int | None, action: str,
                    allowed: Collection[DeliveryStatus]) -> Delivery:
        d = s.get(Delivery, delivery_id, with_for_update=True)
        if d is None:
            raise Refused(f"no delivery with id {delivery_id}")
        compare_version(d, version, action)
        if d.status not in allowed:
            raise Refused(f"delivery {delivery_id} is {d.status}; it cannot be {action}")
        return d

    def approve(self, delivery_id: int, *, version: int | None, now: datetime,
                actor: str | None = None) -> DeliveryRow:
        """awaiting_review -> pending (scheduled when it was rescheduled to a later time):
        back on the normal due path, so window, spacing and caps still apply."""
        check_aware(now)
        with self._session(f"approve delivery {delivery_id}") as s:
            d = self._for_editor(s, delivery_id, version, "approved", (S.AWAITING_REVIEW,))
            self._release_for_sending(d, now)
            self._record(s, d, "approved", now, actor=actor)
            s.flush()
            return DeliveryRow.of(d)

    @staticmethod
    def _release_for_sending(d: Delivery, now: datetime) -> None:
        later = d.next_attempt_at > now
        d.status = (S.SCHEDULED if later else S.PENDING).value
        d.updated_at = now

    def edit(self, delivery_id: int, *, version: int | None, text: str,
             payload: dict[str, Any], now: datetime, actor: str | None = None) -> DeliveryRow:
        """Replace the post's text (and the payload that carries it); the status stays.
        The old text is kept in the ``edited`` event."""
        check_aware(now)
        with self._session(f"edit delivery {delivery_id}") as s:
            d = self._for_editor(s, delivery_id, version, "edited", EDITABLE)
            old = d.text
            d.text, d.payload, d.updated_at = text, payload, now
            self._record(s, d, "edited", now, actor=actor, old_text=old)
            s.flush()
            return DeliveryRow.of(d)

    def reschedule(self, delivery_id: int, *, version: int | None, at: datetime,
                   now: datetime, actor: str | None = None) -> DeliveryRow:
        """Send it no earlier than ``at`` (still inside the account's window, spacing and
        cap). A delivery awaiting review keeps waiting for its approval."""
        check_aware(now, at)
        with self._session(f"reschedule delivery {delivery_id}") as s:
            d = self._for_editor(s, delivery_id, version, "rescheduled", RESCHEDULABLE)
            earlier = d.next_attempt_at
            d.next_attempt_at, d.updated_at = at, now
            if d.status == S.FAILED:
                d.status = S.SCHEDULED.value
            self._record(s, d, "rescheduled", now, actor=actor, earlier=earlier, at=at)
            s.flush()
            return DeliveryRow.of(d)

    def review_timed_out(self, delivery_id: int, *, approve: bool, now: datetime,
                         actor: str = "review-timeout") -> bool:
        """A delivery waited longer than its review timeout: approve it, or keep holding it
        (recorded once either way). False when it is no longer awaiting review."""
        check_aware(now)
        with self._session(f"time out the review of delivery {delivery_id}") as s:
            d = s.get(Delivery, delivery_id, with_for_update=True)
            if d is None or d.status != S.AWAITING_REVIEW:
                return False
            if approve:
                self._release_for_sending(d, now)
            self._record(s, d, "review_timeout", now, actor=actor,
                         action="approve" if approve else "hold")
            return True

    # -- reports ---------------------------------------------------------------------------
    def awaiting_review(self, *, created_before: datetime, unflagged: bool = True
                        ) -> list[DeliveryRow]:
        """Deliveries awaiting review since ``created_before`` or earlier; ``unflagged``:
        only those whose review has not timed out yet (no ``review_timeout`` event)."""
        check_aware(created_before)
        q = (select(Delivery)
             .where(Delivery.status == S.AWAITING_REVIEW.value,
                    Delivery.created_at <= created_before)
             .order_by(Delivery.created_at, Delivery.id))
        if unflagged:
            q = q.where(~exists().where(DeliveryEvent.delivery_id == Delivery.id,
                                        DeliveryEvent.kind == "review_timeout"))
        with self._session("list deliveries awaiting review", write=False) as s:
            return [DeliveryRow.of(r) for r in s.scalars(q)]

    def queue(self, *, account: str | None = None, limit: int = 1000) -> list[QueueRow]:
        """What the desk shows: deliveries awaiting review first (oldest first), then
        everything still to be sent, soonest first."""
        d, post, art = Delivery, Delivery.payload["post"], Delivery.payload["article"]
        waiting = case((d.status == S.AWAITING_REVIEW.value, 0), else_=1)
        q = (select(d.id, d.article_id, d.account, d.platform, d.status, d.attempts,
                    d.next_attempt_at, d.text, d.link, d.version, d.last_error, d.remote_url,
                    art["title"].as_string(), art["image"].as_string(),
                    art["description"].as_string(), post["length"].as_integer())
             .where(d.status.in_([x.value for x in QUEUED]))
             .order_by(waiting, d.next_attempt_at, d.id)
             .limit(limit))
        if account is not None:
            q = q.where(d.account == account)
        with self._session("list the queue", write=False) as s:
            return [QueueRow(r[0], r[1], r[2], r[3], S(r[4]), r[5] or 0, r[6], r[7], r[8], r[9],
                             r[10], r[11], r[12], r[13], r[14], r[15]) for r in s.execute(q)]

    def sent_recently(self, *, limit: int = 100, account: str | None = None
                      ) -> list[DeliveryRow]:
        """Sent (and handed-off) deliveries, the latest first: the desk's history page."""
        q = (select(Delivery)
             .where(Delivery.status.in_([S.SENT.value, S.AWAITING_HUMAN.value]))
             .order_by(Delivery.updated_at.desc(), Delivery.id.desc())
             .limit(limit))
        if account is not None:
            q = q.where(Delivery.account == account)
        with self._session("list sent deliveries", write=False) as s:
            return [DeliveryRow.of(r) for r in s.scalars(q)]
