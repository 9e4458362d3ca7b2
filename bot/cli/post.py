"""``bot post`` and ``bot preview``: one article in, platform posts out."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import TYPE_CHECKING

import typer

from bot.cli import app, fail, state, views

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.pipeline import Prepared


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = [v.strip() for item in values for v in item.split(",") if v.strip()]
    return out or None


ARTICLE_HELP = "An http(s) URL, an .html/.htm/.md/.txt file, or '-' for stdin."


@app.command()
def preview(
    ctx: typer.Context,
    article: str = typer.Argument(..., help=ARTICLE_HELP, metavar="ARTICLE"),
    platform: list[str] | None = typer.Option(
        None, "--platform", "-p", help="Only these platforms (comma-separated)."
    ),
    account: list[str] | None = typer.Option(None, "--account", "-a", help="Only these accounts."),
    url: str | None = typer.Option(
        None, "--url", help="Canonical link of the article (overrides the page's)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document instead of panels."
    ),
) -> None:
    """Show exactly what would be posted for ARTICLE (same as `bot post --dry-run`)."""
    _dry_run(ctx, article, platform, account, url, as_json)


@app.command()
def post(
    ctx: typer.Context,
    article: str = typer.Argument(..., help=ARTICLE_HELP, metavar="ARTICLE"),
    platform: list[str] | None = typer.Option(
        None, "--platform", "-p", help="Only these platforms (comma-separated)."
    ),
    account: list[str] | None = typer.Option(None, "--account", "-a", help="Only these accounts."),
    dry_run: bool = typer.Option(False, "--dry-run", "-n", help="Render and show; send nothing."),
    url: str | None = typer.Option(
        None, "--url", help="Canonical link of the article (overrides the page's)."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON document instead of panels."
    ),
    force: bool = typer.Option(
        False, "--force", help="Post again even where the ledger says it was sent."
    ),
) -> None:
    """Post ARTICLE to every enabled account (or --platform/--account), once."""
    if dry_run:
        _dry_run(ctx, article, platform, account, url, as_json)
        return
    from bot.manual import publish_by_hand

    settings = state(ctx).settings()
    prepared = _prepare(settings, article, platform, account, url)
    outcomes = publish_by_hand(prepared, settings, force=force)
    if force:
        views.show_warnings(["--force: posting again where the ledger says it was already sent"])
    views.show_warnings(prepared.warnings)
    if as_json:
        by_account = {o.account: o for o in outcomes}
        posts = []
        for p in prepared.posts:
            d = views.post_json(p)
            o = by_account.get(p.account)
            if o is not None:
                d.update(o.as_json(), retry_hint=views.retry_hint(o))
            posts.append(d)
        views.print_json({"article": views.article_json(prepared.article), "posts": posts})
    else:
        # Panels may cut a long subtitle to the terminal's width: they get the short status,
        # and the full result (the post's URL, or the error) follows on plain, unwrapped lines.
        short = {o.account: replace(o, url=None, error=None).summary() for o in outcomes}
        views.show_prepared(prepared, status=short)
        views.show_outcome_lines(outcomes)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


def _prepare(settings: Settings, article: str, platform: list[str] | None,
             account: list[str] | None, url: str | None) -> Prepared:
    from bot.pipeline import prepare

    return prepare(article, settings, url=url, platforms=_split(platform),
                   accounts=_split(account), stdin=sys.stdin.buffer)


def _dry_run(
    ctx: typer.Context,
    article: str,
    platform: list[str] | None,
    account: list[str] | None,
    url: str | None,
    as_json: bool,
) -> None:
    prepared = _prepare(state(ctx).settings(), article, platform, account, url)
    views.show_warnings(prepared.warnings)
    if as_json:
        views.print_json(
            {
                "article": views.article_json(prepared.article),
                "posts": [views.post_json(p) for p in prepared.posts],
            }
        )
    else:
        views.show_prepared(prepared)
    if not all(p.fits for p in prepared.posts):
        raise fail("a post does not fit its platform's limit", 1)
