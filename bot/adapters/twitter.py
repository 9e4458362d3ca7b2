"""X / Twitter through ``tweepy.Client`` (API v2).

tweepy hard-codes ``https://api.twitter.com`` and passes no timeout to requests; the
client's session (:class:`bot.adapters.x_api.ApiSession`) sends each call to
``account.api_base`` — rewritten before the OAuth 1.0a signature is computed, so the
signature covers the URL actually called — with ``settings.http.timeout_seconds``. There is no
``wait_on_rate_limit``: a 429 becomes :class:`RateLimited` with the reset time. The
rate-limit headers of every post are kept (:attr:`TwitterAdapter.rate_state`), so the
dispatcher can pause the account until the reset *before* X answers 429
(:meth:`TwitterAdapter.paused_until`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from bot.adapters.base import (
    Adapter,
    Identity,
    PublishResult,
    int_or_none,
    normalize_link,
    text_mentions_link,
)
from bot.adapters.lookup import Lookup
from bot.config import Account, Credentials, Settings
from bot.errors import AlreadyPosted, AuthError, PublishError, RateLimited, Rejected, Transient
from bot.logs.redact import register_secrets, scrub
from bot.models import Post
from bot.render.rules import PlatformRules

if TYPE_CHECKING:  # tweepy and requests are imported on first use: reading the rules
    import requests  # (rendering, dry runs) must not pay for them

log = logging.getLogger(__name__)

REAL_HOST = "https://api.twitter.com"
TOKEN_PATH = "/2/oauth2/token"
DUPLICATE_MARK = "duplicate content"
OAUTH1_KEYS = frozenset({"consumer_key", "consumer_secret", "access_token", "access_token_secret"})

T = TypeVar("T")


LIMIT_PREFIXES = ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour")


def exhausted_reset(headers: Mapping[str, str]) -> float | None:
    """The latest reset (Unix seconds) among the windows the headers say are used up
    (``*-remaining: 0``: the 15-minute window, the user's or the app's 24 hours), or None."""
    exhausted: list[float] = []
    for prefix in LIMIT_PREFIXES:
        if headers.get(f"{prefix}-remaining") == "0" and f"{prefix}-reset" in headers:
            try:
                exhausted.append(float(headers[f"{prefix}-reset"]))
            except ValueError:
                continue
    return max(exhausted) if exhausted else None


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until X lets us post again, from the rate-limit headers of a 429."""
    now = time.time() if now is None else now
    reset = exhausted_reset(headers)
    if reset is None and "x-rate-limit-reset" in headers:
        with contextlib.suppress(ValueError):
            reset = float(headers["x-rate-limit-reset"])
    if reset is None:
        return None
    return max(0.0, reset - now)


@dataclass(frozen=True)
class RateState:
    """What X's rate-limit headers said about posting, on the last answer to a post."""

    limit: int | None
    remaining: int | None
    reset: float | None
    """Unix seconds when the 15-minute window resets."""
    exhausted_until: float | None
    """Unix seconds until which no post is left in some window (15 minutes or 24 hours)."""

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> RateState:
        reset = int_or_none(headers.get("x-rate-limit-reset"))
        return cls(
            limit=int_or_none(headers.get("x-rate-limit-limit")),
            remaining=int_or_none(headers.get("x-rate-limit-remaining")),
            reset=float(reset) if reset is not None else None,
            exhausted_until=exhausted_reset(headers),
        )


class TwitterAdapter(Adapter):
    """Posts (and threads) to one X account."""

    platform = "twitter"
    label = "x"
    rules = PlatformRules(
        platform="twitter", title="X", max_length=280, counting="weighted", url_weight=23,
        mentions="@name", link_card=True,
        rate_limit=(100, 900.0),  # POST /2/tweets per user per 15 min (plan-dependent)
        notes="twitter-text v3 weighting; X builds the link card from the Open Graph tags",
    )
    needs = OAUTH1_KEYS
    default_api_base = REAL_HOST
    lookup_max_pages = 5  # 500 posts, $2.50 at $0.005 a post read; X shows 800 at most

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        super().__init__(account, creds, settings)
        self.oauth2 = account.auth == "oauth2"
        import tweepy

        from bot.adapters.x_api import ApiSession

        self.client = tweepy.Client(
            bearer_token=self.secret("bearer_token"),
            consumer_key=self.secret("consumer_key"),
            consumer_secret=self.secret("consumer_secret"),
            access_token=self.secret("access_token"),
            access_token_secret=self.secret("access_token_secret"),
            wait_on_rate_limit=False,
        )
        self.client.session = ApiSession(self.api_base, self.timeout)
        self.client.session.hooks["response"].append(self._on_response)
        self.rate_state: RateState | None = None
        """The rate-limit headers of the last answer to a post (None before the first)."""
        self._user_id: str | None = None
        self._username: str | None = None
        self._new_bearer: str | None = None
        self._new_refresh: str | None = None

    def required_credentials(self) -> frozenset[str]:
        return frozenset({"bearer_token"}) if self.account.auth == "oauth2" else OAUTH1_KEYS

    # -- OAuth 2.0 refresh ---------------------------------------------------------------
    def refreshed_credentials(self) -> dict[str, str]:
        """Credential keys changed by a refresh: ``bearer_token`` and, as X rotates it,
        ``refresh_token``. Persist both (the old refresh token no longer works)."""
        out: dict[str, str] = {}
        if self._new_bearer:
            out["bearer_token"] = self._new_bearer
        if self._new_refresh:
            out["refresh_token"] = self._new_refresh
        return out

    def _can_refresh(self) -> bool:
        return self.oauth2 and bool(
            (self._new_refresh or self.secret("refresh_token")) and self.secret("client_id")
        )

    def _refresh(self) -> None:
        import requests

        refresh = self._new_refresh or self.secret("refresh_token") or ""
        client_id = self.secret("client_id") or ""
        client_secret = self.secret("client_secret")
        data = {"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id}
        auth = (client_id, client_secret) if client_secret else None
        try:
            resp = self.client.session.post(
                REAL_HOST + TOKEN_PATH, data=data, auth=auth, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise Transient(f"{self.where}: token refresh failed ({type(exc).__name__})") from exc
        if resp.status_code >= 500:
            raise Transient(f"{self.where}: token refresh failed (HTTP {resp.status_code})")
        try:
            body = resp.json()
        except ValueError:
            body = {}
        token = body.get("access_token") if resp.status_code == 200 else None
        if not token:
            reason = scrub(str(body.get("error") or resp.reason or ""))
            raise AuthError(
                f"{self.where}: the OAuth 2.0 token expired and the refresh was refused "
                f"(HTTP {resp.status_code} {reason}); store a new user token "
                f"(bearer_token, refresh_token) for this account"
            )
        new_refresh = body.get("refresh_token")
        register_secrets([token, new_refresh])
        self.client.bearer_token = token
        self._new_bearer = token
        if new_refresh:
            self._new_refresh = new_refresh
        log.info("%s: OAuth 2.0 access token refreshed", self.where)

    # -- rate limits -------------------------------------------------------------------------
    def _on_response(self, resp: requests.Response, *args: Any, **kwargs: Any) -> None:
        """requests' response hook: keep the rate-limit headers of every answer to a post."""
        req = resp.request
        if (
            req.method == "POST"
            and urlsplit(req.url or "").path.endswith("/2/tweets")
            and any(k.lower().startswith(LIMIT_PREFIXES) for k in resp.headers)
        ):
            self.rate_state = RateState.of(resp.headers)

    def paused_until(self, now: float | None = None) -> float | None:
        """Unix seconds until which X will refuse posts from this account, when the last
        post used up a window (``*-remaining: 0``); None when posts are left or unknown."""
        state = self.rate_state
        if state is None or state.exhausted_until is None:
            return None
        now = time.time() if now is None else now
        return state.exhausted_until if state.exhausted_until > now else None

    # -- calling tweepy --------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., T], **kwargs: Any) -> T:
        import requests
        import tweepy

        refreshed = False
        while True:
            try:
                return fn(user_auth=not self.oauth2, **kwargs)
            except tweepy.Unauthorized as exc:
                if not refreshed and self._can_refresh():
                    refreshed = True
                    self._refresh()
                    continue
                raise self._translate(exc, what) from exc
            except (tweepy.TweepyException, requests.RequestException) as exc:
                raise self._translate(exc, what) from exc

    def _translate(self, exc: Exception, what: str) -> PublishError:
        import requests
        import tweepy

        where = f"{self.where}: {what}"
        if isinstance(exc, requests.Timeout):
            return Transient(f"{where} timed out after {self.timeout:g}s")
        if isinstance(exc, requests.RequestException):
            return Transient(f"{where} failed: connection error ({type(exc).__name__})")
        if not isinstance(exc, tweepy.HTTPException):
            return Transient(f"{where} failed: {type(exc).__name__}")
        status = exc.response.status_code
        detail = "; ".join(str(m) for m in exc.api_messages) or str(exc.response.reason or "")
        msg = scrub(f"{where} failed: HTTP {status} {detail}".strip().replace("\n", " "))
        if status == 401:
            return AuthError(f"{msg} (credentials invalid or revoked)")
        if status == 403 and DUPLICATE_MARK in detail.lower():
            return AlreadyPosted(msg)
        if status == 429:
            return RateLimited(msg, retry_after(exc.response.headers))
        if status >= 500:
            return Transient(msg)
        return Rejected(msg)

    # -- the contract ------------------------------------------------------------------------
    def _status_url(self, tweet_id: str) -> str:
        if self._username:
            return f"https://x.com/{self._username}/status/{tweet_id}"
        return f"https://x.com/i/web/status/{tweet_id}"

    def _create(self, text: str, reply_to: str | None = None) -> str:
        resp = self._call(
            "posting", self.client.create_tweet, text=text, in_reply_to_tweet_id=reply_to
        )
        data = getattr(resp, "data", None) or {}
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not tweet_id:
            raise Transient(f"{self.where}: posting returned no id; check the account")
        return str(tweet_id)

    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        try:
            head = self._create(post.text)
        except AlreadyPosted as exc:
            found = self._find_quietly(post.link)
            raise AlreadyPosted(
                exc.message,
                remote_id=found.remote_id if found else None,
                remote_url=found.url if found else None,
            ) from exc
        ids = [head]
        detail = ""
        for n, reply in enumerate(post.thread, start=2):
            try:
                ids.append(self._create(reply, reply_to=ids[-1]))
            except PublishError as exc:
                # The head is out: never fail (and re-send) the whole post for a reply.
                detail = f"thread stopped at post {n} of {len(post.thread) + 1}: {exc}"
                log.warning("%s", detail)
                break
        return PublishResult(
            remote_id=head, url=self._status_url(head), status="sent", detail=detail,
            thread_ids=tuple(ids),
        )

    def verify(self) -> Identity:
        resp = self._call("checking the account", self.client.get_me, user_fields=["username"])
        user = getattr(resp, "data", None)
        if user is None:
            raise Transient(f"{self.where}: checking the account returned no user")
        self._user_id = str(user.id)
        self._username = str(user.username)
        if self.oauth2:
            how = "OAuth 2.0 user token" + (" (refreshable)" if self._can_refresh() else "")
        else:
            how = "OAuth 1.0a user context"
        return Identity(id=self._user_id, name=f"@{self._username}", detail=f"{user.name}; {how}")

    def _find_quietly(self, link: str | None) -> PublishResult | None:
        """After a duplicate answer: the earlier post's id if the newest page shows it."""
        if not link:
            return None
        try:
            return self._look_up(link, None, max_pages=1)
        except PublishError:
            return None

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        return self._look_up(link, since)

    def _look_up(self, link: str, since: datetime | None, *, max_pages: int | None = None
                 ) -> PublishResult | None:
        """Reads the user's timeline newest first from ``start_time`` = ``since`` (X bills
        each post returned), following ``meta.next_token``; replies and reposts are left
        out (a post of ours that carries the link is neither)."""
        look = Lookup(self, link, since, max_pages=max_pages)
        token: str | None = None
        with look.reading():
            if self._user_id is None:
                self.verify()
            while True:
                look.next_page()
                resp = self._call(
                    "reading recent posts", self.client.get_users_tweets, id=self._user_id,
                    max_results=self.lookup_page_size, start_time=since,
                    pagination_token=token, exclude=["retweets", "replies"],
                    tweet_fields=["created_at", "entities"],
                )
                tweets = getattr(resp, "data", None) or []
                look.read(len(tweets))
                for index, tweet in enumerate(tweets):
                    if _links_to(tweet, link):
                        tid = str(tweet.id)
                        return look.found(PublishResult(
                            remote_id=tid, url=self._status_url(tid), status="sent",
                            detail="found among the account's recent posts",
                        ), index)
                token = (getattr(resp, "meta", None) or {}).get("next_token")
                if not token:
                    return look.absent()

    def describe(self) -> str:
        how = "OAuth 2.0 user token" if self.oauth2 else "OAuth 1.0a user context"
        return (
            f"{self.label} account {self.account.name!r} via {self.api_base} ({how}); "
            f"credentials: {self.credential_summary()}"
        )

    def close(self) -> None:
        self.client.session.close()


def _links_to(tweet: Any, link: str) -> bool:
    """The post carries ``link``: in its URL entities (t.co expanded) or in its text."""
    urls = (tweet.entities or {}).get("urls", [])
    target = normalize_link(link)
    expanded = [u.get(k) for u in urls for k in ("expanded_url", "unwound_url")]
    return any(u and normalize_link(u) == target for u in expanded) or text_mentions_link(
        tweet.text, link)
