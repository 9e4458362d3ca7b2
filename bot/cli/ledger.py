"""``bot retry``, ``skip``, ``db`` and ``youtube``: the ledger by hand (status: status.py)."""

from __future__ import annotations

from typing import Any

import typer

from bot.cli import app, fail, state, views
from bot.clock import iso, utcnow

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
yt_app = typer.Typer(help="YouTube community posts handed to a human.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(yt_app, name="youtube")


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
    """Queue a delivery again (failed, dead, uncertain, skipped or previewed in dry run)."""
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
            raise fail(f"delivery {delivery_id} is {row.status}; only failed, dead, uncertain, "
                       "skipped or previewed deliveries can be retried")
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
