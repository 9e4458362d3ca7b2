"""What every platform adapter promises: publish, verify, find_existing, describe.

Adapters translate vendor exceptions into :mod:`bot.errors` at the boundary and never
return a bare bool. Every network call has a timeout (``settings.http.timeout_seconds``).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bot.config import Account, Credentials, Settings
from bot.errors import AuthError
from bot.logs.redact import mask, register_secrets
from bot.models import Post
from bot.render.rules import PlatformRules

Status = Literal["sent", "awaiting_human", "dry_run"]


@dataclass(frozen=True)
class PublishResult:
    """What happened to one post on one platform."""

    remote_id: str | None
    url: str | None
    status: Status
    detail: str = ""
    thread_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identity:
    """Who the credentials act as."""

    id: str
    name: str
    expires_at: datetime | None = None
    detail: str = ""
    warning: str = ""
    """Something the account's owner should act on although the credentials work
    (``bot accounts check`` shows it): e.g. no access to YouTube's posts API."""


class Adapter(ABC):
    """One live (or dry-run) connection to one account on one platform."""

    platform: ClassVar[str]
    label: ClassVar[str]
    """How the platform is named in messages (``x account 'main': …``)."""
    rules: ClassVar[PlatformRules]
    """The platform's rules (length, counting, URLs, media, rate limit): the one source
    the renderer, the dry run and the docs read."""
    needs: ClassVar[frozenset[str]] = frozenset()
    """Credential keys this adapter cannot work without."""
    default_api_base: ClassVar[str] = ""
    lookup_page_size: ClassVar[int] = 100
    """Posts per page that ``find_existing`` asks for (the platform's largest page)."""
    lookup_max_pages: ClassVar[int] = 5
    """``find_existing`` reads at most this many pages, then raises Transient (never None)."""

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        self.account = account
        self.creds = creds
        self.settings = settings
        self.timeout = settings.http.timeout_seconds
        self.api_base = (account.api_base or self.default_api_base).rstrip("/")
        self.posts_read = 0
        """Posts this adapter's look-ups returned, not yet recorded as spend (X bills each
        one; :func:`bot.budget.record_reads` records and resets it)."""
        register_secrets(self._secret_values())
        missing = sorted(self.required_credentials() - creds.present())
        if missing:
            raise AuthError(f"{self.where}: missing credentials {', '.join(missing)}")

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        rules = cls.__dict__.get("rules")
        if rules is not None and rules.platform != cls.__dict__.get("platform", rules.platform):
            raise TypeError(f"{cls.__name__}: rules are for {rules.platform!r}, "
                            f"the adapter for {cls.platform!r}")

    @classmethod
    def rules_for(cls, account: Account) -> PlatformRules:
        """The rules for one account: the platform's, with the account's ``max_length``."""
        return cls.rules.limited_to(account.max_length)

    @classmethod
    def rules_in(cls, account: Account, settings: Settings) -> PlatformRules:
        """:meth:`rules_for` plus what this installation learned about the account's server
        (Mastodon: each server's own limits, cached in ``data_dir``). Cheap: no network."""
        return cls.rules_for(account)

    # -- helpers for subclasses --------------------------------------------------------
    @property
    def where(self) -> str:
        """``x account 'main'`` — the prefix of every message about this account."""
        return f"{self.label} account {self.account.name!r}"

    def required_credentials(self) -> frozenset[str]:
        """The keys needed for this account (subclasses may depend on the auth mode)."""
        return self.needs

    def secret(self, key: str) -> str | None:
        return self.creds.value(key)

    def _secret_values(self) -> list[str]:
        return [v for k in self.creds.present() if (v := self.secret(k))]

    def credential_summary(self) -> str:
        keys = sorted(self.creds.present() | self.required_credentials())
        if not keys:
            return "none"
        return ", ".join(f"{k}={mask(self.secret(k))}" for k in keys)

    # -- the contract --------------------------------------------------------------------
    @abstractmethod
    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        """Send one post (and its thread). Raises a :class:`bot.errors.PublishError`."""

    @abstractmethod
    def verify(self) -> Identity:
        """Check the credentials against the platform and say whom they act as."""

    @abstractmethod
    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """An already-published post containing ``link``; None: definitely not there.

        Reads the account's posts newest first, following the platform's paging, back to
        ``since`` (the first attempt's time; None: as far as the page budget goes), using the
        platform's own time filter where it has one. None only after the whole window was
        read; a read cut short (an error, a quota, ``lookup_max_pages``) raises
        :class:`bot.errors.Transient` (or another PublishError). See
        :mod:`bot.adapters.lookup`.
        """

    def describe(self) -> str:
        """One line: platform, account, API base, credentials (masked)."""
        return (
            f"{self.label} account {self.account.name!r} via {self.api_base}; "
            f"credentials: {self.credential_summary()}"
        )

    # -- optional features: defaults for platforms that lack them ---------------------------
    def paused_until(self, now: float | None = None) -> float | None:
        """Unix seconds until which the platform will refuse posts from this account, when
        its last answer said the rate-limit window is used up; None: posts are left, or the
        platform does not say."""
        return None

    def refreshed_credentials(self) -> dict[str, str]:
        """Credential keys this adapter renewed while working (e.g. a rotated OAuth 2.0
        refresh token), to be stored for the next run; empty when nothing changed."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release network resources. Adapters are context managers: whoever makes one
        closes it after use (``with get_adapter(...) as adapter:``)."""

    def __enter__(self) -> Adapter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.account.name!r}>"


def normalize_link(url: str) -> str:
    """Compare links loosely: no scheme, lower-case host, no ``www.``, no utm_*/fragment,
    no trailing slash."""
    url = url.strip()
    parts = urlsplit(url if "://" in url else "https://" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
         if not k.lower().startswith("utm_")]
    )
    path = parts.path.rstrip("/")
    return urlunsplit(("", host, path, query, "")).lstrip("/")


def text_mentions_link(text: str, link: str) -> bool:
    """True when ``text`` contains a URL that normalises to the same link."""
    target = normalize_link(link)
    for candidate in re.findall(r"(?:https?://|www\.)[^\s<>\"')\]]+", text or ""):
        if normalize_link(candidate.rstrip(".,;:!?")) == target:
            return True
    return False


def int_or_none(value: object) -> int | None:
    """``value`` as an int (a header, a JSON field), or None when it is missing or not one."""
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
