"""Facebook Pages through the Graph API with plain httpx.

The Page token travels in the POST body (httpx logs request URLs); GETs need it in
the query string, which the log redaction scrubs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx

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
from bot.errors import (
    AlreadyPosted,
    AuthError,
    ConfigError,
    PublishError,
    RateLimited,
    Rejected,
    Transient,
)
from bot.logs.redact import scrub
from bot.models import Post
from bot.render.rules import PlatformRules

log = logging.getLogger(__name__)

GRAPH = "https://graph.facebook.com"
AUTH_CODES = frozenset({102, 190, 10, *range(200, 300)})
RATE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
LINK_FETCH_FAILED = 1609005
USAGE_DEFAULT_WAIT = 15 * 60.0


def appsecret_proof(token: str, app_secret: str) -> str:
    """HMAC-SHA256 of the access token keyed with the app secret, hex."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def usage_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait according to Meta's usage headers; None when they say nothing."""
    raw = headers.get("x-business-use-case-usage")
    if raw:
        try:
            minutes = [
                float(entry.get("estimated_time_to_regain_access") or 0)
                for entries in json.loads(raw).values()
                for entry in entries
            ]
        except (ValueError, AttributeError, TypeError):
            minutes = []
        if minutes and max(minutes) > 0:
            return max(minutes) * 60.0
    for name in ("x-app-usage", "x-page-usage", "x-ad-account-usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            usage = json.loads(raw)
            peak = max(float(v) for v in usage.values() if isinstance(v, int | float))
        except (ValueError, AttributeError, TypeError):
            continue
        if peak >= 100:
            return USAGE_DEFAULT_WAIT
    return None


class FacebookAdapter(Adapter):
    """Posts to one Facebook Page with a Page access token."""

    platform = "facebook"
    label = "facebook"
    rules = PlatformRules(
        platform="facebook", title="Facebook Page", max_length=63206, counting="characters",
        link_card=True,
        notes="the link preview comes from the article's Open Graph tags",
    )
    needs = frozenset({"page_token"})
    default_api_base = GRAPH
    lookup_max_pages = 5  # Graph lists about 600 ranked posts a year: stop before its silent end

    def __init__(self, account: Account, creds: Credentials, settings: Settings) -> None:
        super().__init__(account, creds, settings)
        if not account.page_id:
            raise ConfigError(f"{self.where}: page_id is not set")
        self.page_id = account.page_id
        self.version = account.graph_version
        self._client: httpx.Client | None = None

    # -- plumbing ------------------------------------------------------------------------
    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.api_base, timeout=self.timeout,
                headers={"User-Agent": self.settings.http.user_agent},
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _token_fields(self) -> dict[str, str]:
        token = self.secret("page_token") or ""
        fields = {"access_token": token}
        app_secret = self.secret("app_secret")
        if app_secret:
            fields["appsecret_proof"] = appsecret_proof(token, app_secret)
        return fields

    def _request(
        self, method: str, path: str, what: str, *,
        params: dict[str, str] | None = None, data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            resp = self.client.request(method, f"/{self.version}/{path}", params=params, data=data)
        except httpx.TimeoutException as exc:
            raise Transient(f"{self.where}: {what} timed out after {self.timeout:g}s") from exc
        except httpx.HTTPError as exc:
            raise Transient(
                f"{self.where}: {what} failed: connection error ({type(exc).__name__})"
            ) from exc
        if resp.is_success:
            try:
                body = resp.json()
            except ValueError as exc:
                raise Transient(f"{self.where}: {what}: unreadable Graph API response") from exc
            if isinstance(body, dict):
                return body
            raise Transient(f"{self.where}: {what}: unexpected Graph API response")
        raise self._error(resp, what)

    def _error(self, resp: httpx.Response, what: str) -> PublishError:
        try:
            err = resp.json().get("error") or {}
        except (ValueError, AttributeError):
            err = {}
        if not isinstance(err, dict):
            err = {}
        code = int_or_none(err.get("code"))
        sub = int_or_none(err.get("error_subcode"))
        desc = f"HTTP {resp.status_code}"
        if code is not None:
            desc += f", Graph error {code}" + (f"/{sub}" if sub is not None else "")
        if err.get("type"):
            desc += f" ({err['type']})"
        if err.get("message"):
            desc += f": {err['message']}"
        if err.get("fbtrace_id"):
            desc += f" [fbtrace_id {err['fbtrace_id']}]"
        msg = scrub(f"{self.where}: {what} failed: {desc}".replace("\n", " "))
        if code in AUTH_CODES:
            return AuthError(msg)
        if code in RATE_CODES or resp.status_code == 429:
            return RateLimited(msg, usage_retry_after(resp.headers))
        if code == 506:
            return AlreadyPosted(msg)
        if code == 368 or LINK_FETCH_FAILED in (code, sub):
            return Rejected(msg)
        if code in TRANSIENT_CODES or resp.status_code >= 500:
            return Transient(msg)
        return Rejected(msg)

    # -- the contract ------------------------------------------------------------------------
    def publish(self, post: Post, *, delivery_id: int | None = None) -> PublishResult:
        data = {"message": post.text, **self._token_fields()}
        if post.link:
            data["link"] = post.link
        detail = ""
        if self.account.schedule_minutes:
            when = int(time.time()) + self.account.schedule_minutes * 60
            data["published"] = "false"
            data["scheduled_publish_time"] = str(when)
            detail = f"scheduled for {datetime.fromtimestamp(when, UTC).isoformat()}"
        body = self._request("POST", f"{self.page_id}/feed", "posting", data=data)
        post_id = body.get("id")
        if not post_id:
            raise Transient(f"{self.where}: posting returned no id; check the Page")
        return PublishResult(
            remote_id=str(post_id), url=f"https://www.facebook.com/{post_id}", status="sent",
            detail=detail,
        )

    def verify(self) -> Identity:
        page = self._request(
            "GET", self.page_id, "checking the Page",
            params={"fields": "id,name", **self._token_fields()},
        )
        token = self.secret("page_token") or ""
        app_id, app_secret = self.secret("app_id"), self.secret("app_secret")
        inspector = f"{app_id}|{app_secret}" if app_id and app_secret else token
        expires_at: datetime | None = None
        try:
            debug = self._request(
                "GET", "debug_token", "inspecting the token",
                params={"input_token": token, "access_token": inspector},
            ).get("data") or {}
        except Rejected as exc:
            detail = f"token expiry unknown ({exc})"
        else:
            if debug.get("is_valid") is False:
                why = (debug.get("error") or {}).get("message", "no reason given")
                raise AuthError(scrub(f"{self.where}: the Page token is not valid: {why}"))
            exp = int_or_none(debug.get("expires_at")) or 0
            expires_at = datetime.fromtimestamp(exp, UTC) if exp > 0 else None
            scopes = ", ".join(debug.get("scopes") or []) or "unknown"
            when = expires_at.isoformat() if expires_at else "never"
            detail = f"{debug.get('type', 'token')} token, expires {when}; scopes: {scopes}"
        return Identity(
            id=str(page.get("id", self.page_id)), name=str(page.get("name", "")),
            expires_at=expires_at, detail=detail,
        )

    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """Reads the Page's posts (and scheduled posts, when the account schedules) newest
        first from Graph's ``since``, following ``paging.next``."""
        query = {
            "fields": "id,message,permalink_url,created_time,attachments{url,unshimmed_url}",
            "limit": str(self.lookup_page_size),
        }
        if since is not None:
            aware = since if since.tzinfo else since.replace(tzinfo=UTC)  # naive means UTC
            query["since"] = str(int(aware.timestamp()))
        edges = ["posts"] + (["scheduled_posts"] if self.account.schedule_minutes else [])
        look = Lookup(self, link, since)
        with look.reading():
            for edge in edges:
                found = self._scan(edge, query, link, look)
                if found is not None:
                    return found
        return look.absent()

    def _scan(self, edge: str, query: dict[str, str], link: str, look: Lookup
              ) -> PublishResult | None:
        page: dict[str, str] | None = dict(query)
        while page is not None:
            look.next_page()
            body = self._request("GET", f"{self.page_id}/{edge}", "reading recent posts",
                                 params={**page, **self._token_fields()})
            items = [item for item in body.get("data") or [] if isinstance(item, dict)]
            look.read(len(items))
            for index, item in enumerate(items):
                if _mentions(item, link):
                    pid = str(item.get("id"))
                    return look.found(PublishResult(
                        remote_id=pid,
                        url=item.get("permalink_url") or f"https://www.facebook.com/{pid}",
                        status="sent", detail=f"found among the Page's {edge.replace('_', ' ')}",
                    ), index)
            page = next_page_query(body.get("paging"), page)
        return None

    def describe(self) -> str:
        return (
            f"{self.label} account {self.account.name!r}: Page {self.page_id} via "
            f"{self.api_base}/{self.version}; credentials: {self.credential_summary()}"
        )


def _mentions(item: dict[str, Any], link: str) -> bool:
    if text_mentions_link(str(item.get("message") or ""), link):
        return True
    target = normalize_link(link)
    attachments = (item.get("attachments") or {}).get("data") or []
    for att in attachments:
        for key in ("unshimmed_url", "url"):
            url = att.get(key) if isinstance(att, dict) else None
            if not url:
                continue
            candidates = [url, *parse_qs(urlsplit(url).query).get("u", [])]
            if any(normalize_link(c) == target for c in candidates):
                return True
    return False


def next_page_query(paging: object, query: dict[str, str]) -> dict[str, str] | None:
    """The query for the page after this one, from a Graph API ``paging`` object; None when
    this was the last page (Graph marks "more" only by ``paging.next``).

    The cursor (``after``) or, on time-paged edges, ``until``/``__paging_token`` are taken
    from ``next``; the access token in that URL is dropped (the adapter adds its own) and
    the request goes to the adapter's own API base, never to the host named in ``next``.
    """
    if not isinstance(paging, dict) or not paging.get("next"):
        return None
    carried = {k: v for k, v in parse_qsl(urlsplit(str(paging["next"])).query)
               if k not in ("access_token", "appsecret_proof")}
    cursors = paging.get("cursors")
    if isinstance(cursors, dict) and cursors.get("after"):
        carried["after"] = str(cursors["after"])
    return {**query, **carried}
