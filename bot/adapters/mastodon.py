"""Mastodon through Mastodon.py: one server (``server``), one user token (``access_token``).

Each server sets its own limits; the adapter reads them from ``GET /api/v2/instance``
(``configuration.statuses.max_characters``, ``characters_reserved_per_url``) when it checks
the account and at most once a day before it posts, and caches them in
``<data_dir>/server-limits.json`` (:mod:`bot.adapters.server_limits`), where rendering
finds them through :meth:`MastodonAdapter.rules_in` without a network call. A content
warning counts against the limit as the server counts it.

Every post carries ``Idempotency-Key: pubbot-<delivery id>-<link digest>``: the server
remembers a key for about an hour and answers a repeated one with the status it made the
first time, so a resend after a lost answer cannot post twice in that window (after it,
the look-up before every resend guards). The server builds the link card from the
article's Open Graph tags.
"""

from __future__ import annotations

import hashlib
import html
import logging
import time
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.adapters import server_limits
from bot.adapters.base import Adapter, Identity, PublishResult, text_mentions_link
from bot.adapters.lookup import Lookup
from bot.config import Account, Credentials, Settings
from bot.errors import ConfigError, PublishError, Rejected
from bot.models import Post
from bot.render.rules import PlatformRules

if TYPE_CHECKING:  # Mastodon.py (and requests) are imported on first use
    from mastodon import Mastodon

log = logging.getLogger(__name__)

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_WEIGHT = 23


class MastodonAdapter(Adapter):
    """Posts statuses to one Mastodon account."""

    platform = "mastodon"
    label = "mastodon"
    rules = PlatformRules(
        platform="mastodon", title="Mastodon", max_length=DEFAULT_MAX_CHARACTERS,
        counting="characters", url_weight=DEFAULT_URL_WEIGHT, mentions="@user@server",
        link_card=True, rate_limit=(300, 300.0),  # API calls per account per 5 minutes
        notes="defaults; each server's own limit and URL weight are read from it and cached",
    )
    needs = frozenset({"access_token"})
    lookup_page_size = 40
    """The largest page of ``GET /api/v1/accounts/:id/statuses`` (its default is 20)."""
    lookup_max_pages = 13
    """13 pages of 40: a look-up reads back as far (520 posts) as the platforms that page by
    100 do in their 5 pages; with 5 pages of 40 a busy account's backlog left it unable to
    tell (reads cost nothing on Mastodon; 13 calls are far under 300 per 5 minutes)."""

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        super().__init__(account, creds, settings)
        base = account.api_base or account.server
        if not base:
            raise ConfigError(f"{self.where}: server is not set (the Mastodon server's address)")
        self.api_base = base.rstrip("/")
        self.server = (account.server or base).rstrip("/")
        self._api: Mastodon | None = None
        self._account_id: str | None = None
        self._username: str | None = None

    # -- rules ---------------------------------------------------------------------------------
    @classmethod
    def rules_for(cls, account: Account) -> PlatformRules:
        return cls._rules(account, None)

    @classmethod
    def rules_in(cls, account: Account, settings: Settings) -> PlatformRules:
        """The rules with the server's own limits, when they were read before (cached)."""
        server = account.server or account.api_base
        limits = server_limits.read(settings.data_dir, server) if server else None
        return cls._rules(account, limits)

    @classmethod
    def _rules(cls, account: Account, limits: server_limits.ServerLimits | None
               ) -> PlatformRules:
        rules = cls.rules
        if limits is not None:
            rules = replace(rules, max_length=limits.max_characters, url_weight=limits.url_weight,
                            notes=f"read from {account.server or account.api_base}")
        rules = rules.limited_to(account.max_length)
        if account.content_warning:  # the server counts the warning with the text
            used = len(unicodedata.normalize("NFC", account.content_warning))
            rules = replace(rules, max_length=max(1, rules.max_length - used))
        return rules

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def api(self) -> Mastodon:
        if self._api is None:
            from bot.adapters.mastodon_api import make_client

            self._api = make_client(self.api_base, self.secret("access_token") or "",
                                    self.timeout, self.settings.http.user_agent)
        return self._api

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from bot.adapters.mastodon_api import call

        return call(self.api, self.where, what, fn, *args, **kwargs)

    def close(self) -> None:
        if self._api is not None:
            self._api.session.close()
            self._api = None

    def read_limits(self) -> server_limits.ServerLimits:
        """Ask the server for its limits and cache them (``/api/v2/instance``)."""
        inst = self._call("reading the server's limits", self.api.instance_v2)
        statuses = ((inst.get("configuration") or {}).get("statuses") or {})
        limits = server_limits.ServerLimits(
            max_characters=int(statuses.get("max_characters") or DEFAULT_MAX_CHARACTERS),
            url_weight=int(statuses.get("characters_reserved_per_url") or DEFAULT_URL_WEIGHT),
            fetched_at=time.time())
        server_limits.write(self.settings.data_dir, self.server, limits)
        return limits

    def _limits_before_posting(self) -> server_limits.ServerLimits | None:
        cached = server_limits.read(self.settings.data_dir, self.server)
        if cached is not None and cached.fresh():
            return cached
        try:
            return self.read_limits()
        except PublishError as exc:  # the post itself will tell whether the server is there
            log.warning("%s: could not read the server's limits: %s", self.where, exc)
            return cached

    def _me(self) -> Any:
        me = self._call("checking the account", self.api.account_verify_credentials)
        self._account_id, self._username = str(me["id"]), str(me["acct"])
        return me

    # -- the contract ------------------------------------------------------------------------
    def idempotency_key(self, post: Post, delivery_id: int | None) -> str:
        digest = hashlib.sha256(f"{self.account.name}\n{post.link}".encode()).hexdigest()[:12]
        if delivery_id is None:  # no ledger row: the text itself must not go out twice
            digest = hashlib.sha256(f"{digest}\n{post.text}".encode()).hexdigest()[:12]
            return f"pubbot-post-{digest}"
        return f"pubbot-delivery-{delivery_id}-{digest}"

    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        limits = self._limits_before_posting()
        if limits is not None:
            rules = self._rules(self.account, limits)
            if not rules.fits(post.text):
                raise Rejected(f"{self.where}: the post is longer than {self.server} allows "
                               f"({rules.measure(post.text)} > {rules.max_length}); "
                               f"run `bot accounts check` so the next posts are made to fit")
        status = self._call(
            "posting", self.api.status_post, post.text,
            visibility=self.account.visibility, spoiler_text=self.account.content_warning,
            language=post.language, idempotency_key=self.idempotency_key(post, delivery_id),
        )
        return PublishResult(remote_id=str(status["id"]), url=status.get("url") or status["uri"],
                             status="sent")

    def verify(self) -> Identity:
        me = self._me()
        limits = self.read_limits()
        detail = (f"{me.get('display_name') or me['acct']}; {self.server} allows "
                  f"{limits.max_characters} characters, a URL counts {limits.url_weight}")
        return Identity(id=str(me["id"]), name=f"@{me['acct']}", detail=detail)

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """Reads the account's statuses newest first, 40 at a time (``max_id`` paging),
        back to ``since``; reblogs are left out (a post of ours is not one)."""
        look = Lookup(self, link, since)
        max_id: str | None = None
        with look.reading():
            if self._account_id is None:
                self._me()
            while True:
                look.next_page()
                page = self._call("reading recent posts", self.api.account_statuses,
                                  self._account_id, max_id=max_id, limit=self.lookup_page_size,
                                  exclude_reblogs=True)
                look.read(len(page))
                for index, status in enumerate(page):
                    if status_mentions(status, link):
                        return look.found(PublishResult(
                            remote_id=str(status["id"]), url=status.get("url") or status.get("uri"),
                            status="sent", detail="found among the account's posts"), index)
                if len(page) < self.lookup_page_size or older_than(page[-1], since):
                    return look.absent()
                max_id = str(page[-1]["id"])

    def describe(self) -> str:
        return (f"{self.label} account {self.account.name!r} on {self.server} via "
                f"{self.api_base} ({self.account.visibility}); "
                f"credentials: {self.credential_summary()}")


def status_mentions(status: Any, link: str) -> bool:
    """True when a status carries ``link``: in its text (HTML: the hrefs) or its card."""
    content = html.unescape(str(status.get("content") or ""))
    if text_mentions_link(content, link):
        return True
    card = status.get("card") or {}
    return bool(card.get("url")) and text_mentions_link(str(card["url"]), link)


def older_than(status: Any, since: datetime | None) -> bool:
    if since is None:
        return False
    created = status.get("created_at")
    if isinstance(created, str):
        try:
            created = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            return False
    if not isinstance(created, datetime):
        return False
    aware = since if since.tzinfo else since.replace(tzinfo=UTC)
    return (created if created.tzinfo else created.replace(tzinfo=UTC)) < aware
