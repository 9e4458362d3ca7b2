"""``bot queue``, ``show``, ``approve``, ``edit``, ``reschedule``: the editor's desk in a terminal.

The work itself is :mod:`bot.desk`, shared with the web desk. Every decision can carry
``--version`` (the version ``bot show`` printed): the ledger then refuses it when the
delivery changed since (exit 4). Without it, the version read just before is used.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import typer

from bot.cli import app, state, views

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.desk import Item
    from bot.store import DeliveryRow, Store

JSON = typer.Option(False, "--json", help="One JSON document.")
VERSION = typer.Option(None, "--version", min=1,
                       help="The version you saw (bot show); refused if it changed since.")


def actor() -> str:
    """``cli:<login name>`` for the delivery's history."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no passwd entry (a container with an arbitrary uid)
        return "cli:unknown"


@contextmanager
def _open(ctx: typer.Context) -> Iterator[tuple[Settings, Store]]:
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        yield settings, store
    finally:
        store.close()


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _line(it: Item) -> list[str]:
    status = "review" if it.row.status == "awaiting_review" else str(it.row.status)
    return [str(it.id), status, it.due_local.strftime("%Y-%m-%d %H:%M %Z"), _cut(it.title, 40),
            _cut(it.first_line, 60), f"{it.length}/{it.limit}"]


@app.command()
def queue(
    ctx: typer.Context,
    account: str | None = typer.Option(None, "--account", "-a", help="Only this account."),
    limit: int = typer.Option(200, "--limit", min=1, help="How many deliveries at most."),
    as_json: bool = JSON,
) -> None:
    """Deliveries awaiting review, then the ones still to be sent, per account."""
    from bot import desk

    with _open(ctx) as (settings, store):
        if account is not None:
            settings.account(account)  # ConfigError naming the configured accounts
        items = desk.queue(settings, store, account=account, limit=limit)
    if as_json:
        views.print_json({"queue": [it.as_json() for it in items]})
        return
    if not items:
        typer.echo("the queue is empty: nothing awaits review or sending")
        return
    from rich.table import Table

    out = views.console()
    for name in dict.fromkeys(it.row.account for it in items):
        t = Table("id", "status", "due", "title", "first line", "length", title=name,
                  title_justify="left")
        for it in items:
            if it.row.account == name:
                t.add_row(*_line(it), style=None if it.fits else "red")
        out.print(t)


@app.command()
def show(ctx: typer.Context, delivery_id: int = typer.Argument(..., metavar="ID"),
         as_json: bool = JSON) -> None:
    """One delivery: full text, platform, length against the limit, link, history."""
    from bot import desk

    with _open(ctx) as (settings, store):
        it, events = desk.show(settings, store, delivery_id)
    if as_json:
        views.print_json(it.as_json() | {"history": [
            {"at": e.at.isoformat(timespec="seconds"), "kind": e.kind, "status": e.status,
             "actor": e.actor, "detail": e.detail} for e in events]})
        return
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    out = views.console()
    r = it.row
    label = it.rules.title
    fits = "fits" if it.fits else "TOO LONG"
    out.print(Text(it.title, style="bold"))
    out.print(Text(f"{label} · {r.account} · {r.status} · version {r.version} · due "
                   f"{it.due_local.isoformat(timespec='minutes')} ({it.tz})", style="dim"))
    out.print(Panel(Text(r.text), title=f"{it.length}/{it.limit} {it.rules.counting} · {fits}",
                    subtitle=f"link: {r.link}" if r.link else "no link", title_align="left",
                    subtitle_align="left", border_style="green" if it.fits else "red"))
    if r.remote_url:
        out.print(f"posted: {r.remote_url}", markup=False)
    if r.last_error:
        out.print(f"last error: {r.last_error}", markup=False)
    t = Table("when", "event", "status", "who", "detail", title="History", title_justify="left")
    for e in events:
        detail = ", ".join(f"{k}={v}" for k, v in e.detail.items() if k != "old_text")
        t.add_row(e.at.isoformat(timespec="seconds"), e.kind, e.status, e.actor or "", detail)
    out.print(t)


def _each(ids: list[int], action: Callable[[int], DeliveryRow], verb: str, as_json: bool
          ) -> None:
    """Do ``action`` for every id; report each, exit non-zero when any was refused."""
    from bot.errors import BotError

    done: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    first: BotError | None = None
    for i in ids:
        try:
            row = action(i)
        except BotError as exc:
            refused.append({"id": i, "error": str(exc), "kind": type(exc).__name__.lower()})
            first = first or exc
            continue
        done.append({"id": row.id, "status": str(row.status), "version": row.version,
                     "next_attempt": row.next_attempt_at.isoformat(timespec="seconds")})
    if as_json:
        views.print_json({verb: done, "refused": refused})
    else:
        for d in done:
            typer.echo(f"delivery {d['id']} {verb} ({d['status']})")
        for r in refused:
            sys.stderr.write(f"error: {r['error']}\n")
    if first is not None:
        raise typer.Exit(first.exit_code)


@app.command()
def approve(
    ctx: typer.Context,
    delivery_ids: list[int] = typer.Argument(..., metavar="ID...", help="Delivery ids."),
    version: int | None = VERSION,
    as_json: bool = JSON,
) -> None:
    """Approve deliveries awaiting review: they go out within the account's window,
    spacing and daily cap."""
    from bot import desk
    from bot.errors import ConfigError

    if version is not None and len(delivery_ids) > 1:
        raise ConfigError("--version goes with a single delivery id")
    who = actor()
    with _open(ctx) as (_, store):
        _each(delivery_ids, lambda i: desk.approve(store, i, version=version, actor=who),
              "approved", as_json)


@app.command()
def edit(
    ctx: typer.Context,
    delivery_id: int = typer.Argument(..., metavar="ID"),
    text: str | None = typer.Option(
        None, "--text", help="The new text ('-' reads standard input); default: $EDITOR."),
    version: int | None = VERSION,
    as_json: bool = JSON,
) -> None:
    """Change a post's text; refused when it no longer fits or drops the article's link."""
    import click

    from bot import desk
    from bot.errors import Refused

    who = actor()
    with _open(ctx) as (settings, store):
        if text == "-":
            text = sys.stdin.read()
        elif text is None:
            row = store.get_delivery(delivery_id)
            if row is None:
                raise Refused(f"no delivery with id {delivery_id}")
            version = version if version is not None else row.version
            text = click.edit(row.text + "\n", extension=".txt", require_save=True)
            if text is None:
                raise Refused(f"delivery {delivery_id} not changed: the editor was closed "
                              "without saving")
        new_text = text
        _each([delivery_id], lambda i: desk.edit(settings, store, i, new_text, version=version,
                                                 actor=who), "edited", as_json)


@app.command()
def reschedule(
    ctx: typer.Context,
    delivery_id: int = typer.Argument(..., metavar="ID"),
    at: str = typer.Option(..., "--at", help="2026-05-01T09:30 (the account's clock unless it "
                           "has an offset), or +90m, +2h, +1d."),
    version: int | None = VERSION,
    as_json: bool = JSON,
) -> None:
    """Send a delivery no earlier than a given time (window, spacing and cap still apply)."""
    from bot import desk
    from bot.errors import Refused

    who = actor()
    with _open(ctx) as (settings, store):
        row = store.get_delivery(delivery_id)
        if row is None:
            raise Refused(f"no delivery with id {delivery_id}")
        tz = desk.item(settings, row).tz
        when = desk.parse_when(at, tz)
        _each([delivery_id], lambda i: desk.reschedule(store, i, when, version=version,
                                                       actor=who), "rescheduled", as_json)
