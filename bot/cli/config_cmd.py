"""``bot config``: show and check the effective settings (secrets masked)."""

from __future__ import annotations

import typer

from bot.cli import app, state, views

config_app = typer.Typer(help="Show or check the effective settings.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("show")
def show(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML."),
) -> None:
    """Print the effective settings (file + environment + secrets), every secret masked."""
    from bot.config import masked_dump

    data = masked_dump(state(ctx).settings())
    if as_json:
        views.print_json(data)
        return
    import yaml

    typer.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True).rstrip())


@config_app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate settings and templates; exit 2 with one line per problem."""
    from bot.render.templates import Templates

    settings = state(ctx).settings()
    Templates(settings).validate()
    live = [a.name for a in settings.accounts if a.enabled and not settings.is_dry_run(a)]
    dry = [a.name for a in settings.accounts if a.enabled and settings.is_dry_run(a)]
    typer.echo(
        f"configuration ok: {len(settings.accounts)} accounts "
        f"(live: {', '.join(live) or 'none'}; dry run: {', '.join(dry) or 'none'}), "
        f"{len(settings.feeds)} feeds"
    )


@app.command("platforms")
def platforms(
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """The rules of every platform: length limit, how it is counted, URLs, media, rate limit."""
    from dataclasses import asdict

    from bot.adapters.registry import all_rules
    from bot.render.rules import DOC_HEADER

    rules = all_rules()
    if as_json:
        views.print_json({"platforms": [asdict(r) for r in rules.values()]})
        return
    from rich.table import Table

    table = Table(*DOC_HEADER, box=None, pad_edge=False)
    for r in rules.values():
        table.add_row(*(cell.strip("`") for cell in r.doc_row()))
    views.console().print(table)
