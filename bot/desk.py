"""The editor's desk: what ``bot queue/show/approve/edit/reschedule/skip`` and the web desk do.

Both front ends call these functions, so a post is measured, refused and recorded the same
way wherever the editor works. Every decision takes the ``version`` the editor saw (None:
"whatever it is now", for a script that has just read it) and is a compare-and-set in the
ledger (:mod:`bot.store.review`): a decision on a delivery that changed since, or that is
being sent, is refused with :class:`~bot.errors.Conflict`.

An edit must still fit the account's rules — the same :class:`~bot.render.rules.PlatformRules`
rendering used, from ``bot.adapters.registry.rules_for`` — and keep the article's link when
the post carried it; otherwise :class:`~bot.errors.Refused` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import utcnow
from bot.config import Account, Settings
from bot.errors import Refused

if TYPE_CHECKING:
    from bot.render.rules import PlatformRules
    from bot.store import DeliveryEventRow, DeliveryRow, Store
    from bot.store.review import QueueRow


# --------------------------------------------------------------------------- reading
@dataclass(eq=False)
class Item:
    """One delivery as the desk shows it: the post, its article card and its length.
    (Not frozen: a page builds a thousand of them, and frozen dataclasses are slow to make.)"""

    row: DeliveryRow | QueueRow
    account: Account | None
    """None when the account is no longer configured."""
    rules: PlatformRules
    tz: ZoneInfo
    """The account's clock (UTC when the account is gone)."""
    title: str
    link: str | None
    image: str | None
    description: str
    site_name: str
    """Who posts: the publication (``site_name``), as the previews show it."""
    length: int
    limit: int

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def fits(self) -> bool:
        return self.length <= self.limit

    @property
    def first_line(self) -> str:
        return next((ln.strip() for ln in self.row.text.splitlines() if ln.strip()), "")

    @cached_property
    def due_local(self) -> datetime:
        """When it becomes due, on the account's clock."""
        return self.row.next_attempt_at.astimezone(self.tz)

    @property
    def status_label(self) -> str:
        return str(self.row.status).replace("_", " ")

    @property
    def domain(self) -> str:
        host = re.sub(r"^[a-z]+://", "", self.link or "").split("/", 1)[0]
        return host.removeprefix("www.")

    def as_json(self) -> dict[str, Any]:
        r = self.row
        return {
            "id": r.id, "version": r.version, "account": r.account, "platform": r.platform,
            "status": str(r.status), "title": self.title, "text": r.text, "link": r.link,
            "first_line": self.first_line, "length": self.length, "limit": self.limit,
            "fits": self.fits, "counting": self.rules.counting,
            "due": self.due_local.isoformat(timespec="seconds"),
            "timezone": str(self.tz), "attempts": r.attempts, "last_error": r.last_error,
            "remote_url": r.remote_url, "image": self.image,
        }


class _Accounts:
    """Each account's settings, rules and clock, looked up once per page."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._seen: dict[tuple[str, str], tuple[Account | None, PlatformRules, ZoneInfo]] = {}

    def of(self, account: str, platform: str) -> tuple[Account | None, PlatformRules, ZoneInfo]:
        key = (account, platform)
        if key not in self._seen:
            from bot.adapters.registry import adapter_class, rules_for

            found = next((a for a in self.settings.accounts if a.name == account), None)
            if found is None:  # the account was removed from the settings
                self._seen[key] = (None, adapter_class(platform).rules, ZoneInfo("UTC"))
            else:
                self._seen[key] = (found, rules_for(found, self.settings), found.tz)
        return self._seen[key]


def rules_of(settings: Settings, row: DeliveryRow | QueueRow
             ) -> tuple[Account | None, PlatformRules]:
    """The delivery's account (None when no longer configured) and its rules."""
    account, rules, _ = _Accounts(settings).of(row.account, row.platform)
    return account, rules


def item(settings: Settings, row: DeliveryRow, accounts: _Accounts | None = None) -> Item:
    """A full ledger row as the desk shows it (the card read from its payload)."""
    account, rules, tz = (accounts or _Accounts(settings)).of(row.account, row.platform)
    post = (row.payload or {}).get("post") or {}
    article = (row.payload or {}).get("article") or {}
    stored = post.get("length")
    length = stored if isinstance(stored, int) and post.get("text") == row.text else (
        rules.measure(row.text))
    return Item(
        row=row, account=account, rules=rules, tz=tz,
        title=str(article.get("title") or post.get("title") or row.article_id),
        link=row.link, image=article.get("image") or post.get("image"),
        description=str(article.get("description") or ""), site_name=settings.site_name,
        length=length, limit=rules.max_length,
    )


def _queued(settings: Settings, q: QueueRow, accounts: _Accounts) -> Item:
    account, rules, tz = accounts.of(q.account, q.platform)
    return Item(
        row=q, account=account, rules=rules, tz=tz, title=q.title or q.article_id, link=q.link,
        image=q.image, description=q.description or "", site_name=settings.site_name,
        length=q.length if q.length is not None else rules.measure(q.text),
        limit=rules.max_length,
    )


def queue(settings: Settings, store: Store, *, account: str | None = None,
          limit: int = 1000) -> list[Item]:
    """Awaiting review first, then everything still to be sent (soonest first)."""
    accounts = _Accounts(settings)
    return [_queued(settings, q, accounts) for q in store.queue(account=account, limit=limit)]


def items(settings: Settings, rows: list[DeliveryRow]) -> list[Item]:
    accounts = _Accounts(settings)
    return [item(settings, r, accounts) for r in rows]


def show(settings: Settings, store: Store, delivery_id: int
         ) -> tuple[Item, list[DeliveryEventRow]]:
    row = store.get_delivery(delivery_id)
    if row is None:
        raise Refused(f"no delivery with id {delivery_id}")
    return item(settings, row), store.history(delivery_id)


@dataclass(frozen=True)
class Measure:
    length: int
    limit: int
    counting: str
    problem: str | None
    """Why the text would be refused (None: it would be accepted)."""

    @property
    def fits(self) -> bool:
        return self.length <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {"length": self.length, "limit": self.limit, "fits": self.fits,
                "counting": self.counting, "problem": self.problem}


def measure(settings: Settings, row: DeliveryRow | QueueRow, text: str) -> Measure:
    """How the account's platform counts ``text``, and what an edit to it would meet."""
    _, rules = rules_of(settings, row)
    length = rules.measure(text)
    return Measure(length=length, limit=rules.max_length, counting=rules.counting,
                   problem=_problem(row, text, rules, length))


def _problem(row: DeliveryRow | QueueRow, text: str, rules: PlatformRules, length: int
             ) -> str | None:
    from bot.adapters.base import text_mentions_link

    if not text.strip():
        return "the post is empty"
    if length > rules.max_length:
        return (f"too long for {rules.title}: {length} > {rules.max_length} "
                f"({rules.describe()})")
    if row.link and text_mentions_link(row.text, row.link) and not text_mentions_link(
            text, row.link):
        return f"the edit drops the article's link ({row.link}); keep it in the text"
    return None


# --------------------------------------------------------------------------- deciding
def approve(store: Store, delivery_id: int, *, version: int | None, actor: str,
            now: datetime | None = None) -> DeliveryRow:
    return store.approve(delivery_id, version=version, now=now or utcnow(), actor=actor)


def edit(settings: Settings, store: Store, delivery_id: int, text: str, *,
         version: int | None, actor: str, now: datetime | None = None) -> DeliveryRow:
    """Replace the post's text, or Refused with the reason (too long, link dropped …)."""
    row = store.get_delivery(delivery_id)
    if row is None:
        raise Refused(f"no delivery with id {delivery_id}")
    text = text.replace("\r\n", "\n").strip("\n")
    if text == row.text:
        raise Refused(f"delivery {delivery_id}: the text is unchanged")
    m = measure(settings, row, text)
    if m.problem:
        raise Refused(f"delivery {delivery_id} not changed: {m.problem}")
    payload = dict(row.payload or {})
    post = dict(payload.get("post") or {})
    post.update(text=text, length=m.length, limit=m.limit, fits=m.fits)
    payload["post"] = post
    return store.edit(delivery_id, version=row.version if version is None else version,
                      text=text, payload=payload, now=now or utcnow(), actor=actor)


def reschedule(store: Store, delivery_id: int, at: datetime, *, version: int | None,
               actor: str, now: datetime | None = None) -> DeliveryRow:
    return store.reschedule(delivery_id, version=version, at=at, now=now or utcnow(),
                            actor=actor)


def skip(store: Store, delivery_id: int, *, version: int | None, actor: str,
         now: datetime | None = None) -> DeliveryRow:
    row = store.get_delivery(delivery_id)
    if row is None:
        raise Refused(f"no delivery with id {delivery_id}")
    from bot.store.deliveries import SKIPPABLE

    if row.status not in (*SKIPPABLE, "skipped", "sending"):
        raise Refused(f"delivery {delivery_id} is {row.status}; it cannot be skipped")
    store.skip(delivery_id, now=now or utcnow(), actor=actor,
               version=row.version if version is None else version)
    skipped = store.get_delivery(delivery_id)
    assert skipped is not None
    return skipped


_RELATIVE = re.compile(r"^\+\s*(\d+(?:\.\d+)?)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str, tz: ZoneInfo, *, now: datetime | None = None) -> datetime:
    """``+90m``, ``+2h``, ``+1d``, or an ISO 8601 time (without an offset: the account's
    clock). Refused when it cannot be read."""
    text = text.strip()
    now = now or utcnow()
    rel = _RELATIVE.match(text)
    if rel:
        return now + timedelta(**{_UNITS[rel.group(2)]: float(rel.group(1))})
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise Refused(f"not a time: {text!r} (use 2026-05-01T09:30, with or without an "
                      "offset, or +90m / +2h / +1d)") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=tz)
    return when.astimezone(UTC)
