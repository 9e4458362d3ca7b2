"""Spend: what each post and look-up cost, and deliveries held by a monthly budget.

``spend`` rows are written in the transaction that settles what was paid for (a post's
cost with ``mark_sent(cost=...)``) or right after it (a look-up's reads, ``record_spend``);
they are summed per account since a moment (the month's start) for budgets and reports.
A delivery that would exceed its account's budget goes ``sending -> over_budget`` (the
attempt does not count) and back to ``pending`` when the budget allows it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.store.base import check_aware
from bot.store.costs import Cost, SpendTotal, add_spend
from bot.store.deliveries import DeliveriesMixin
from bot.store.schema import Delivery, DeliveryStatus, SpendRecord

S = DeliveryStatus


class SpendMixin(DeliveriesMixin):
    def record_spend(self, account: str, cost: Cost, *, now: datetime,
                     delivery_id: int | None = None) -> None:
        check_aware(now)
        with self._session(f"record spend of {account!r}") as s:
            add_spend(s, account, delivery_id, cost, now)

    def spend_since(self, account: str, since: datetime) -> int:
        """Micro-dollars ``account`` spent since ``since``."""
        check_aware(since)
        q = select(func.coalesce(func.sum(SpendRecord.micro_usd), 0)).where(
            SpendRecord.account == account, SpendRecord.at >= since)
        with self._session("sum spend", write=False) as s:
            return int(s.execute(q).scalar() or 0)

    def spend_totals(self, since: datetime) -> dict[str, SpendTotal]:
        """Every account's spend since ``since``: money, posts created, posts read."""
        check_aware(since)
        q = (select(SpendRecord.account, SpendRecord.kind, func.sum(SpendRecord.micro_usd),
                    func.sum(SpendRecord.units))
             .where(SpendRecord.at >= since).group_by(SpendRecord.account, SpendRecord.kind))
        out: dict[str, dict[str, int]] = {}
        with self._session("sum spend", write=False) as s:
            for account, kind, money, units in s.execute(q):
                acc = out.setdefault(account, {"micro_usd": 0})
                acc["micro_usd"] += int(money or 0)
                if kind == "read":
                    acc["reads"], acc["read_micro_usd"] = int(units or 0), int(money or 0)
                else:
                    acc["posts"] = acc.get("posts", 0) + int(units or 0)
        return {a: SpendTotal(account=a, **v) for a, v in out.items()}

    def hold_over_budget(self, delivery_id: int, *, now: datetime, owner: str | None = None,
                         **detail: Any) -> None:
        """``sending -> over_budget``: sending it would exceed the account's budget. The
        attempt is not counted; ``detail`` (cost, spent, budget) goes in the history."""
        check_aware(now)
        with self._session(f"hold delivery {delivery_id} over budget") as s:
            d = self._locked(s, delivery_id, owner)
            if d.status == S.SENDING:
                d.attempts = max(0, (d.attempts or 0) - 1)
            self._settle(d, S.OVER_BUDGET, now)
            self._record(s, d, "over_budget", now, actor=owner, **detail)

    def release_over_budget(self, delivery_ids: Iterable[int], *, now: datetime,
                            actor: str | None = None) -> int:
        """``over_budget -> pending`` for those still held; they keep their place in the
        queue (``next_attempt_at`` is unchanged). Returns how many."""
        check_aware(now)
        ids = list(delivery_ids)
        if not ids:
            return 0
        with self._session("release deliveries held over budget") as s:
            rows = s.scalars(select(Delivery).where(
                Delivery.id.in_(ids), Delivery.status == S.OVER_BUDGET.value
            ).with_for_update()).all()
            for d in rows:
                self._settle(d, S.PENDING, now)
                self._record(s, d, "budget_released", now, actor=actor)
            return len(rows)
