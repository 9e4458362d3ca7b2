"""The one error tree of the bot.

Every failure the bot knows how to describe is a :class:`BotError`. Stages raise
the most specific class; only :mod:`bot.cli` turns them into exit codes, and the
scheduler records them on the delivery or feed they belong to.

::

    BotError
    ├── ConfigError            settings or templates that cannot be used (exit 2)
    ├── SourceError            the article or feed could not be read (exit 2)
    │   └── FetchError         HTTP fetch failed: status, size cap, content type, network
    ├── ExtractError           no usable article in what was read (exit 2)
    ├── RenderError            a template failed while rendering, or a post cannot fit
    ├── PublishError           the platform did not take the post (exit 1)
    │   ├── AuthError          credentials missing, invalid, expired or revoked
    │   ├── RateLimited        slow down; ``retry_after`` seconds (or None if unknown)
    │   ├── Rejected           the platform refused this content; retrying will not help
    │   ├── AlreadyPosted      the platform says it is a duplicate: for us, a success
    │   └── Transient          5xx, timeout, connection reset: retry later
    └── StoreError             the database could not be read or written (exit 3)
        └── LockLost           another daemon took over this SQLite database's lock

Messages are one line, meant for a human, and never carry a secret. Anything else that
escapes a command is a bug: the CLI prints one line and exits 70 (``EX_SOFTWARE``).
"""

from __future__ import annotations


class BotError(Exception):
    """Base of every error the bot raises on purpose."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(BotError):
    """Settings, accounts or templates that cannot be used."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class SourceError(BotError):
    """An article or feed could not be read."""

    exit_code = 2


class FetchError(SourceError):
    """An HTTP fetch failed (status, size cap, content type, network, redirects)."""

    def __init__(self, message: str, *, status: int | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class ExtractError(BotError):
    """The input held no usable article."""

    exit_code = 2


class RenderError(BotError):
    """A template failed while rendering or a post cannot be made to fit."""

    exit_code = 2


class PublishError(BotError):
    """The platform did not take the post."""

    exit_code = 1
    retryable = False


class AuthError(PublishError):
    """Credentials are missing, invalid, expired or revoked: pause the account."""


class RateLimited(PublishError):
    """The platform asks us to slow down for ``retry_after`` seconds (None: unknown)."""

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Rejected(PublishError):
    """The platform refused this content; sending it again will not help."""


class AlreadyPosted(PublishError):
    """The platform reports a duplicate: the post is already there."""

    def __init__(
        self, message: str, remote_id: str | None = None, remote_url: str | None = None
    ) -> None:
        super().__init__(message)
        self.remote_id = remote_id
        self.remote_url = remote_url


class Transient(PublishError):
    """A temporary failure (5xx, timeout, connection error): retry with backoff."""

    retryable = True


class StoreError(BotError):
    """The database could not be read or written."""

    exit_code = 3


class LockLost(StoreError):
    """Another daemon took over the single-daemon lock of this SQLite database: stop."""
