"""Settings: a YAML file, ``BOT_*`` environment variables, ``.env`` and a secrets directory.

Precedence, highest first: keyword arguments, environment (``BOT_`` prefix, nested with
``__``), ``.env``, the secrets directory (Docker secrets, nested with sub-folders), the
YAML file, then the embedded defaults. Secrets are :class:`~pydantic.SecretStr` and are
only ever shown masked.
"""

from __future__ import annotations

import os
import re
from contextvars import ContextVar
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from bot.demo import SAMPLE_FEED, is_sample_feed_url
from bot.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_PATH = Path("config/bot.yaml")
DEFAULT_SECRETS_DIRS = (Path("/run/secrets"),)

Platform = Literal["twitter", "facebook", "youtube"]
PLATFORMS: tuple[str, ...] = ("twitter", "facebook", "youtube")
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Credentials(_Model):
    """Secrets for one account. Which keys are needed depends on the platform."""

    # X / Twitter, OAuth 1.0a user context
    consumer_key: SecretStr | None = None
    consumer_secret: SecretStr | None = None
    access_token: SecretStr | None = None
    access_token_secret: SecretStr | None = None
    # X / Twitter OAuth 2.0 user token (and refresh), YouTube OAuth client
    bearer_token: SecretStr | None = None
    refresh_token: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    # Facebook
    page_token: SecretStr | None = None
    app_id: SecretStr | None = None
    app_secret: SecretStr | None = None
    # Webhook for YouTube hand-offs (Slack-compatible URLs embed a secret)
    webhook_url: SecretStr | None = None

    def present(self) -> set[str]:
        return {k for k, v in self if v is not None and v.get_secret_value() != ""}

    def value(self, key: str) -> str | None:
        """The secret ``key`` in clear (None when it is not set or empty)."""
        secret = getattr(self, key)
        return (secret.get_secret_value() or None) if secret is not None else None


class PostingWindow(_Model):
    """Local hours in which an account may post; outside them is quiet time."""

    start: time = time(7, 0)
    end: time = time(22, 0)

    def contains(self, t: time) -> bool:
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # window over midnight


class Account(_Model):
    """One place posts go to: an X account, a Facebook Page, a YouTube channel."""

    name: str
    platform: Platform
    enabled: bool = True
    dry_run: bool | None = None
    """True: never send. False: send. None (default): dry run when it has no credentials."""
    template: Path | None = None
    max_length: int | None = Field(default=None, gt=0)
    hashtags: int | None = Field(default=None, ge=0)
    utm: dict[str, str] = Field(default_factory=dict)
    api_base: str | None = None
    timezone: str = "UTC"
    window: PostingWindow | None = None
    min_spacing_minutes: float = Field(default=10, ge=0)
    daily_cap: int | None = Field(default=None, ge=1)
    # X / Twitter
    auth: Literal["oauth1", "oauth2"] = "oauth1"
    thread: bool = False
    thread_max: int = Field(default=4, ge=1, le=25)
    # Facebook
    page_id: str | None = None
    graph_version: str = "v26.0"
    schedule_minutes: int | None = Field(default=None, ge=10, le=43200)
    # YouTube
    mode: Literal["handoff", "comment"] = "handoff"

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("use lower-case letters, digits and '_' (it names env variables)")
        return v

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name like Europe/Istanbul)"
            ) from None
        return v

    @field_validator("graph_version")
    @classmethod
    def _graph(cls, v: str) -> str:
        if not re.fullmatch(r"v\d+\.\d+", v):
            raise ValueError("Graph API version looks like v26.0")
        return v

    @field_validator("api_base")
    @classmethod
    def _base(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://", v):
            raise ValueError("api_base must be an http(s) URL")
        return v.rstrip("/") if v else v

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Feed(_Model):
    """A feed to watch and the accounts its new articles go to."""

    name: str
    url: str
    accounts: list[str] | None = None
    """Account names to post to; None means every enabled account."""
    include_categories: list[str] = Field(default_factory=list)
    exclude_categories: list[str] = Field(default_factory=list)
    include_keywords: list[str] = Field(default_factory=list)
    exclude_keywords: list[str] = Field(default_factory=list)
    max_age_hours: float = Field(default=72, gt=0)
    backfill: int = Field(default=0, ge=0)
    interval_seconds: float = Field(default=300, ge=1)
    jitter_seconds: float = Field(default=15, ge=0)
    fetch_page: Literal["auto", "always", "never"] = "auto"
    """auto: use content:encoded when the feed has it, else fetch the page."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError("use lower-case letters, digits and '_'")
        return v


class Boilerplate(_Model):
    use_defaults: bool = True
    drop_lines: list[str] = Field(default_factory=list)
    """Extra regular expressions: a matching line (paragraph) is dropped."""
    cut_from: list[str] = Field(default_factory=list)
    """Extra regular expressions: a matching line and everything after it is dropped."""


class SummaryConfig(_Model):
    sentences: int = Field(default=3, ge=1, le=20)
    hashtags: int = Field(default=2, ge=0, le=10)
    """Hashtags per post; 0 disables them."""
    hashtag_mode: Literal["auto", "tags_only"] = "auto"
    """auto: the article's own tags, else names from its headline and lead; tags_only: only
    the article's own tags (none when it has none)."""
    language: str = "en"
    """Fallback language for sentence splitting when the article does not say."""


class Http(_Model):
    timeout_seconds: float = Field(default=15, gt=0)
    max_bytes: int = Field(default=5_000_000, gt=0)
    max_redirects: int = Field(default=5, ge=0)
    user_agent: str = "pubbot/0.1 (+https://example.org/pubbot)"
    concurrency: int = Field(default=10, ge=1, le=200)


class Health(_Model):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    max_poll_age_seconds: float = Field(default=1800, gt=0)


class Scheduler(_Model):
    dispatch_interval_seconds: float = Field(default=5, gt=0)
    max_attempts: int = Field(default=8, ge=1)
    backoff_base_seconds: float = Field(default=30, gt=0)
    backoff_max_seconds: float = Field(default=3600, gt=0)
    lease_seconds: float = Field(default=300, gt=0)
    lookup_margin_seconds: float = Field(default=60, ge=0)
    reconcile_interval_seconds: float = Field(default=60, gt=0)
    account_check_hours: float = Field(default=24, gt=0)
    token_expiry_warn_days: float = Field(default=7, ge=0)


class Settings(BaseSettings):
    """Everything the bot can be told. See README, "Configuration"."""

    model_config = SettingsConfigDict(
        env_prefix="BOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="forbid",
    )

    site_name: str = "Sample Publication"
    data_dir: Path = Path("data")
    database_url: str | None = None
    """SQLAlchemy URL; default: SQLite file ``<data_dir>/bot.db``."""
    secrets_dir: Path | None = None
    """Where `bot auth` writes tokens; default ``<data_dir>/secrets``."""
    templates_dir: Path | None = None
    """A folder whose ``<platform>.j2`` files replace the bundled templates."""
    accounts: list[Account] = Field(default_factory=lambda: default_accounts())
    feeds: list[Feed] = Field(default_factory=list)
    """No default: the bundled sample feed is a demo, used only when there is no configuration
    at all (see :func:`load_settings`)."""
    credentials: dict[str, Credentials] = Field(default_factory=dict)
    summary: SummaryConfig = Field(default_factory=SummaryConfig)
    boilerplate: Boilerplate = Field(default_factory=Boilerplate)
    http: Http = Field(default_factory=Http)
    health: Health = Field(default_factory=Health)
    scheduler: Scheduler = Field(default_factory=Scheduler)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "text", "json"] = "auto"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings, dotenv_settings]
        from pydantic_settings import NestedSecretsSettingsSource

        for d in _SECRETS_DIRS.get():
            if d.is_dir():
                sources.append(
                    NestedSecretsSettingsSource(
                        file_secret_settings,
                        secrets_dir=d,
                        secrets_nested_subdir=True,
                        secrets_dir_missing="ok",
                        secrets_prefix="",
                    )
                )
        yaml_path = _YAML_PATH.get()
        if yaml_path is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=yaml_path))
        return tuple(sources)

    # -- derived -------------------------------------------------------------
    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'bot.db').resolve()}"

    @property
    def token_dir(self) -> Path:
        return self.secrets_dir or (self.data_dir / "secrets")

    def account(self, name: str) -> Account:
        for a in self.accounts:
            if a.name == name:
                return a
        raise ConfigError(
            f"no account named {name!r} (configured: {', '.join(self.account_names)})"
        )

    @property
    def account_names(self) -> list[str]:
        return [a.name for a in self.accounts]

    def creds(self, account: str) -> Credentials:
        return self.credentials.get(account) or Credentials()

    def is_dry_run(self, account: Account) -> bool:
        """Explicit flag wins; otherwise an account without any credentials is a dry run."""
        if account.dry_run is not None:
            return account.dry_run
        return not self.creds(account.name).present()


def default_accounts() -> list[Account]:
    """The embedded demo accounts: one per platform, dry run until credentials appear.

    They post without spacing so that a first `bot run` shows every sample article at once;
    a real configuration lists its own accounts (default spacing: 10 minutes).
    """
    return [
        Account(
            name=name,
            platform=platform,
            min_spacing_minutes=0,
            utm={"utm_source": platform, "utm_medium": "social"},
        )
        for name, platform in (("x", "twitter"), ("facebook", "facebook"), ("youtube", "youtube"))
    ]


def default_feeds() -> list[Feed]:
    """The demo: the bundled sample feed (used only with no configuration at all)."""
    return [Feed(name="sample", url=str(SAMPLE_FEED), backfill=10, max_age_hours=24 * 365 * 100)]


NO_FEEDS_FIX = (
    "list your feeds under `feeds:` in the config file (config/bot.yaml or --config; "
    "`feeds: []` to post only by hand with `bot post`); the bundled sample feed is a demo, "
    "used only with no configuration and no credentials"
)


def feed_problems(s: Settings) -> list[str]:
    """The sample feed never reaches a live account: no feeds configured while an account is
    live is a problem (the sample feed is not a default for real accounts), and so is a
    configured feed that reads the bundled sample file and is routed to a live account."""
    live = {a.name for a in s.accounts if a.enabled and not s.is_dry_run(a)}
    if not live:
        return []
    if "feeds" not in s.model_fields_set:
        return [f"feeds: none configured while {', '.join(sorted(live))} "
                f"{'is' if len(live) == 1 else 'are'} live: {NO_FEEDS_FIX}"]
    return [
        f"feeds.{i}.url: the bundled sample feed is a demo and cannot feed a live account; "
        "use your own feed's URL"
        for i, f in enumerate(s.feeds)
        if is_sample_feed_url(f.url) and (f.accounts is None or live & set(f.accounts))
    ]


def with_demo_feed(s: Settings, config_file: Path | None) -> Settings:
    """The sample feed when nothing at all is configured (no config file, no accounts or
    feeds from the environment) and every account is in dry run; otherwise ``s`` as it is."""
    given = s.model_fields_set
    if config_file is not None or "feeds" in given or "accounts" in given:
        return s
    if any(a.enabled and not s.is_dry_run(a) for a in s.accounts):
        return s  # feed_problems() refuses this configuration
    return s.model_copy(update={"feeds": default_feeds()})


_YAML_PATH: ContextVar[Path | None] = ContextVar("_YAML_PATH", default=None)
_SECRETS_DIRS: ContextVar[tuple[Path, ...]] = ContextVar("_SECRETS_DIRS", default=())


def resolve_config_path(explicit: Path | str | None) -> Path | None:
    """--config, else $BOT_CONFIG, else config/bot.yaml when it exists, else None (defaults)."""
    if explicit:
        p = Path(explicit)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        return p
    env = os.environ.get("BOT_CONFIG")
    if env:
        p = Path(env)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p} (from BOT_CONFIG)")
        return p
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.is_file() else None


def _problem_lines(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting"
        lines.append(f"{loc}: {msg}")
    return lines


def load_settings(config: Path | str | None = None, **overrides: Any) -> Settings:
    """Load and cross-check the settings, or raise ConfigError with one line per problem.

    The token directory (``secrets_dir``, where `bot auth` writes) is read as a secrets
    directory of its own, ahead of the others, so stored and refreshed tokens are used
    without further configuration.
    """
    path = resolve_config_path(config)
    if path is not None:
        _check_yaml(path)
    dirs: list[Path] = [
        Path(p) for p in os.environ.get("BOT_SECRETS_DIRS", "").split(os.pathsep) if p
    ]
    dirs += [d for d in DEFAULT_SECRETS_DIRS]
    settings = _build(path, dirs, overrides)
    tokens = settings.token_dir
    if tokens.is_dir() and all(tokens.resolve() != d.resolve() for d in dirs):
        settings = _build(path, [tokens, *dirs], overrides)
    problems = cross_check(settings) + feed_problems(settings)
    if problems:
        raise ConfigError(f"invalid configuration ({len(problems)} problems)", problems)
    return with_demo_feed(settings, path)


def _check_yaml(path: Path) -> None:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc.__class__.__name__})") from None
    if data is not None and not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings")


def _build(path: Path | None, dirs: list[Path], overrides: dict[str, Any]) -> Settings:
    ytok = _YAML_PATH.set(path)
    stok = _SECRETS_DIRS.set(tuple(dirs))
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = _problem_lines(exc)
        raise ConfigError(f"invalid configuration ({len(problems)} problems)", problems) from None
    finally:
        _YAML_PATH.reset(ytok)
        _SECRETS_DIRS.reset(stok)


def cross_check(s: Settings) -> list[str]:
    """Problems that span several settings: duplicate names, unknown routes."""
    problems: list[str] = []
    names = s.account_names
    for n in {n for n in names if names.count(n) > 1}:
        problems.append(f"accounts: name {n!r} is used twice")
    feed_names = [f.name for f in s.feeds]
    for n in {n for n in feed_names if feed_names.count(n) > 1}:
        problems.append(f"feeds: name {n!r} is used twice")
    for i, f in enumerate(s.feeds):
        for a in f.accounts or []:
            if a not in names:
                problems.append(f"feeds.{i}.accounts: no account named {a!r}")
    for n in s.credentials:
        if n not in names:
            problems.append(f"credentials.{n}: no account named {n!r}")
    for i, acc in enumerate(s.accounts):
        if acc.template is not None and not acc.template.is_file():
            problems.append(f"accounts.{i}.template: file not found: {acc.template}")
        if acc.platform == "facebook" and not s.is_dry_run(acc) and not acc.page_id:
            problems.append(f"accounts.{i}.page_id: a live Facebook account needs its Page id")
    if s.templates_dir is not None and not s.templates_dir.is_dir():
        problems.append(f"templates_dir: folder not found: {s.templates_dir}")
    return problems


def masked_dump(s: Settings) -> dict[str, Any]:
    """The effective settings as plain data, every secret replaced by '********'."""
    data = s.model_dump(mode="json")  # SecretStr dumps as '**********'
    data["database_url"] = mask_url(s.db_url)
    for feed in data.get("feeds", []):
        feed["url"] = mask_url(feed["url"])
    return data


def mask_url(url: str) -> str:
    """Hide a password in a database, feed or webhook URL."""
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1********@", url)
