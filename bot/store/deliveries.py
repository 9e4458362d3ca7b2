"""Deliveries: one row per (article, account), and every way its status may change."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.errors import StoreError
from bot.store.base import check_aware
from bot.store.history import HistoryMixin
from bot.store.rows import DeliveryRow
from bot.store.schema import (
    DUE_STATUSES,
    AccountState,
    ArticleRecord,
    Delivery,
    DeliveryStatus,
)

S = DeliveryStatus
RETRYABLE = (S.FAILED, S.DEAD, S.UNCERTAIN, S.SKIPPED, S.PENDING, S.SCHEDULED, S.PREVIEWED)
FORCIBLE = (S.SENT, S.AWAITING_HUMAN)
SKIPPABLE = (S.PENDING, S.SCHEDULED, S.FAILED, S.DEAD, S.UNCERTAIN, S.AWAITING_HUMAN,
             S.PREVIEWED, S.AWAITING_REVIEW, S.OVER_BUDGET)


class DeliveriesMixin(HistoryMixin):
    def add_delivery(
        self, *, article_id: str, account: str, platform: str, text: str, link: str | None,
        payload: dict[str, Any], status: DeliveryStatus = DeliveryStatus.PENDING,
        next_attempt_at: datetime, now: datetime,
    ) -> DeliveryRow | None:
        """The new delivery, or None when (article_id, account) is already in the ledger.

        The UNIQUE constraint decides (INSERT ... ON CONFLICT DO NOTHING): no race between
        processes can make a second row.
        """
        check_aware(now, next_attempt_at)
        status = DeliveryStatus(status)
        with self._session("add a delivery") as s:
            if s.get(ArticleRecord, article_id) is None:
                raise StoreError(f"no article {article_id!r} in the ledger; add it first")
            stmt: Any = (
                self._insert(Delivery)
                .values(article_id=article_id, account=account, platform=platform,
                        status=status.value, attempts=0, next_attempt_at=next_attempt_at,
                        text=text, link=link, payload=payload, created_at=now, updated_at=now)
                .on_conflict_do_nothing(index_elements=["article_id", "account"])
                .returning(Delivery.id)
            )
            new_id = s.execute(stmt).scalar()
            if new_id is None:
                return None
            d = s.get_one(Delivery, new_id)
            self._record(s, d, "queued", now)
            return DeliveryRow.of(d)

    def get_delivery(self, delivery_id: int) -> DeliveryRow | None:
        with self._session("read a delivery", write=False) as s:
            r = s.get(Delivery, delivery_id)
            return DeliveryRow.of(r) if r else None

    def find_delivery(self, article_id: str, account: str) -> DeliveryRow | None:
        with self._session("look up a delivery", write=False) as s:
            r = s.scalars(select(Delivery).where(
                Delivery.article_id == article_id, Delivery.account == account)).first()
            return DeliveryRow.of(r) if r else None

    # -- outcomes --------------------------------------------------------------------------
    def _locked(self, s: Session, delivery_id: int, owner: str | None, *,
                allow_sent: bool = False) -> Delivery:
        """The row, locked; with ``owner``, only while that owner still holds the claim.

        A sent delivery never goes back (that would post it twice) unless ``allow_sent``.
        """
        d = s.get(Delivery, delivery_id, with_for_update=True)
        if d is None:
            raise StoreError(f"no delivery {delivery_id} in the ledger")
        if owner is not None and (d.owner != owner or d.status != S.SENDING):
            raise StoreError(
                f"lost the lease on delivery {delivery_id}: it is {d.status}"
                + (f", owned by {d.owner}" if d.owner else "")
            )
        if d.status == S.SENT and not allow_sent:
            raise StoreError(f"delivery {delivery_id} is already sent")
        return d

    @staticmethod
    def _settle(d: Delivery, status: DeliveryStatus, now: datetime) -> None:
        d.status = status.value
        d.owner = None
        d.lease_expires_at = None
        d.updated_at = now

    def _touch_account(self, s: Session, account: str, **values: Any) -> None:
        self._insert_ignore(s, AccountState, account=account, paused=False)
        s.execute(update(AccountState).where(AccountState.account == account).values(**values)
                  .execution_options(synchronize_session=False))

    def mark_sent(
        self, delivery_id: int, *, remote_id: str | None, remote_url: str | None,
        now: datetime, owner: str | None = None,
    ) -> None:
        check_aware(now)
        with self._session(f"mark delivery {delivery_id} sent") as s:
            d = self._locked(s, delivery_id, owner, allow_sent=True)
            first_sent = d.sent_at if d.status == S.SENT and d.sent_at else now
            self._settle(d, S.SENT, now)
            d.remote_id, d.remote_url, d.sent_at, d.last_error = (
                remote_id, remote_url, first_sent, None)
            self._touch_account(s, d.account, last_sent_at=now)
            self._record(s, d, "sent", now, actor=owner, remote_id=remote_id,
                         remote_url=remote_url)

    def mark_previewed(
        self, delivery_id: int, *, now: datetime, owner: str | None = None,
        reason: str | None = None,
    ) -> None:
        """A dry run rendered it and sent nothing: it stays in the ledger as ``previewed``
        (its text kept), never counts as sent and can still be sent for real. ``reason``
        (kept in its history) says why when it was held without a dry run."""
        check_aware(now)
        with self._session(f"mark delivery {delivery_id} previewed") as s:
            d = self._locked(s, delivery_id, owner)
            self._settle(d, S.PREVIEWED, now)
            d.last_error = None
            self._record(s, d, "previewed", now, actor=owner, reason=reason)

    def mark_awaiting_human(
        self, delivery_id: int, *, now: datetime, owner: str | None = None
    ) -> None:
        check_aware(now)
        with self._session(f"hand delivery {delivery_id} to a human") as s:
            d = self._locked(s, delivery_id, owner)
            self._settle(d, S.AWAITING_HUMAN, now)
            self._record(s, d, "handed_off", now, actor=owner)

    def mark_human_done(self, delivery_id: int, *, remote_url: str | None, now: datetime,
                        actor: str | None = None) -> None:
        """A human posted it: awaiting_human -> sent."""
        check_aware(now)
        with self._session(f"mark delivery {delivery_id} done") as s:
            d = self._locked(s, delivery_id, None, allow_sent=True)
            if d.status != S.AWAITING_HUMAN:
                raise StoreError(f"delivery {delivery_id} is {d.status}, not awaiting a human")
            self._settle(d, S.SENT, now)
            d.remote_url, d.sent_at = remote_url or d.remote_url, now
            self._touch_account(s, d.account, last_sent_at=now)
            self._record(s, d, "done_by_hand", now, actor=actor, remote_url=remote_url)

    def mark_retry(
        self, delivery_id: int, *, error: str, next_attempt_at: datetime, now: datetime,
        owner: str | None = None,
    ) -> None:
        """Failed for now: try again at ``next_attempt_at``."""
        check_aware(now, next_attempt_at)
        with self._session(f"schedule a retry of delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, owner)
            self._settle(d, S.FAILED, now)
            d.last_error, d.next_attempt_at = error, next_attempt_at
            self._record(s, d, "failed", now, actor=owner, error=error,
                         attempt=d.attempts, next_attempt_at=next_attempt_at)

    def mark_dead(
        self, delivery_id: int, *, error: str, now: datetime, owner: str | None = None
    ) -> None:
        check_aware(now)
        with self._session(f"give up delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, owner)
            self._settle(d, S.DEAD, now)
            d.last_error = error
            self._record(s, d, "dead", now, actor=owner, error=error, attempt=d.attempts)

    def mark_uncertain(
        self, delivery_id: int, *, error: str, now: datetime, owner: str | None = None
    ) -> None:
        check_aware(now)
        with self._session(f"mark delivery {delivery_id} uncertain") as s:
            d = self._locked(s, delivery_id, owner)
            self._settle(d, S.UNCERTAIN, now)
            d.last_error = error
            self._record(s, d, "uncertain", now, actor=owner, error=error, attempt=d.attempts)

    def release(
        self, delivery_id: int, *, next_attempt_at: datetime, now: datetime,
        owner: str | None = None, error: str | None = None,
    ) -> None:
        """Back to scheduled without counting the attempt (rate-limit wait, quiet hours)."""
        check_aware(now, next_attempt_at)
        with self._session(f"release delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, owner)
            if d.status == S.SENDING:
                d.attempts = max(0, (d.attempts or 0) - 1)
            self._settle(d, S.SCHEDULED, now)
            d.next_attempt_at = next_attempt_at
            if error is not None:
                d.last_error = error
            self._record(s, d, "released", now, actor=owner, error=error,
                         next_attempt_at=next_attempt_at)

    # -- human decisions -------------------------------------------------------------------
    def skip(self, delivery_id: int, *, now: datetime, actor: str | None = None) -> None:
        """Never send this one (allowed until it is sent or being sent)."""
        check_aware(now)
        with self._session(f"skip delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, None, allow_sent=True)
            if d.status == S.SKIPPED:
                return
            if d.status not in SKIPPABLE:
                raise StoreError(f"delivery {delivery_id} is {d.status}; it cannot be skipped")
            self._settle(d, S.SKIPPED, now)
            self._record(s, d, "skipped", now, actor=actor)

    def retry(
        self, delivery_id: int, *, now: datetime, force: bool = False, text: str | None = None,
        payload: dict[str, Any] | None = None, actor: str | None = None,
    ) -> None:
        """failed/dead/uncertain/skipped/previewed (or waiting) -> pending, due now, attempts
        reset.

        ``force`` also re-opens a sent or handed-off delivery, to post it again on purpose
        (``bot post --force``); its history keeps the earlier remote id and URL. A delivery
        being sent right now is never re-opened. ``text``/``payload`` replace the stored post
        (re-rendered) when given.
        """
        check_aware(now)
        with self._session(f"retry delivery {delivery_id}") as s:
            d = self._locked(s, delivery_id, None, allow_sent=True)
            self._reopen(s, d, now, force=force, text=text, payload=payload, actor=actor)

    def _reopen(self, s: Session, d: Delivery, now: datetime, *, force: bool,
                text: str | None, payload: dict[str, Any] | None, actor: str | None) -> None:
        """The body of :meth:`retry`, on a locked row in an open transaction."""
        if d.status not in RETRYABLE and not (force and d.status in FORCIBLE):
            hint = "; force it to post again" if d.status in FORCIBLE else ""
            raise StoreError(
                f"delivery {d.id} is {d.status}; only failed, dead, uncertain, "
                f"previewed or skipped deliveries can be retried{hint}")
        forced = d.status in FORCIBLE
        earlier = {"earlier_remote_id": d.remote_id, "earlier_remote_url": d.remote_url,
                   "earlier_status": d.status}
        self._settle(d, S.PENDING, now)
        d.next_attempt_at, d.attempts = now, 0
        if text is not None:
            d.text = text
        if payload is not None:
            d.payload = payload
        self._record(s, d, "forced" if forced else "retried", now, actor=actor,
                     rerendered=True if text is not None else None, **earlier)

    def retry_all_failed(self, *, now: datetime, actor: str | None = None) -> int:
        """Every failed or dead delivery -> pending, due now; returns how many."""
        check_aware(now)
        with self._session("retry the failed deliveries") as s:
            rows = s.scalars(
                select(Delivery).where(Delivery.status.in_([S.FAILED.value, S.DEAD.value]))
                .with_for_update()
            ).all()
            for d in rows:
                earlier = d.status
                self._settle(d, S.PENDING, now)
                d.next_attempt_at, d.attempts = now, 0
                self._record(s, d, "retried", now, actor=actor, earlier_status=earlier)
            return len(rows)

    # -- reports ---------------------------------------------------------------------------
    def list_deliveries(
        self, *, status: DeliveryStatus | Collection[DeliveryStatus] | None = None,
        account: str | None = None, limit: int = 50,
    ) -> list[DeliveryRow]:
        """Newest first."""
        q = select(Delivery).order_by(Delivery.created_at.desc(), Delivery.id.desc()).limit(limit)
        if isinstance(status, str):
            q = q.where(Delivery.status == DeliveryStatus(status).value)
        elif status is not None:
            q = q.where(Delivery.status.in_([DeliveryStatus(x).value for x in status]))
        if account is not None:
            q = q.where(Delivery.account == account)
        with self._session("list deliveries", write=False) as s:
            return [DeliveryRow.of(r) for r in s.scalars(q)]

    def counts(self) -> dict[str, dict[str, int]]:
        """account -> status -> number of deliveries."""
        q = select(Delivery.account, Delivery.status, func.count()).group_by(
            Delivery.account, Delivery.status)
        out: dict[str, dict[str, int]] = {}
        with self._session("count deliveries", write=False) as s:
            for account, status, n in s.execute(q):
                out.setdefault(account, {})[status] = int(n)
        return out

    def next_due(self, account: str) -> datetime | None:
        """When the account's next waiting delivery becomes due (None: nothing waits)."""
        q = select(func.min(Delivery.next_attempt_at)).where(
            Delivery.account == account, Delivery.status.in_([x.value for x in DUE_STATUSES]))
        with self._session("find the next due delivery", write=False) as s:
            result: datetime | None = s.execute(q).scalar()
            return result

    def sent_since(self, account: str, since: datetime) -> int:
        check_aware(since)
        q = select(func.count()).select_from(Delivery).where(
            Delivery.account == account, Delivery.status == S.SENT.value,
            Delivery.sent_at >= since)
        with self._session("count sent deliveries", write=False) as s:
            return int(s.execute(q).scalar() or 0)
