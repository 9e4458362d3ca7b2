"""``bot send ID``: send one delivery now — a preview waiting for a decision, or a failed one."""

from __future__ import annotations

import typer

from bot.cli import app, state, views


@app.command()
def send(
    ctx: typer.Context,
    delivery_id: int = typer.Argument(..., metavar="ID", help="Delivery id (see bot status)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """Send one delivery now: previewed in dry run, failed, dead, skipped or still queued.

    One attempt from this process, whatever the account's window, spacing or cap (as
    `bot post` does); a failure is left to the daemon's retries or another `bot send`.
    """
    from bot.manual import send_now
    from bot.store import open_store

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        outcome = send_now(settings, store, delivery_id)
    finally:
        store.close()
    if as_json:
        views.print_json({"delivery": delivery_id, **outcome.as_json(),
                          "account": outcome.account, "retry_hint": views.retry_hint(outcome)})
    else:
        views.show_outcome_lines([outcome])
    if not outcome.ok:
        raise typer.Exit(1)
