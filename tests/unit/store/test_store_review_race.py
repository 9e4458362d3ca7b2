"""An editor's decision and a dispatcher's claim never both win (SQLite and PostgreSQL).

Real processes, each with its own connections: an editor decides on every delivery with
the version it read before the start while a dispatcher claims and sends whatever is due.
For every delivery exactly one of them wins; the loser is told (a Conflict), never silently
overruled.
"""

from __future__ import annotations

import pytest

from bot.store import DeliveryStatus, Store

from . import _desk_workers, _workers
from .conftest import T0, article

S = DeliveryStatus
ROWS = 60


def _rows(st: Store, status: DeliveryStatus = S.PENDING) -> list[tuple[int, int]]:
    seen = []
    for n in range(ROWS):
        a = article(st, n)
        d = st.add_delivery(article_id=a.id, account="x", platform="twitter",
                            text=f"original {n}", link=a.url, payload={}, status=status,
                            next_attempt_at=T0, now=T0)
        assert d is not None
        seen.append((d.id, d.version))
    return seen


@pytest.mark.parametrize("action", ["skip", "reschedule"])
def test_a_decision_and_a_claim_never_both_win(db_url: str, store: Store, action: str) -> None:
    seen = _rows(store)
    decided, claimed = _pair(
        (_desk_workers.editor, (db_url, action, seen, T0.isoformat(), 1)),
        (_desk_workers.dispatcher, (db_url, "x", T0.isoformat(), 2)),
    )
    for delivery_id, _ in seen:
        won = decided[delivery_id] == "won"
        assert won != (delivery_id in claimed), (delivery_id, decided[delivery_id])
        row = store.get_delivery(delivery_id)
        assert row is not None
        expected = {"skip": S.SKIPPED, "reschedule": S.PENDING}[action] if won else S.SENT
        assert row.status == expected


def test_an_edit_is_sent_or_refused_never_lost(db_url: str, store: Store) -> None:
    seen = _rows(store)
    decided, claimed = _pair(
        (_desk_workers.editor, (db_url, "edit", seen, T0.isoformat(), 3)),
        (_desk_workers.dispatcher, (db_url, "x", T0.isoformat(), 4)),
    )
    assert set(claimed) == {i for i, _ in seen}  # an edit leaves it due: all are sent
    for delivery_id, _ in seen:
        sent_text = claimed[delivery_id]
        if decided[delivery_id] == "won":
            assert sent_text == f"edited {delivery_id}"  # the edit came first and was sent
        else:
            assert sent_text.startswith("original")  # the claim came first; the editor knows


def test_two_editors_approving_at_once_one_wins(db_url: str, store: Store) -> None:
    seen = _rows(store, S.AWAITING_REVIEW)
    first, second = _pair(
        (_desk_workers.editor, (db_url, "approve", seen, T0.isoformat(), 5)),
        (_desk_workers.editor, (db_url, "approve", seen, T0.isoformat(), 6)),
    )
    for delivery_id, _ in seen:
        assert sorted([first[delivery_id], second[delivery_id]]) == ["conflict", "won"]
        approvals = [e for e in store.history(delivery_id) if e.kind == "approved"]
        assert len(approvals) == 1


def _run_pair(target: object, args: tuple[object, ...], *, barrier: object) -> object:
    assert callable(target)
    return args[-1], target(*args, barrier=barrier)


def _pair(*procs: tuple[object, tuple[object, ...]]) -> list[dict[int, str]]:
    """Run the processes at once; their results in the order given (by their seeds)."""
    results = dict(_workers.run(_run_pair, list(procs)))
    return [results[args[-1]] for _, args in procs]
