"""Processes for the editor-versus-dispatcher races (run through ``_workers.run``).

An editor decides on each delivery, in a random order, with the version it read before
the start; a dispatcher claims and settles whatever is due, oldest first. With a little
jitter on both sides they meet on many rows, on either side of the dispatcher's front.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from typing import Any

from bot.errors import Conflict
from bot.store import Store


def _jitter(rng: random.Random) -> None:
    time.sleep(rng.random() * 0.004)


def editor(url: str, action: str, seen: list[tuple[int, int]], now_iso: str, seed: int, *,
           barrier: Any) -> dict[int, str]:
    """``action`` each (id, version) seen; id -> "won" or "conflict"."""
    now = datetime.fromisoformat(now_iso)
    rng = random.Random(seed)
    out: dict[int, str] = {}
    with Store(url) as st:
        st.ping()
        barrier.wait(60)
        for delivery_id, version in rng.sample(seen, len(seen)):
            _jitter(rng)
            try:
                if action == "skip":
                    st.skip(delivery_id, version=version, now=now, actor="race:editor")
                elif action == "edit":
                    st.edit(delivery_id, version=version, text=f"edited {delivery_id}",
                            payload={}, now=now, actor="race:editor")
                elif action == "reschedule":
                    st.reschedule(delivery_id, version=version, at=now + timedelta(days=30),
                                  now=now, actor="race:editor")
                elif action == "approve":
                    st.approve(delivery_id, version=version, now=now, actor=f"race:{seed}")
                else:
                    raise ValueError(action)
            except Conflict:
                out[delivery_id] = "conflict"
            else:
                out[delivery_id] = "won"
    return out


def dispatcher(url: str, account: str, now_iso: str, seed: int, *,
               barrier: Any) -> dict[int, str]:
    """Claim and settle everything due; id -> the text it claimed."""
    now = datetime.fromisoformat(now_iso)
    rng = random.Random(seed)
    got: dict[int, str] = {}
    with Store(url) as st:
        st.ping()
        barrier.wait(60)
        idle = 0
        while idle < 20:
            _jitter(rng)
            row = st.claim_next(account, owner="race:dispatcher", now=now, lease_seconds=300)
            if row is None:
                idle += 1
                continue
            idle = 0
            got[row.id] = row.text
            st.mark_sent(row.id, remote_id=str(row.id), remote_url=None, now=now,
                         owner="race:dispatcher")
    return got
