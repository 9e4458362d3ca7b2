"""``bot accounts`` (check, resume) and ``bot auth`` (get credentials once)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from bot.cli import app, fail, state, views
from bot.clock import iso

if TYPE_CHECKING:
    from bot.config import Account, Credentials

accounts_app = typer.Typer(
    help="Configured accounts: check credentials, resume a paused one.", no_args_is_help=True
)
auth_app = typer.Typer(
    help="Get credentials once and store them in the secrets directory.", no_args_is_help=True
)
app.add_typer(accounts_app, name="accounts")
app.add_typer(auth_app, name="auth")


@accounts_app.command("check")
def check(
    ctx: typer.Context,
    account: list[str] | None = typer.Option(None, "--account", "-a", help="Only these accounts."),
    as_json: bool = typer.Option(False, "--json", help="One JSON document."),
) -> None:
    """Call each account's platform to confirm who it is; exit 1 if any check fails."""
    from bot.accounts import check_accounts
    from bot.store import open_store

    settings = state(ctx).settings()
    for n in account or []:
        settings.account(n)
    store = open_store(settings)
    try:
        results = check_accounts(settings, store, names=account or None)
    finally:
        store.close()
    if as_json:
        views.print_json(
            {
                "accounts": [
                    {
                        "account": r.account,
                        "platform": r.platform,
                        "ok": r.ok,
                        "mode": r.mode,
                        "identity": r.identity,
                        "expires_at": iso(r.expires_at),
                        "error": r.error,
                        "warning": r.warning,
                    }
                    for r in results
                ]
            }
        )
    else:
        from rich.table import Column, Table

        heads = ("account", "platform", "mode", "result", "identity", "token expires", "note")
        t = Table(*[Column(h, overflow="fold") for h in heads])  # never cut an id or error
        for r in results:
            t.add_row(
                r.account,
                r.platform,
                r.mode,
                "ok" if r.ok else "FAILED",
                r.identity,
                r.expires_at.date().isoformat() if r.expires_at else "-",
                r.error or r.warning or "",
            )
        views.console().print(t)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@accounts_app.command("resume")
def resume(ctx: typer.Context, name: str = typer.Argument(..., metavar="ACCOUNT")) -> None:
    """Resume an account paused after an auth error (fix its credentials first)."""
    from bot.store import open_store

    settings = state(ctx).settings()
    settings.account(name)
    store = open_store(settings)
    try:
        store.resume_account(name)
    finally:
        store.close()
    typer.echo(f"account {name} resumed")


def _ask(stored: str | None, what: str) -> str:
    """The stored credential, or else ask for it (input hidden)."""
    return stored or str(typer.prompt(what, hide_input=True))


def _auth_account(ctx: typer.Context, name: str, platform: str) -> tuple[Account, Credentials]:
    """The configured account ``name`` (it must be on ``platform``) and its credentials."""
    settings = state(ctx).settings()
    acc = settings.account(name)
    if acc.platform != platform:
        raise fail(f"account {name!r} is a {acc.platform} account, not {platform}")
    return acc, settings.creds(name)


def _save(ctx: typer.Context, account: str, values: dict[str, str],
          app_keys: dict[str, str]) -> None:
    """Store what a flow obtained, and the app's keys beside it (token refreshes and
    Facebook's appsecret_proof need them)."""
    from bot.adapters.auth import write_secret

    settings = state(ctx).settings()
    stored = dict(values)
    for key, value in app_keys.items():
        stored.setdefault(key, value)
    for key, value in stored.items():
        path = write_secret(settings.token_dir, account, key, value)
        typer.echo(f"stored {key} in {path} (mode 0600)")
    typer.echo("the bot reads them from there from now on (run `bot accounts check`)")


def _ask_line(question: str) -> str:
    return str(typer.prompt(question))


@auth_app.command("twitter")
def auth_twitter(
    ctx: typer.Context,
    account: str = typer.Option("x", "--account", "-a", help="Account name in the config."),
) -> None:
    """OAuth 1.0a PIN flow: authorise the app for an X account; stores the access token."""
    from bot.adapters.auth import twitter_pin_flow

    acc, creds = _auth_account(ctx, account, "twitter")
    keys = {"consumer_key": _ask(creds.value("consumer_key"), "API key (consumer key)"),
            "consumer_secret": _ask(creds.value("consumer_secret"),
                                    "API key secret (consumer secret)")}
    values = twitter_pin_flow(keys["consumer_key"], keys["consumer_secret"], prompt=_ask_line,
                              echo=typer.echo, api_base=acc.api_base or None)
    _save(ctx, account, values, keys)


@auth_app.command("youtube")
def auth_youtube(
    ctx: typer.Context,
    account: str = typer.Option("youtube", "--account", "-a", help="Account name in the config."),
) -> None:
    """Installed-app OAuth flow: prints a URL, reads the code, stores the refresh token."""
    from bot.adapters.auth import youtube_installed_flow

    acc, creds = _auth_account(ctx, account, "youtube")
    keys = {"client_id": _ask(creds.value("client_id"), "OAuth client id"),
            "client_secret": _ask(creds.value("client_secret"), "OAuth client secret")}
    values = youtube_installed_flow(keys["client_id"], keys["client_secret"], prompt=_ask_line,
                                    echo=typer.echo, api_base=acc.api_base or None)
    _save(ctx, account, values, keys)


@auth_app.command("facebook")
def auth_facebook(
    ctx: typer.Context,
    account: str = typer.Option("facebook", "--account", "-a", help="Account name in the config."),
) -> None:
    """Exchange a user token for a long-lived one and store the Page token from /me/accounts."""
    from bot.adapters.auth import facebook_exchange

    acc, creds = _auth_account(ctx, account, "facebook")
    keys = {"app_id": _ask(creds.value("app_id"), "App id"),
            "app_secret": _ask(creds.value("app_secret"), "App secret")}
    user_token = _ask(None, "User access token (from the Graph API Explorer)")
    values = facebook_exchange(keys["app_id"], keys["app_secret"], user_token, acc.page_id,
                               api_base=acc.api_base or None, graph_version=acc.graph_version,
                               echo=typer.echo)
    _save(ctx, account, values, keys)
