"""``bot web`` (serve the editor's desk) and ``bot web passwd`` (who may sign in)."""

from __future__ import annotations

import re
import sys

import typer

from bot.cli import app, state

web_app = typer.Typer(help="The editor's desk in a browser.", no_args_is_help=False)
app.add_typer(web_app, name="web")

USER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MIN_PASSWORD = 10


@web_app.callback(invoke_without_command=True)
def web(
    ctx: typer.Context,
    host: str | None = typer.Option(None, "--host", help="Listen address [web.host]."),
    port: int | None = typer.Option(None, "--port", min=0, max=65535, help="Port [web.port]."),
) -> None:
    """Serve the editor's desk (127.0.0.1:8788 unless configured; see README, "Editor's desk")."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.store import open_store
    from bot.web.server import DeskServer

    settings = state(ctx).settings()
    store = open_store(settings)
    try:
        DeskServer(settings, store, host=host, port=port).serve_forever()
    finally:
        store.close()


@web_app.command("passwd")
def passwd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Who signs in (letters, digits, _.-)."),
    read_only: bool = typer.Option(False, "--read-only", help="May look, may not change posts."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
) -> None:
    """Set a desk user's password; its argon2 hash goes to the secrets directory."""
    from bot.adapters.auth import write_secret_file
    from bot.errors import ConfigError
    from bot.web.security import hash_password, new_token

    if not USER_RE.match(name):
        raise ConfigError(f"not a user name: {name!r} (letters, digits, '_', '.', '-')")
    settings = state(ctx).settings()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt(f"password for {name}", hide_input=True,
                                confirmation_prompt=True)
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"the password is too short (at least {MIN_PASSWORD} characters)")
    folder, other = ("viewers", "users") if read_only else ("users", "viewers")
    base = settings.token_dir
    target = write_secret_file(base, ("web", folder, name), hash_password(password))
    (base / "web" / other / name).unlink(missing_ok=True)  # one role per name
    if settings.web.session_secret is None and not (base / "web" / "session_secret").exists():
        write_secret_file(base, ("web", "session_secret"), new_token())
    role = "read-only" if read_only else "editor"
    typer.echo(f"desk user {name} ({role}): password hash stored in {target}")
