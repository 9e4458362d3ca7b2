"""``bot status``, ``retry``, ``skip``, ``db`` and ``youtube``: the ledger by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from bot.cli import app, fail, state, views
from bot.clock import iso, utcnow

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import DeliveryRow, Store

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
yt_app = typer.Typer(help="YouTube community posts handed to a human.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(yt_app, name="youtube")


def _row_json(r: DeliveryRow) -> dict[str, Any]:
    return {
        "id": r.id,
        "article": r.article_id,
        "account": r.account,
        "platform": r.platform,
        "status": str(r.status),
        "attempts": r.attempts,
        "next_attempt": iso(r.next_attempt_at, "seconds"),
        "remote_url": r.remote_url,
        "last_error": r.last_error,
        "updated": iso(r.updated_at, "seconds"),
    }


@app.command()
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
    limit: int = typer.Option(15, "--limit", min=1, help="How many recent deliveries to list."),
) -> None:
    """Per-account counts, recent deliveries, paused accounts, items needing a human, next runs."""
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        accounts, attention, recent = _status_of(settings, store, limit)
    finally:
        store.close()
    if as_json:
        views.print_json({
            "accounts": accounts,
            "recent": [_row_json(r) for r in recent],
            "attention": [_row_json(r) for r in attention],
        })
        return
    _print_status(accounts, attention, recent)


def _status_of(settings: Settings, store: Store, limit: int
               ) -> tuple[list[dict[str, Any]], list[DeliveryRow], list[DeliveryRow]]:
    """Each account's state, counts and spend this month, the deliveries needing attention,
    the recent ones."""
    from bot.budget import month_start
    from bot.store import DeliveryStatus as S

    counts = store.counts()
    recent = store.list_deliveries(limit=limit)
    attention = store.list_deliveries(
        status=[S.UNCERTAIN, S.AWAITING_HUMAN, S.DEAD, S.OVER_BUDGET], limit=100)
    accounts_state = store.account_states()
    month = month_start(utcnow())
    spend = store.spend_totals(month)
    accounts: list[dict[str, Any]] = []
    for a in settings.accounts:
        st = accounts_state.get(a.name)
        accounts.append(
            {
                "name": a.name,
                "platform": a.platform,
                "enabled": a.enabled,
                "mode": "dry run" if settings.is_dry_run(a) else "live",
                "counts": counts.get(a.name, {}),
                "paused": bool(st and st.paused),
                "paused_reason": st.paused_reason if st else None,
                "paused_until": iso(st.paused_until, "seconds") if st else None,
                "last_sent": iso(st.last_sent_at, "seconds") if st else None,
                "next_due": iso(store.next_due(a.name), "seconds"),
                "spend": views.spend_json(a, spend.get(a.name), month),
            }
        )
    return accounts, attention, recent


def _print_status(accounts: list[dict[str, Any]], attention: list[DeliveryRow],
                  recent: list[DeliveryRow]) -> None:
    from rich.table import Table

    from bot.store import DeliveryStatus as S

    out = views.console()
    # only the statuses that occur: nine mostly-zero columns squeeze every cell on a terminal
    shown = [s.value for s in S if any(d["counts"].get(s.value) for d in accounts)]
    billed = any(d["spend"]["usd"] or d["spend"]["budget_usd"] is not None for d in accounts)
    # only when something costs money
    money = [f"spent {accounts[0]['spend']['month']}"] if billed else []
    t = Table("account", "platform", "mode", *shown, *money, "next due", title="Deliveries")
    for d in accounts:
        name = d["name"] + (" (PAUSED)" if d["paused"] else "")
        t.add_row(
            name,
            d["platform"],
            d["mode"],
            *[str(d["counts"].get(v, 0)) for v in shown],
            *([views.spend_cell(d["spend"])] if billed else []),
            d["next_due"] or "-",
        )
    out.print(t)
    for d in accounts:
        if d["paused"]:
            until = f" until {d['paused_until']}" if d["paused_until"] else ""
            out.print(f"[paused] {d['name']}{until}: {d['paused_reason']}", markup=False)
    if attention:
        t2 = Table("id", "account", "status", "article", "error", title="Needs attention")
        for r in attention:
            t2.add_row(str(r.id), r.account, str(r.status), r.article_id, r.last_error or "")
        out.print(t2)
    t3 = Table("id", "account", "status", "tries", "article", "url / error", title="Recent")
    for r in recent:
        t3.add_row(
            str(r.id),
            r.account,
            str(r.status),
            str(r.attempts),
            r.article_id,
            r.remote_url or r.last_error or "",
        )
    out.print(t3)


@app.command()
def retry(
    ctx: typer.Context,
    delivery_id: int | None = typer.Argument(
        None, metavar="[ID]", help="Delivery id (see bot status)."
    ),
    failed: bool = typer.Option(
        False,
        "--failed",
        help="Retry every failed and dead delivery (uncertain ones one by one, after checking).",
    ),
) -> None:
    """Queue a delivery again (failed, dead, uncertain or skipped)."""
    from bot.errors import BotError
    from bot.manual import requeue
    from bot.store import DeliveryStatus as S
    from bot.store import open_store
    from bot.store.deliveries import RETRYABLE

    if (delivery_id is None) == (not failed):
        raise fail("give either a delivery ID or --failed (not both)")
    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        if failed:
            n, refused = 0, []
            for r in store.list_deliveries(status=[S.FAILED, S.DEAD], limit=1_000_000):
                try:
                    requeue(settings, store, r.id)
                    n += 1
                except BotError as exc:
                    refused.append(f"{r.id}: {exc}")
            typer.echo(f"queued {n} deliveries again")
            for line in refused:
                typer.echo(f"not queued: {line}", err=True)
            return
        assert delivery_id is not None
        row = store.get_delivery(delivery_id)
        if row is None:
            raise fail(f"no delivery with id {delivery_id}")
        if row.status not in RETRYABLE:  # a user mistake (exit 2), not a database problem
            raise fail(f"delivery {delivery_id} is {row.status}; only failed, dead, uncertain "
                       "or skipped deliveries can be retried")
        typer.echo(requeue(settings, store, delivery_id))
    finally:
        store.close()


@app.command()
def skip(ctx: typer.Context, delivery_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Never send this delivery (it stays in the ledger as skipped)."""
    from bot.store import DeliveryStatus as S
    from bot.store import open_store
    from bot.store.deliveries import SKIPPABLE

    store = open_store(state(ctx).settings())
    try:
        row = store.get_delivery(delivery_id)
        if row is None:
            raise fail(f"no delivery with id {delivery_id}")
        if row.status not in (*SKIPPABLE, S.SKIPPED):
            raise fail(f"delivery {delivery_id} is {row.status}; it cannot be skipped")
        store.skip(delivery_id, now=utcnow())
        typer.echo(f"delivery {delivery_id} skipped")
    finally:
        store.close()


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Apply database migrations (the daemon also does this at start-up)."""
    from bot.config import mask_url
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        typer.echo(f"database {mask_url(settings.db_url)} at revision {store.current_revision()}")
    finally:
        store.close()


@yt_app.command("pending")
def yt_pending(
    ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="One JSON document.")
) -> None:
    """Community posts waiting for a human: text ready to paste, link, image."""
    from bot.store import DeliveryStatus as S
    from bot.store import open_store, post_of

    store = open_store(state(ctx).settings())
    try:
        rows = [r for r in store.list_deliveries(status=S.AWAITING_HUMAN, limit=500)]
    finally:
        store.close()
    items: list[dict[str, Any]] = []
    for r in rows:
        p = post_of(r)
        items.append(
            {
                "id": r.id,
                "account": r.account,
                "text": r.text,
                "link": r.link,
                "image": p.image if p else None,
                "since": iso(r.updated_at, "seconds"),
            }
        )
    if as_json:
        views.print_json({"pending": items})
        return
    if not items:
        typer.echo("nothing waiting: no YouTube community post needs a human")
        return
    from rich.panel import Panel

    out = views.console()
    for it in items:
        sub = f"image: {it['image']}" if it["image"] else "no image"
        out.print(
            Panel(
                it["text"],
                title=f"#{it['id']} · {it['account']} · since {it['since']}",
                subtitle=f"{sub} · mark done: bot youtube done {it['id']} [POST_URL]",
                title_align="left",
                subtitle_align="left",
            )
        )


@yt_app.command("done")
def yt_done(
    ctx: typer.Context,
    delivery_id: int = typer.Argument(..., metavar="ID"),
    url: str | None = typer.Argument(None, metavar="[URL]", help="The community post's URL."),
) -> None:
    """Record that a human published the community post."""
    from bot.store import DeliveryStatus as S
    from bot.store import open_store

    store = open_store(state(ctx).settings())
    try:
        row = store.get_delivery(delivery_id)
        if row is None:
            raise fail(f"no delivery with id {delivery_id}")
        if row.status != S.AWAITING_HUMAN:
            raise fail(f"delivery {delivery_id} is {row.status}, not awaiting a human")
        store.mark_human_done(delivery_id, remote_url=url, now=utcnow())
        typer.echo(f"delivery {delivery_id} recorded as published" + (f": {url}" if url else ""))
    finally:
        store.close()
