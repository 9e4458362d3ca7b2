"""The ``bot`` command line. Only this package turns errors into exit codes.

Start-up matters (``bot --help`` runs often, in containers too): this module and the
command modules import only Typer at module level; settings, the pipeline and the
adapters are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from bot.errors import BotError, ConfigError

if TYPE_CHECKING:
    from bot.config import Settings

INTERNAL_ERROR = 70
"""Exit code for a bug (an exception that is not a BotError): sysexits' EX_SOFTWARE."""

app = typer.Typer(
    name="bot",
    help="Announce published articles on X/Twitter, Facebook Pages and YouTube — once, on time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class State:
    """Options shared by every command, with the settings loaded on first use."""

    def __init__(self, config: Path | None, log_level: str | None, log_format: str | None) -> None:
        self.config = config
        self.log_level = log_level
        self.log_format = log_format
        self._settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        if self._settings is None:
            from bot.config import load_settings

            if self.log_level:
                overrides.setdefault("log_level", self.log_level.upper())
            if self.log_format:
                overrides.setdefault("log_format", self.log_format)
            self._settings = load_settings(self.config, **overrides)
            setup_logging(self._settings)
        return self._settings


def setup_logging(settings: Settings) -> None:
    """Configure logging and hide every configured secret from it."""
    from bot.logs import setup_logging as _setup
    from bot.logs.redact import install_redaction

    _setup(settings.log_level, settings.log_format)
    values = [
        v.get_secret_value()
        for c in settings.credentials.values()
        for _, v in c
        if v is not None and v.get_secret_value()
    ]
    install_redaction(values)


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


@app.callback()
def _root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None,
        "--config",
        "-c",
        envvar="BOT_CONFIG",
        help="YAML settings file [default: config/bot.yaml if present].",
    ),
    log_level: str | None = typer.Option(
        None, "--log-level", help="DEBUG, INFO, WARNING or ERROR (overrides the settings)."
    ),
    log_format: str | None = typer.Option(
        None, "--log-format", help="auto, text or json (JSON lines for log collectors)."
    ),
) -> None:
    ctx.obj = State(config, log_level, log_format)


def _register() -> None:
    from bot.cli import accounts, config_cmd, daemon, ledger, post, send, status  # noqa: F401


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear line on stderr and return the Exit to raise."""
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(code)


def main() -> None:
    """Console-script entry point: run the app, turn our errors into one line and an exit code."""
    _register()
    try:
        app()
    except ConfigError as exc:
        for line in exc.problems:
            sys.stderr.write(f"config error: {line}\n")
        sys.exit(exc.exit_code)
    except BotError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line; the traceback goes to the DEBUG log
        import logging

        logging.getLogger("bot").debug("internal error", exc_info=True)
        sys.stderr.write(
            f"internal error: {exc.__class__.__name__}: {exc} "
            "(please report it; run with --log-level DEBUG for the traceback)\n"
        )
        sys.exit(INTERNAL_ERROR)
