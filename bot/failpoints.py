"""Failpoints: crash the process on purpose at named places, for fault testing only.

``BOT_FAILPOINTS`` lists ``name=probability`` pairs, e.g.
``after_publish=0.05,before_claim_commit=0.02``. Each time :func:`failpoint` is called
with one of those names, the process ends with ``os._exit(137)`` with that probability:
no ``finally`` blocks, no atexit handlers, no flushing, no commit, the way ``kill -9``
leaves it (a supervisor tells the two apart by the exit status: 137 here, -9 for a
signal). The end-to-end fault suite (``tests/e2e/test_fault_suite.py``) sets it on the
daemons it runs; nobody else should.

Places in the code (grep ``failpoint(``):

* ``after_publish`` — in :func:`bot.dispatch.deliver`, right after the platform accepted
  the post and before the result is committed to the ledger: the crash that
  ``reconcile`` exists for.
* ``after_article`` — in :func:`bot.ingest.poll_feed`, right after a new article is
  recorded and before its deliveries are: the next poll must queue them.

The variable is read once, on the first call (a malformed value is logged and ignored);
with it unset a call costs one dict lookup on an empty dict.
"""

from __future__ import annotations

import logging
import os
import random

ENV = "BOT_FAILPOINTS"
EXIT_CODE = 137
"""128 + SIGKILL, what a shell reports for a process killed by ``kill -9``."""

_points: dict[str, float] | None = None


def parse(spec: str) -> dict[str, float]:
    """``"a=0.5,b=1"`` -> ``{"a": 0.5, "b": 1.0}``; malformed parts raise ValueError."""
    points: dict[str, float] = {}
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"{ENV}: expected name=probability, got {part!r}")
        try:
            p = float(raw)
        except ValueError:
            raise ValueError(f"{ENV}: {name}: not a number: {raw.strip()!r}") from None
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{ENV}: {name}: probability must be between 0 and 1")
        points[name] = p
    return points


def _load() -> dict[str, float]:
    global _points
    if _points is None:
        try:
            _points = parse(os.environ.get(ENV, ""))
        except ValueError as exc:  # a typo in a test knob must not break sending
            logging.getLogger(__name__).error("%s; failpoints disabled", exc)
            _points = {}
    return _points


def reset() -> None:
    """Forget the parsed variable (tests change it between calls)."""
    global _points
    _points = None


def failpoint(name: str) -> None:
    """Maybe end the process here, like ``kill -9``; see the module docstring."""
    points = _points if _points is not None else _load()
    p = points.get(name)
    if p and random.random() < p:
        os._exit(EXIT_CODE)
