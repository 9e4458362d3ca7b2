"""``bot config``: show and check the effective settings (secrets masked)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli import app, state, views

if TYPE_CHECKING:
    from bot.config import Settings

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
        f"{feeds_line(settings)}"
    )


def feeds_line(settings: Settings) -> str:
    """How many feeds are configured, and whether one of them is the bundled sample."""
    from bot.demo import is_sample_feed_url

    n = len(settings.feeds)
    sample = [f.name for f in settings.feeds if is_sample_feed_url(f.url)]
    if n == 0:
        return "0 feeds configured (the daemon posts only what `bot post` queues)"
    if sample and n == len(sample):
        return (f"{n} feed{'s' if n > 1 else ''}: the bundled sample feed (a demo, dry run only; "
                "add `feeds:` to your config for real articles)")
    if sample:
        return f"{n} feeds configured ({', '.join(sample)} is the bundled sample: dry run only)"
    return f"{n} feed{'s' if n > 1 else ''} configured, none is the bundled sample"


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
