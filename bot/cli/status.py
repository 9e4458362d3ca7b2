"""``bot status``: what each account did, what waits and why, what needs a human.

Times are shown in each account's own time zone; deliveries by their article's title.
"Next due" is when the account's next queued post may really go (its posting window,
spacing, daily cap and pauses applied), with the rule that holds it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import app, state, views
from bot.clock import utcnow

if TYPE_CHECKING:
    from bot.config import Account, Settings
    from bot.previews import Waiting
    from bot.store import DeliveryRow, Store

DECISION_HELP = (
    "previewed in dry run; the account is live now. `bot send ID` posts one now, "
    "`bot retry ID` queues it for the daemon, `bot skip ID` drops it; the daemon skips it "
    "after its feed's max_age_hours"
)


def _at(t: datetime | None, account: Account | None) -> str | None:
    """ISO 8601 in the account's zone (UTC when the account is not configured)."""
    if t is None:
        return None
    return t.astimezone(account.tz if account else UTC).isoformat(timespec="seconds")


class _View:
    """Everything `bot status` shows, read from the ledger in one go."""

    def __init__(self, settings: Settings, store: Store, limit: int) -> None:
        from bot.previews import waiting_for_decision
        from bot.store import DeliveryStatus as S

        self.settings, self.now = settings, utcnow()
        self.accounts = {a.name: a for a in settings.accounts}
        self.counts = store.counts()
        self.states = store.account_states()
        self.recent = store.list_deliveries(limit=limit)
        self.attention = store.list_deliveries(
            status=[S.UNCERTAIN, S.AWAITING_HUMAN, S.DEAD], limit=100)
        self.waiting = waiting_for_decision(settings, store)
        self.earlier = store.earlier_urls([r.id for r in self.recent])
        self.titles = self._titles(store, [*self.recent, *self.attention])
        self.account_docs = [self._account(store, a) for a in settings.accounts]

    @staticmethod
    def _titles(store: Store, rows: list[DeliveryRow]) -> dict[str, str]:
        """article id -> title: from the delivery's own copy of the article, else the ledger."""
        out: dict[str, str] = {}
        for r in rows:
            article = r.payload.get("article") or r.payload.get("rerender") or {}
            if article.get("title"):
                out[r.article_id] = str(article["title"])
        found = store.get_articles([r.article_id for r in rows if r.article_id not in out])
        for r in rows:
            out.setdefault(r.article_id, found[r.article_id].title if r.article_id in found
                           else "")
        return out

    def _account(self, store: Store, a: Account) -> dict[str, Any]:
        from bot.waits import account_wait, describe

        st = self.states.get(a.name)
        wait = account_wait(store, a, self.now)
        return {
            "name": a.name,
            "platform": a.platform,
            "enabled": a.enabled,
            "mode": "dry run" if self.settings.is_dry_run(a) else "live",
            "timezone": a.timezone,
            "counts": self.counts.get(a.name, {}),
            "waiting_for_decision": sum(1 for w in self.waiting if w.row.account == a.name),
            "paused": bool(st and st.paused),
            "paused_reason": st.paused_reason if st else None,
            "paused_until": _at(st.paused_until, a) if st else None,
            "last_sent": _at(st.last_sent_at, a) if st else None,
            "next_due": _at(wait.at, a),
            "next_due_reason": wait.reason,
            "next_due_text": describe(wait, a, self.now),
        }

    def row(self, r: DeliveryRow) -> dict[str, Any]:
        a = self.accounts.get(r.account)
        return {
            "id": r.id,
            "article": r.article_id,
            "title": self.titles.get(r.article_id, ""),
            "account": r.account,
            "platform": r.platform,
            "status": str(r.status),
            "attempts": r.attempts,
            "next_attempt": _at(r.next_attempt_at, a),
            "remote_url": r.remote_url,
            "earlier_urls": self.earlier.get(r.id, []),
            "last_error": r.last_error,
            "updated": _at(r.updated_at, a),
        }

    def waiting_row(self, w: Waiting) -> dict[str, Any]:
        a = self.accounts.get(w.row.account)
        return {"id": w.row.id, "account": w.row.account, "article": w.row.article_id,
                "title": w.title, "previewed": _at(w.row.updated_at, a),
                "skip_after": _at(w.expires_at, a), "sample": w.sample}

    def doc(self) -> dict[str, Any]:
        return {
            "accounts": self.account_docs,
            "waiting_for_decision": [self.waiting_row(w) for w in self.waiting],
            "attention": [self.row(r) for r in self.attention],
            "recent": [self.row(r) for r in self.recent],
        }


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
    limit: int = typer.Option(15, "--limit", min=1, help="How many recent deliveries to list."),
) -> None:
    """Per account: counts by status (previewed apart from sent), when the next post may go
    and why; previews waiting for a decision, items needing a human, recent deliveries."""
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        doc = _View(settings, store, limit).doc()
    finally:
        store.close()
    if as_json:
        views.print_json(doc)
        return
    _print(doc)


def _print(doc: dict[str, Any]) -> None:
    from rich.table import Table

    from bot.store import DeliveryStatus as S

    out = views.console()
    accounts = doc["accounts"]
    # only the statuses that occur: nine mostly-zero columns squeeze every cell on a terminal
    shown = [s.value for s in S if any(d["counts"].get(s.value) for d in accounts)]
    t = Table("account", "platform", "mode", *shown, "next due", title="Deliveries")
    for d in accounts:
        name = d["name"] + (" (PAUSED)" if d["paused"] else "")
        t.add_row(name, d["platform"], d["mode"], *[str(d["counts"].get(v, 0)) for v in shown],
                  "-" if d["next_due_reason"] == "nothing queued" else d["next_due_text"])
    out.print(t)
    for d in accounts:
        if d["paused"]:
            until = f" until {d['paused_until']}" if d["paused_until"] else ""
            out.print(f"[paused] {d['name']}{until}: {d['paused_reason']}", markup=False)
    if doc["waiting_for_decision"]:
        tw = Table("id", "account", "title", "skip after", title="Waiting for a decision",
                   caption=DECISION_HELP)
        for w in doc["waiting_for_decision"]:
            tw.add_row(str(w["id"]), w["account"], w["title"], w["skip_after"] or "-")
        out.print(tw)
    if doc["attention"]:
        t2 = Table("id", "account", "status", "title", "error", title="Needs attention")
        for r in doc["attention"]:
            t2.add_row(str(r["id"]), r["account"], r["status"], r["title"] or r["article"],
                       r["last_error"] or "")
        out.print(t2)
    t3 = Table("id", "account", "status", "tries", "title", "url / error", title="Recent")
    for r in doc["recent"]:
        url = r["remote_url"] or r["last_error"] or ""
        if r["earlier_urls"]:
            url += f" (before: {', '.join(r['earlier_urls'])})"
        t3.add_row(str(r["id"]), r["account"], r["status"], str(r["attempts"]),
                   r["title"] or r["article"], url)
    out.print(t3)
