"""The time: one ``utcnow`` and the ``Clock`` type the stateful code takes to be testable.

Code that decides by the time (dispatch, reconcile, the daemon) takes a ``clock`` argument
defaulting to :func:`utcnow`, so tests and replays drive it with a clock of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""A function returning the current time, timezone-aware."""


def utcnow() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return datetime.now(UTC)


def fixed(t: datetime) -> Clock:
    """A clock that always says ``t`` (tests, and replays of a given moment)."""
    return lambda: t


def iso(t: datetime | None, timespec: str = "auto") -> str | None:
    """``t`` in ISO 8601 for JSON and tables (``timespec`` as for ``isoformat``); None stays
    None."""
    return t.isoformat(timespec=timespec) if t is not None else None
