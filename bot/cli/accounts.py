"""``bot accounts`` (check, resume) and ``bot auth`` (get credentials once)."""

from __future__ import annotations

import typer

from bot.cli import app, fail, state, views

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
    from bot.dispatch import open_store

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
                        "expires_at": r.expires_at.isoformat() if r.expires_at else None,
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
    from bot.dispatch import open_store

    settings = state(ctx).settings()
    settings.account(name)
    store = open_store(settings)
    try:
        store.resume_account(name)
    finally:
        store.close()
    typer.echo(f"account {name} resumed")


def _secret(value: str | None, what: str) -> str:
    if value:
        return value
    return str(typer.prompt(what, hide_input=True))


def _save(ctx: typer.Context, account: str, values: dict[str, str]) -> None:
    from bot.adapters.auth import write_secret

    settings = state(ctx).settings()
    for key, value in values.items():
        path = write_secret(settings.token_dir, account, key, value)
        typer.echo(f"stored {key} in {path} (mode 0600)")
    typer.echo("the bot reads them from there from now on (run `bot accounts check`)")


def _account(ctx: typer.Context, name: str, platform: str) -> str:
    settings = state(ctx).settings()
    acc = settings.account(name)
    if acc.platform != platform:
        raise fail(f"account {name!r} is a {acc.platform} account, not {platform}")
    return acc.api_base or ""


@auth_app.command("twitter")
def auth_twitter(
    ctx: typer.Context,
    account: str = typer.Option("x", "--account", "-a", help="Account name in the config."),
) -> None:
    """OAuth 1.0a PIN flow: authorise the app for an X account; stores the access token."""
    from bot.adapters.auth import twitter_pin_flow

    base = _account(ctx, account, "twitter")
    settings = state(ctx).settings()
    creds = settings.creds(account)
    ck = _secret(
        creds.consumer_key.get_secret_value() if creds.consumer_key else None,
        "API key (consumer key)",
    )
    cs = _secret(
        creds.consumer_secret.get_secret_value() if creds.consumer_secret else None,
        "API key secret (consumer secret)",
    )
    values = twitter_pin_flow(
        ck, cs, prompt=lambda q: str(typer.prompt(q)), echo=typer.echo, api_base=base or None
    )
    values.setdefault("consumer_key", ck)
    values.setdefault("consumer_secret", cs)
    _save(ctx, account, values)


@auth_app.command("youtube")
def auth_youtube(
    ctx: typer.Context,
    account: str = typer.Option("youtube", "--account", "-a", help="Account name in the config."),
) -> None:
    """Installed-app OAuth flow: prints a URL, reads the code, stores the refresh token."""
    from bot.adapters.auth import youtube_installed_flow

    base = _account(ctx, account, "youtube")
    creds = state(ctx).settings().creds(account)
    cid = _secret(
        creds.client_id.get_secret_value() if creds.client_id else None, "OAuth client id"
    )
    csec = _secret(
        creds.client_secret.get_secret_value() if creds.client_secret else None,
        "OAuth client secret",
    )
    values = youtube_installed_flow(
        cid, csec, prompt=lambda q: str(typer.prompt(q)), echo=typer.echo, api_base=base or None
    )
    values.setdefault("client_id", cid)
    values.setdefault("client_secret", csec)
    _save(ctx, account, values)


@auth_app.command("facebook")
def auth_facebook(
    ctx: typer.Context,
    account: str = typer.Option("facebook", "--account", "-a", help="Account name in the config."),
) -> None:
    """Exchange a user token for a long-lived one and store the Page token from /me/accounts."""
    from bot.adapters.auth import facebook_exchange

    base = _account(ctx, account, "facebook")
    settings = state(ctx).settings()
    acc = settings.account(account)
    creds = settings.creds(account)
    app_id = _secret(creds.app_id.get_secret_value() if creds.app_id else None, "App id")
    app_secret = _secret(
        creds.app_secret.get_secret_value() if creds.app_secret else None, "App secret"
    )
    user_token = _secret(None, "User access token (from the Graph API Explorer)")
    values = facebook_exchange(
        app_id,
        app_secret,
        user_token,
        acc.page_id,
        api_base=base or None,
        graph_version=acc.graph_version,
        echo=typer.echo,
    )
    # as for X and YouTube, keep the app's keys beside the token (appsecret_proof needs them)
    values.setdefault("app_id", app_id)
    values.setdefault("app_secret", app_secret)
    _save(ctx, account, values)


@auth_app.command("bluesky")
def auth_bluesky(
    ctx: typer.Context,
    account: str = typer.Option("bluesky", "--account", "-a", help="Account name in the config."),
) -> None:
    """Sign in with the handle and an app password; stores the password and the session."""
    from bot.adapters.auth_social import bluesky_sign_in

    base = _account(ctx, account, "bluesky")
    settings = state(ctx).settings()
    acc = settings.account(account)
    if not acc.handle:
        raise fail(f"account {account!r}: set its handle (e.g. handle: news.example.org) first")
    creds = settings.creds(account)
    password = _secret(
        creds.app_password.get_secret_value() if creds.app_password else None,
        "App password (Settings → Privacy and security → App passwords)",
    )
    values = bluesky_sign_in(acc.handle, password, echo=typer.echo, api_base=base or None,
                             timeout=settings.http.timeout_seconds)
    _save(ctx, account, values)


@auth_app.command("mastodon")
def auth_mastodon(
    ctx: typer.Context,
    account: str = typer.Option("mastodon", "--account", "-a", help="Account name in the config."),
) -> None:
    """Register the app on the account's server, authorise it, store the access token."""
    from bot.adapters.auth_social import mastodon_authorize

    base = _account(ctx, account, "mastodon")
    settings = state(ctx).settings()
    acc = settings.account(account)
    server = base or acc.server
    if not server:
        raise fail(f"account {account!r}: set its server (e.g. server: https://mastodon.social)")
    creds = settings.creds(account)
    values = mastodon_authorize(
        server, prompt=lambda q: str(typer.prompt(q)), echo=typer.echo,
        client_id=creds.client_id.get_secret_value() if creds.client_id else None,
        client_secret=creds.client_secret.get_secret_value() if creds.client_secret else None,
        timeout=settings.http.timeout_seconds, user_agent=settings.http.user_agent,
    )
    _save(ctx, account, values)
