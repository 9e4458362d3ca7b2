"""Claiming deliveries: at most one sender per delivery, spacing and daily caps per account.

Every claim is one transaction. On PostgreSQL the account's ``account_state`` row is locked
(``SELECT ... FOR UPDATE``) so claimers of one account queue up, and the delivery is picked
with ``FOR UPDATE SKIP LOCKED``. On SQLite the transaction starts with ``BEGIN IMMEDIATE``,
which serialises it against every other writer in every process.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from bot.store.base import check_aware, rowcount, seconds
from bot.store.history import HistoryMixin
from bot.store.rows import DeliveryRow
from bot.store.schema import CAP_STATUSES, DUE_STATUSES, AccountState, Delivery, DeliveryStatus

S = DeliveryStatus
_DUE = [x.value for x in DUE_STATUSES]
_CAP = [x.value for x in CAP_STATUSES]
_NEVER_TRIED = case((or_(Delivery.attempts > 0, Delivery.last_error.is_not(None)), 0), else_=1)
"""Sort key: 0 for a delivery tried before (``bot retry`` resets attempts, not the error)."""


def cap_count_query(account: str, since: datetime) -> Any:
    """SELECT how many posts of ``account`` count against its daily cap since ``since``: sent,
    in flight or handed to a human (by when they were sent, else claimed)."""
    return select(func.count()).select_from(Delivery).where(
        Delivery.account == account,
        Delivery.status.in_(_CAP),
        func.coalesce(Delivery.sent_at, Delivery.claimed_at) >= since,
    )


class ClaimsMixin(HistoryMixin):
    def _account_locked(self, s: Session, account: str) -> AccountState:
        self._insert_ignore(s, AccountState, account=account, paused=False)
        return s.scalars(
            select(AccountState).where(AccountState.account == account).with_for_update()
        ).one()

    def _claim(self, s: Session, d: Delivery, owner: str, now: datetime,
               lease_seconds: float) -> None:
        d.status = S.SENDING.value
        d.owner = owner
        d.lease_expires_at = now + seconds(lease_seconds)
        d.attempts = (d.attempts or 0) + 1
        d.claimed_at = now
        d.updated_at = now
        self._record(s, d, "claimed", now, actor=owner, attempt=d.attempts)

    def claim_next(
        self, account: str, *, owner: str, now: datetime, lease_seconds: float,
        min_spacing_seconds: float = 0, daily_cap: int | None = None,
        day_start: datetime | None = None,
    ) -> DeliveryRow | None:
        """Claim the account's most overdue delivery, or None.

        A delivery tried before (it may already be online) keeps its place: when due again it
        goes before deliveries never tried, however long the backlog behind it, so the
        look-up before its resend reads few posts (and a backlog cannot hide it).

        None when the account is paused, when its last claim is less than
        ``min_spacing_seconds`` ago, when ``daily_cap`` posts were already sent, in flight
        or handed to a human since ``day_start`` (default: the last 24 hours), or when
        nothing is due. The claim sets status ``sending``, the owner and a lease.
        """
        check_aware(now, day_start)
        with self._session(f"claim a delivery for {account!r}") as s:
            st = self._account_locked(s, account)
            if st.paused:
                if st.paused_until is None or st.paused_until > now:
                    return None
                st.paused, st.paused_reason, st.paused_until = False, None, None  # pause over
            if (min_spacing_seconds > 0 and st.last_claim_at is not None
                    and st.last_claim_at + seconds(min_spacing_seconds) > now):
                return None
            if daily_cap is not None:
                start = day_start if day_start is not None else now - timedelta(days=1)
                used = s.execute(cap_count_query(account, start)).scalar_one()
                if used >= daily_cap:
                    return None
            d = s.scalars(
                select(Delivery)
                .where(Delivery.account == account, Delivery.status.in_(_DUE),
                       Delivery.next_attempt_at <= now)
                .order_by(_NEVER_TRIED, Delivery.next_attempt_at, Delivery.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            ).first()
            if d is None:
                return None
            self._claim(s, d, owner, now, lease_seconds)
            st.last_claim_at = now
            s.flush()
            return DeliveryRow.of(d)

    def claim_specific(
        self, delivery_id: int, *, owner: str, now: datetime, lease_seconds: float
    ) -> DeliveryRow | None:
        """Claim one delivery now (``bot post``), whatever its schedule.

        Only pending, scheduled or failed deliveries can be claimed: None for one that is
        sent, in flight (even with an expired lease: reconcile it with ``take_over_stale``),
        awaiting a human, uncertain, dead or skipped (``retry`` it first), or missing.
        """
        check_aware(now)
        with self._session(f"claim delivery {delivery_id}") as s:
            d = s.get(Delivery, delivery_id, with_for_update=True)
            if d is None or d.status not in _DUE:
                return None
            return self._claim_by_hand(s, d, owner, now, lease_seconds)

    def _claim_by_hand(self, s: Session, d: Delivery, owner: str, now: datetime,
                       lease_seconds: float) -> DeliveryRow:
        """Claim ``d`` (locked, due) outside the dispatcher's turn; the account's last claim
        time moves, so its spacing counts from this post."""
        self._claim(s, d, owner, now, lease_seconds)
        self._insert_ignore(s, AccountState, account=d.account, paused=False)
        s.execute(update(AccountState).where(AccountState.account == d.account)
                  .values(last_claim_at=now).execution_options(synchronize_session=False))
        s.flush()
        return DeliveryRow.of(d)

    def stale_sending(self, *, now: datetime, account: str | None = None) -> list[DeliveryRow]:
        """Deliveries left ``sending`` by a sender whose lease ran out (crashed, most likely)."""
        check_aware(now)
        q = (select(Delivery)
             .where(Delivery.status == S.SENDING.value,
                    or_(Delivery.lease_expires_at.is_(None), Delivery.lease_expires_at <= now))
             .order_by(Delivery.lease_expires_at, Delivery.id))
        if account is not None:
            q = q.where(Delivery.account == account)
        with self._session("list stale deliveries", write=False) as s:
            return [DeliveryRow.of(r) for r in s.scalars(q)]

    def take_over_stale(
        self, delivery_id: int, *, owner: str, now: datetime, lease_seconds: float
    ) -> DeliveryRow | None:
        """Re-own a stale ``sending`` row to reconcile it; None if it is not stale any more
        (someone else took it over, or it was settled). Attempts are not counted again."""
        check_aware(now)
        with self._session(f"take over delivery {delivery_id}") as s:
            stmt: Any = (
                update(Delivery)
                .where(Delivery.id == delivery_id, Delivery.status == S.SENDING.value,
                       or_(Delivery.lease_expires_at.is_(None),
                           Delivery.lease_expires_at <= now))
                .values(owner=owner, lease_expires_at=now + seconds(lease_seconds),
                        updated_at=now, version=Delivery.version + 1)
                .execution_options(synchronize_session=False)
            )
            if not rowcount(s, stmt):
                return None
            d = s.get_one(Delivery, delivery_id)
            self._record(s, d, "taken_over", now, actor=owner)
            return DeliveryRow.of(d)
