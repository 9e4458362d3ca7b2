"""YouTube: hand a community post to a human, post it through the posts API, or comment.

The default ``handoff`` mode only prepares the text and pings a Slack-compatible webhook; the
``posts`` mode publishes through the Data API's ``posts`` resource, in a pilot for approved
Google Cloud projects until its general availability in 2027
(:mod:`bot.adapters.youtube_posts`; a project outside the pilot falls back to hand-off); the
``comment`` mode comments on the newest upload through google-api-python-client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.adapters.base import Adapter, Identity, PublishResult, text_mentions_link
from bot.adapters.lookup import Lookup
from bot.adapters.webhook import send_webhook
from bot.config import Account, Credentials, Settings
from bot.errors import AuthError, PublishError, RateLimited, Rejected, Transient
from bot.logs.redact import scrub
from bot.models import Post
from bot.render.rules import PlatformRules

if TYPE_CHECKING:  # the Google libraries are imported on first use: reading the rules
    from googleapiclient.errors import HttpError  # (rendering, dry runs) must not pay for them

log = logging.getLogger(__name__)

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"
YOUTUBE_API = "https://youtube.googleapis.com"
PACIFIC = ZoneInfo("America/Los_Angeles")
COMMENT_NEEDS = frozenset({"refresh_token", "client_id", "client_secret"})
QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
SLOWDOWN_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
AUTH_REASONS = frozenset({"authError", "insufficientPermissions", "unauthorized"})
UNITS = {"list": 1, "insert": 50}
POSTS_PAGE_SIZE = 50
"""Posts per ``posts.list`` page in ``posts`` mode (the largest most Data API lists allow;
unverified for this resource)."""


def seconds_until_pacific_midnight(now: datetime | None = None) -> float:
    """Seconds until the YouTube quota resets (midnight America/Los_Angeles)."""
    local = (now or datetime.now(UTC)).astimezone(PACIFIC)
    midnight = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), PACIFIC)
    return (midnight.astimezone(UTC) - local.astimezone(UTC)).total_seconds()


class YouTubeAdapter(Adapter):
    """One YouTube channel, in ``handoff`` (default), ``posts`` or ``comment`` mode."""

    platform = "youtube"
    label = "youtube"
    rules = PlatformRules(
        platform="youtube", title="YouTube", max_length=1000, counting="characters",
        notes="a conservative size for a community post or a comment (comments allow 10,000)",
    )
    needs = frozenset()
    default_api_base = YOUTUBE_API
    lookup_max_pages = 20  # 2,000 comment threads, 20 quota units

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        super().__init__(account, creds, settings)
        self._service_obj: Any = None
        self._http_obj: Any = None
        self._posts_obj: Any = None
        self._channel: tuple[str, str, str] | None = None  # id, title, uploads playlist
        self.units_spent = 0
        """Data API quota units used by this instance (1 per list, 50 per comment)."""
        if account.mode == "posts":  # posts.list pages are smaller than comment threads'
            self.lookup_page_size = POSTS_PAGE_SIZE  # type: ignore[misc]

    @classmethod
    def rules_for(cls, account: Account) -> PlatformRules:
        """In ``posts`` mode the bot attaches the article's image (at most 16 MB)."""
        rules = super().rules_for(account)
        if account.mode != "posts":
            return rules
        return replace(rules, max_images=1, max_image_bytes=16 * 1024 * 1024)

    def required_credentials(self) -> frozenset[str]:
        return COMMENT_NEEDS if self.account.mode in ("comment", "posts") else frozenset()

    # -- Data API plumbing -----------------------------------------------------------------
    def _http(self) -> Any:
        """The authorised transport every Data API call goes through: google-auth refreshes
        the token, :class:`~bot.adapters.google_api.SingleShotHttp` never re-sends a write."""
        if self._http_obj is None:
            import google_auth_httplib2
            from google.oauth2.credentials import Credentials as GoogleCredentials

            from bot.adapters.google_api import SingleShotHttp

            token_uri = f"{self.account.api_base}/token" if self.account.api_base else (
                GOOGLE_TOKEN_URI
            )
            creds = GoogleCredentials(
                token=None, refresh_token=self.secret("refresh_token"),
                client_id=self.secret("client_id"), client_secret=self.secret("client_secret"),
                token_uri=token_uri, scopes=[SCOPE],
            )
            self._http_obj = google_auth_httplib2.AuthorizedHttp(
                creds, http=SingleShotHttp(timeout=self.timeout)
            )
        return self._http_obj

    def _service(self) -> Any:
        if self._service_obj is None:
            from googleapiclient.discovery import build

            base = self.account.api_base
            options = {"api_endpoint": base + "/"} if base else None
            self._service_obj = build(
                "youtube", "v3", http=self._http(), static_discovery=True,
                cache_discovery=False, client_options=options,
            )
        return self._service_obj

    def _posts(self) -> Any:
        """The ``posts`` resource (``mode: posts``), built on :meth:`_http`."""
        if self._posts_obj is None:
            from bot.adapters.youtube_posts import PostsApi

            self._posts_obj = PostsApi(self)
        return self._posts_obj

    def _execute(self, request: Any, what: str, units: int) -> dict[str, Any]:
        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError

        self.units_spent += units
        try:
            result = request.execute(num_retries=0)
        except HttpError as exc:
            raise self._translate(exc, what) from exc
        except google.auth.exceptions.RefreshError as exc:
            reason = scrub(str(exc.args[0] if exc.args else exc))
            if getattr(exc, "retryable", False):
                raise Transient(f"{self.where}: token refresh failed: {reason}") from exc
            raise AuthError(
                f"{self.where}: Google refused the refresh token ({reason}); "
                f"run `bot auth youtube --account {self.account.name}`"
            ) from exc
        except (google.auth.exceptions.TransportError, httplib2.HttpLib2Error) as exc:
            raise Transient(f"{self.where}: {what} failed ({type(exc).__name__})") from exc
        except TimeoutError as exc:
            raise Transient(f"{self.where}: {what} timed out after {self.timeout:g}s") from exc
        except OSError as exc:
            raise Transient(f"{self.where}: {what} failed: connection error "
                            f"({type(exc).__name__})") from exc
        return result if isinstance(result, dict) else {}

    def _translate(self, exc: HttpError, what: str) -> PublishError:
        from bot.adapters.google_api import error_reasons

        status = int(exc.resp.status)
        reasons = error_reasons(exc)
        why = ", ".join(sorted(reasons)) or "no reason"
        msg = scrub(f"{self.where}: {what} failed: HTTP {status} ({why}): {exc.reason}")
        if reasons & QUOTA_REASONS:
            return RateLimited(msg, seconds_until_pacific_midnight())
        if reasons & SLOWDOWN_REASONS or status == 429:
            return RateLimited(msg, None)
        if status == 401 or reasons & AUTH_REASONS:
            return AuthError(msg)
        if status >= 500 or reasons & {"backendError", "internalError"}:
            return Transient(msg)
        return Rejected(msg)

    def channel(self) -> tuple[str, str, str]:
        """(channel id, title, uploads playlist id) of the authorised channel (cached)."""
        if self._channel is None:
            body = self._execute(
                self._service().channels().list(part="id,snippet,contentDetails", mine=True),
                "finding the channel", UNITS["list"],
            )
            items = body.get("items") or []
            if not items:
                raise AuthError(f"{self.where}: these credentials have no YouTube channel")
            ch = items[0]
            uploads = ch.get("contentDetails", {}).get("relatedPlaylists", {}).get("uploads", "")
            self._channel = (str(ch["id"]), str(ch.get("snippet", {}).get("title", "")), uploads)
        return self._channel

    # -- the contract ------------------------------------------------------------------------
    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        if self.account.mode == "comment":
            return self._comment(post)
        if self.account.mode == "posts":
            result: PublishResult = self._posts().publish(post, delivery_id)
            return result
        return self.hand_off(post, delivery_id)

    def hand_off(self, post: Post, delivery_id: int | None) -> PublishResult:
        """Leave the post to a human (``bot youtube pending``), pinging the webhook if set."""
        self._notify(post, delivery_id)
        return PublishResult(remote_id=None, url=None, status="awaiting_human", detail=post.text)

    def _notify(self, post: Post, delivery_id: int | None) -> None:
        url = self.secret("webhook_url")
        if not url:
            return
        ref = str(delivery_id) if delivery_id is not None else "<delivery id>"
        lines = [f"*YouTube community post ready* for account '{self.account.name}'"]
        title = getattr(post, "title", None)
        if title:
            lines.append(f"*Title:* {title}")
        if post.link:
            lines.append(f"*Link:* {post.link}")
        if post.image:
            lines.append(f"*Image:* {post.image}")
        lines += ["```", post.text, "```", f"When it is posted, run: `bot youtube done {ref}`"]
        trouble = send_webhook(url, "\n".join(lines), timeout=self.timeout)
        if trouble:
            log.warning("%s: hand-off webhook %s; the post still waits for a human",
                        self.where, trouble)

    def _comment(self, post: Post) -> PublishResult:
        channel_id, _, uploads = self.channel()
        svc = self._service()
        newest = self._execute(
            svc.playlistItems().list(part="contentDetails,snippet", playlistId=uploads,
                                     maxResults=1),
            "finding the newest video", UNITS["list"],
        ).get("items") or []
        if not newest:
            raise Rejected(f"{self.where}: the channel has no uploaded video to comment on")
        item = newest[0]
        video_id = (item.get("contentDetails", {}).get("videoId")
                    or item.get("snippet", {}).get("resourceId", {}).get("videoId"))
        body = {"snippet": {"channelId": channel_id, "videoId": video_id,
                            "topLevelComment": {"snippet": {"textOriginal": post.text}}}}
        made = self._execute(svc.commentThreads().insert(part="snippet", body=body),
                             "commenting", UNITS["insert"])
        cid = made.get("id")
        if not cid:
            raise Transient(f"{self.where}: commenting returned no id; check the video")
        log.info("%s: commented on %s (quota units used by this process: %d)",
                 self.where, video_id, self.units_spent)
        return PublishResult(remote_id=str(cid),
                             url=f"https://www.youtube.com/watch?v={video_id}&lc={cid}",
                             status="sent", detail=f"comment on video {video_id}")

    def verify(self) -> Identity:
        if self.account.mode != "comment" and not self.creds.present() >= COMMENT_NEEDS:
            hook = "set" if self.secret("webhook_url") else "not set"
            return Identity(id=self.account.name, name="YouTube hand-off",
                            detail=f"hand-off mode: posts wait for a human; webhook {hook}")
        if self.account.mode == "posts":
            ident: Identity = self._posts().verify()
            return ident
        channel_id, title, _ = self.channel()
        return Identity(id=channel_id, name=title, detail=f"{self.account.mode} mode")

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """Reads the channel's comment threads newest first (``commentThreads.list`` has no
        time filter), following ``nextPageToken`` until a page reaches back past ``since``;
        in ``posts`` mode the channel's posts (:mod:`bot.adapters.youtube_posts`)."""
        if self.account.mode == "posts":
            posted: PublishResult | None = self._posts().find_existing(link, since=since)
            return posted
        if self.account.mode != "comment":
            return None  # hand-offs are published by a human, never by us
        look = Lookup(self, link, since)
        with look.reading():
            channel_id, _, _ = self.channel()

            def fetch(page: str | None) -> dict[str, Any]:
                paging = {"pageToken": page} if page else {}
                body: dict[str, Any] = self._execute(
                    self._service().commentThreads().list(
                        part="snippet", allThreadsRelatedToChannelId=channel_id,
                        maxResults=self.lookup_page_size, textFormat="plainText", **paging),
                    "reading recent comments", UNITS["list"])
                return body

            return page_through(look, fetch, lambda threads: _match(threads, link, channel_id,
                                                                    since))

    def describe(self) -> str:
        return (f"{self.label} account {self.account.name!r} ({self.account.mode} mode) via "
                f"{self.api_base}; credentials: {self.credential_summary()}")


Match = Callable[[list[dict[str, Any]]], tuple[tuple[PublishResult, int] | None, bool]]
"""A page's items -> ((the post sought, its index) or None, whether the page reached back
past the look-up's window)."""


def page_through(look: Lookup, fetch: Callable[[str | None], dict[str, Any]],
                 match: Match) -> PublishResult | None:
    """A YouTube list (comment threads, channel posts), newest first, page after page
    (``nextPageToken``) until ``match`` finds the post or a page reaches past the window."""
    page: str | None = None
    while True:
        look.next_page()
        body = fetch(page)
        items = [i for i in body.get("items") or [] if isinstance(i, dict)]
        look.read(len(items))
        found, older = match(items)
        if found is not None:
            return look.found(*found)
        page = body.get("nextPageToken")
        if older or not page:
            return look.absent()


def _after(stamp: object, since: datetime) -> bool:
    if not isinstance(stamp, str):
        return True
    try:
        when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return True
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return when >= since.replace(microsecond=0)  # publishedAt has whole seconds only


def _match(threads: list[dict[str, Any]], link: str, channel_id: str, since: datetime | None
           ) -> tuple[tuple[PublishResult, int] | None, bool]:
    """(our comment carrying ``link`` and its index, whether the page reached back past
    ``since``)."""
    older = False
    for index, thread in enumerate(threads):
        snip = thread.get("snippet", {})
        top = snip.get("topLevelComment", {}).get("snippet", {})
        if since is not None and not _after(top.get("publishedAt"), since):
            older = True  # newest first: the rest of the list is older still
            continue
        author = (top.get("authorChannelId") or {}).get("value")
        if author and author != channel_id:
            continue  # a viewer's comment
        if text_mentions_link(top.get("textOriginal") or top.get("textDisplay") or "", link):
            vid = snip.get("videoId") or top.get("videoId")
            found = PublishResult(
                remote_id=str(thread.get("id")),
                url=f"https://www.youtube.com/watch?v={vid}&lc={thread.get('id')}",
                status="sent", detail="found among the channel's comments")
            return (found, index), older
    return None, older
