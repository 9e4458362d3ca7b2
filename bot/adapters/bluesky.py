"""Bluesky through the AT Protocol SDK (``atproto``), signed in with a handle and app password.

A post is an ``app.bsky.feed.post`` record of at most 300 graphemes. Links, hashtags and
mentions are *facets* (UTF-8 byte ranges, found by the SDK's detector; mentions are
resolved to DIDs, unresolvable ones stay plain text). Bluesky builds no link card by
itself: the bot embeds an ``app.bsky.embed.external`` with the article's link, title, a
description and the article image uploaded as a blob (shrunk under 1 MB, or left out).

The look-up (:meth:`BlueskyAdapter.find_existing`) reads the account's repository
(``com.atproto.repo.listRecords``, newest first, cursor paging) rather than the author
feed: the feed is the AppView's index and lags the repository, so a post whose answer was
lost a moment ago may not be in it yet — the repository has it at once.

Rate limits are in points (5,000 an hour, 35,000 a day; a record costs 3): a 429 becomes
:class:`RateLimited` with the wait from the ``ratelimit-*`` headers, and a post whose answer
says fewer than 3 points remain holds the account until the reset
(:meth:`BlueskyAdapter.paused_until`).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.adapters.base import Adapter, Identity, PublishResult, normalize_link, text_mentions_link
from bot.adapters.lookup import Lookup
from bot.config import Account, Credentials, Settings
from bot.errors import ConfigError
from bot.models import Post
from bot.render.rules import PlatformRules

if TYPE_CHECKING:  # the SDK is imported on first use (see bot/adapters/bluesky_api.py)
    from bot.adapters.bluesky_api import RateState, Session

log = logging.getLogger(__name__)

ENTRYWAY = "https://bsky.social"
THUMB_MAX_BYTES = 1_000_000
CREATE_COST = 3
"""Points one created record costs against the PDS's write limits."""


class BlueskyAdapter(Adapter):
    """Posts to one Bluesky account, with a link card built from the article."""

    platform = "bluesky"
    label = "bluesky"
    rules = PlatformRules(
        platform="bluesky", title="Bluesky", max_length=300, counting="graphemes",
        url_weight=None, mentions="@handle", link_card=False, max_images=0,
        max_image_bytes=THUMB_MAX_BYTES,
        rate_limit=(5000 // CREATE_COST, 3600.0),  # 5,000 points an hour, 3 per post
        notes="the link counts in full; the bot builds the link card itself "
              "(title, description, a thumbnail of at most 1 MB)",
    )
    needs = frozenset({"app_password"})
    default_api_base = ENTRYWAY
    lookup_page_size = 100
    """listRecords' largest page (its default is 50)."""

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        super().__init__(account, creds, settings)
        if not account.handle:
            raise ConfigError(f"{self.where}: handle is not set")
        self.handle = account.handle.lstrip("@")
        self.api_base = (account.api_base or account.server or ENTRYWAY).rstrip("/")
        self.rate_state: RateState | None = None
        self._session: Session | None = None

    # -- plumbing ------------------------------------------------------------------------------
    @property
    def session(self) -> Session:
        if self._session is None:
            from bot.adapters.bluesky_api import Session

            self._session = Session(
                where=self.where, base=self.api_base, force_base=bool(self.account.api_base),
                handle=self.handle, app_password=self.secret("app_password") or "",
                stored=self.secret("bsky_session"), timeout=self.timeout,
                on_post_answer=self._keep_rate_state,
            )
        return self._session

    def _keep_rate_state(self, state: RateState) -> None:
        self.rate_state = state

    def refreshed_credentials(self) -> dict[str, str]:
        """A new or refreshed session (``bsky_session``) to keep for the next run."""
        fresh = self._session.new_session if self._session is not None else None
        return {"bsky_session": fresh} if fresh else {}

    def paused_until(self, now: float | None = None) -> float | None:
        """Unix seconds until the PDS takes another post, when the last post's answer said
        fewer points remain than a post costs; None otherwise."""
        state = self.rate_state
        if state is None or state.remaining is None or state.reset is None:
            return None
        now = time.time() if now is None else now
        if state.remaining >= CREATE_COST or state.reset <= now:
            return None
        return state.reset

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _post_url(self, uri: str) -> str:
        return f"https://bsky.app/profile/{self.handle}/post/{uri.rsplit('/', 1)[-1]}"

    # -- the contract ------------------------------------------------------------------------
    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        from atproto_client import models

        s = self.session
        facets = s.call("finding links, tags and mentions", s.client.detect_facets, post.text)
        embed, detail = self._card(post)
        record = models.AppBskyFeedPost.Record(
            created_at=s.client.get_current_time_iso(), text=post.text, facets=facets or None,
            embed=embed, langs=[post.language] if post.language else None,
        )
        made = s.call("posting", lambda: s.client.app.bsky.feed.post.create(s.did, record))
        return PublishResult(remote_id=made.uri, url=self._post_url(made.uri), status="sent",
                             detail=detail)

    def _card(self, post: Post) -> tuple[Any, str]:
        """The ``app.bsky.embed.external`` card for the article (None without a link)."""
        from atproto_client import models

        from bot.adapters.thumbnail import card_thumbnail

        if not post.link:
            return None, ""
        thumb, detail = None, "link card without an image"
        picture = card_thumbnail(post.image, self.settings.http, max_bytes=THUMB_MAX_BYTES) \
            if post.image else None
        if picture is not None:
            s = self.session
            blob = s.call("uploading the card image", s.client.com.atproto.repo.upload_blob,
                          picture.data, headers={"Content-Type": picture.mime})
            thumb = blob.blob
            detail = "link card with the article image" + (" (resized)" if picture.resized else "")
        card = models.AppBskyEmbedExternal.External(
            uri=post.link, title=post.title or "", description=post.description or "",
            thumb=thumb,
        )
        return models.AppBskyEmbedExternal.Main(external=card), detail

    def verify(self) -> Identity:
        s = self.session
        me = s.call("checking the account", s.client.com.atproto.server.get_session)
        how = "app password; session kept and refreshed in secrets_dir"
        if getattr(me, "active", None) is False:
            how += f"; account not active ({getattr(me, 'status', None) or 'unknown'})"
        return Identity(id=str(me.did), name=f"@{me.handle}", detail=how)

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """Reads the repository's posts newest first (``listRecords``), a page of 100 at a
        time, back to ``since`` (by each record's ``createdAt``)."""
        s = self.session
        look = Lookup(self, link, since)
        cursor: str | None = None
        with look.reading():
            while True:
                look.next_page()
                page = s.call("reading recent posts", s.client.com.atproto.repo.list_records,
                              {"repo": s.did, "collection": "app.bsky.feed.post",
                               "limit": self.lookup_page_size, "cursor": cursor})
                look.read(len(page.records))
                reached_since = False
                for index, rec in enumerate(page.records):
                    value = as_dict(rec.value)
                    if record_mentions(value, link):
                        return look.found(PublishResult(
                            remote_id=rec.uri, url=self._post_url(rec.uri), status="sent",
                            detail="found among the account's posts"), index)
                    created = parse_time(value.get("createdAt"))
                    reached_since |= bool(since and created and created < aware(since))
                cursor = page.cursor
                if reached_since or not cursor or len(page.records) < self.lookup_page_size:
                    return look.absent()  # the whole window is read

    def describe(self) -> str:
        return (f"{self.label} account {self.account.name!r}: @{self.handle} via {self.api_base}; "
                f"credentials: {self.credential_summary()}")


def as_dict(value: Any) -> dict[str, Any]:
    """A record's value as the JSON the PDS sent (the SDK may have made it a model)."""
    if isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    return dump(by_alias=True, mode="json") if callable(dump) else {}


def record_mentions(value: dict[str, Any], link: str) -> bool:
    """True when a post record carries ``link``: its card, a link facet, or its text."""
    target = normalize_link(link)
    embed = value.get("embed") or {}
    external = (embed.get("external") or {}) if isinstance(embed, dict) else {}
    uris = [external.get("uri")] if isinstance(external, dict) else []
    for facet in value.get("facets") or []:
        for feature in (facet or {}).get("features") or []:
            uris.append((feature or {}).get("uri"))
    if any(isinstance(u, str) and normalize_link(u) == target for u in uris):
        return True
    return text_mentions_link(str(value.get("text") or ""), link)


def parse_time(raw: object) -> datetime | None:
    """An ISO 8601 time as the APIs write it (``Z`` or an offset; none means UTC)."""
    if not isinstance(raw, str):
        return None
    try:
        return aware(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return None


def aware(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
