"""Logging set-up: readable lines on a terminal, JSON lines everywhere else.

Call :func:`setup_logging` once at start-up (the CLI does), then log with the standard
library and pass context as extras::

    log.info("sent", extra={"account": "x", "delivery": 12, "article": url})

JSON lines carry ``ts``, ``level``, ``logger``, ``msg``, every extra, and ``exc`` (the
whole traceback as one string) when there is one. Importing this module is cheap: Rich
is only imported when a terminal handler is actually built.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any, Literal

LogFormat = Literal["auto", "text", "json"]

NOISY_LOGGERS: tuple[str, ...] = (
    "apscheduler",
    "urllib3",
    "requests",
    "requests_oauthlib",
    "oauthlib",
    "httpx",
    "httpcore",
    "tweepy",
    "googleapiclient",
    "google_auth_httplib2",
    "google.auth",
    "trafilatura",
    "htmldate",
    "courlan",
    "charset_normalizer",
    "alembic",
    "asyncio",
)
"""Third-party loggers that chatter at INFO; they only show warnings unless level is DEBUG."""

_STANDARD_ATTRS = frozenset(
    logging.LogRecord("x", logging.INFO, __file__, 0, "", None, None).__dict__
) | {"message", "asctime", "taskName"}

_HANDLER_MARK = "_pubbot_handler"


def record_extras(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra={...}`` values attached to a record (not the standard attributes)."""
    return {k: v for k, v in record.__dict__.items()
            if k not in _STANDARD_ATTRS and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line; never raises on odd values (they become strings)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record_extras(record).items():
            data.setdefault(key, value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc"] = record.exc_text
        if record.stack_info:
            data["stack"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-05-09 10:00:00 INFO    bot.pipeline: sent  account=x delivery=12``."""

    def __init__(self, *, with_time: bool = True) -> None:
        fmt = "%(name)s: %(message)s"
        if with_time:
            fmt = "%(asctime)s %(levelname)-7s " + fmt
        super().__init__(fmt, datefmt="%Y-%m-%d %H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        extras = record_extras(record)
        line = super().format(record)
        if extras:
            tail = " ".join(f"{k}={v}" for k, v in extras.items())
            head, sep, rest = line.partition("\n")
            line = f"{head}  {tail}{sep}{rest}"
        return line


def _is_tty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _build_handler(fmt: LogFormat, stream: IO[str]) -> logging.Handler:
    tty = _is_tty(stream)
    if fmt == "json" or (fmt == "auto" and not tty):
        handler: logging.Handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
        return handler
    if tty:
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=Console(file=stream, stderr=stream is sys.stderr),
            show_path=False,
            rich_tracebacks=False,
            markup=False,
        )
        handler.setFormatter(TextFormatter(with_time=False))
        return handler
    handler = logging.StreamHandler(stream)
    handler.setFormatter(TextFormatter())
    return handler


def setup_logging(level: str, fmt: LogFormat = "auto", stream: IO[str] | None = None) -> None:
    """Configure the root logger; safe to call again (it replaces its own handler).

    ``fmt``: ``json`` for JSON lines, ``text`` for readable lines, ``auto`` for readable
    lines when ``stream`` (default: stderr) is a terminal and JSON otherwise. Filters that
    were attached to the handler being replaced (such as secret redaction) are carried
    over to the new one.
    """
    numeric = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r} (use DEBUG, INFO, WARNING or ERROR)")
    if fmt not in ("auto", "text", "json"):
        raise ValueError(f"unknown log format {fmt!r} (use auto, text or json)")
    root = logging.getLogger()
    carried: list[Any] = []
    for old in list(root.handlers):
        if getattr(old, _HANDLER_MARK, False):
            carried.extend(f for f in old.filters if f not in carried)
            root.removeHandler(old)
            old.close()
    handler = _build_handler(fmt, stream if stream is not None else sys.stderr)
    setattr(handler, _HANDLER_MARK, True)
    for f in carried:
        handler.addFilter(f)
    root.addHandler(handler)
    root.setLevel(numeric)
    quiet = logging.WARNING if numeric > logging.DEBUG else logging.NOTSET
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    sched = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, _SkipOverlapWarnings) for f in sched.filters):
        sched.addFilter(_SkipOverlapWarnings())
    logging.captureWarnings(True)


class _SkipOverlapWarnings(logging.Filter):
    """Drop APScheduler's "maximum number of running instances reached" warnings: a job that
    is still running when its next turn comes is skipped by design (``max_instances=1``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()
