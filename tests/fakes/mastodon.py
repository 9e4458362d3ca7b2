"""A fake Mastodon server (REST API v1/v2 and OAuth), as docs.joinmastodon.org describes it.

* ``GET /api/v2/instance`` tells the server's own limits (``max_characters``,
  ``characters_reserved_per_url``); ``POST /api/v1/statuses`` enforces them the way the
  server counts (grapheme clusters, every URL as the reserved count, the content warning
  included) with a ``422`` ``Validation failed`` error;
* ``Idempotency-Key``: a repeated key from the same account within an hour returns the
  status made the first time (``200``, same id), and makes no new one;
* ``GET /api/v1/accounts/:id/statuses`` lists newest first (snowflake-like ids), ``limit``
  default 20 and at most 40 (more is clamped, as the server does), ``max_id`` paging with a
  ``Link`` header; a status's ``content`` is HTML, its links in ``href`` attributes with the
  display text shortened;
* every answer carries ``X-RateLimit-Limit/-Remaining/-Reset`` (reset as an ISO 8601 time);
  a spent limit is ``429 {"error": "Too many requests"}``; a bad token ``401``;
* app registration (``POST /api/v1/apps``), the authorisation-code flow
  (``/oauth/authorize`` shows the code, ``POST /oauth/token``) and the 4.3+
  ``/.well-known/oauth-authorization-server`` document, for ``bot auth mastodon``.
"""

from __future__ import annotations

import html
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import regex

from tests.fakes.base import FakeServer, Recorded, Reply

URL_RE = re.compile(r"https?://[^\s<>\"]+")
TAG_RE = re.compile(r"(?<![\w/])#(\w+)")
KEY_WINDOW = 3600.0


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def mastodon_error(status: int, message: str, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": message}, headers or {})


class FakeMastodon(FakeServer):
    platform = "mastodon"
    post_paths = r"^/api/v1/statuses$"

    def __init__(
        self, *, access_token: str = "mastodon-user-token-0123456789",
        username: str = "news", domain: str = "social.example", max_characters: int = 500,
        url_weight: int = 23, account_id: str = "109000000000000001",
        requests_per_window: int = 300, **kw: Any,
    ) -> None:
        self.tokens = {access_token}
        self.username, self.domain = username, domain
        self.max_characters, self.url_weight = max_characters, url_weight
        self.account_id = account_id
        self.requests_per_window = requests_per_window
        self.idempotency: dict[str, tuple[str, float]] = {}
        self.apps: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, str] = {}
        self.calls_in_window: list[float] = []
        super().__init__(**kw)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "idempotency": self.idempotency}

    def restore(self, data: dict[str, Any]) -> None:
        super().restore(data)
        self.idempotency = {k: (v[0], float(v[1])) for k, v in
                            (data.get("idempotency") or {}).items()}

    def revoke(self) -> None:
        """The user revoked the app: its tokens stop working."""
        self.tokens.clear()

    # -- shapes ----------------------------------------------------------------------------
    def limit_headers(self, remaining: int | None = None, reset_in: float = 300.0
                      ) -> dict[str, str]:
        now = time.time()
        self.calls_in_window = [t for t in self.calls_in_window if t > now - 300]
        left = self.requests_per_window - len(self.calls_in_window)
        return {"X-RateLimit-Limit": str(self.requests_per_window),
                "X-RateLimit-Remaining": str(max(0, left if remaining is None else remaining)),
                "X-RateLimit-Reset": iso(now + reset_in)}

    def error_reply(self, kind: str, req: Recorded | None) -> Reply:
        if kind == "429":
            return mastodon_error(429, "Too many requests", self.limit_headers(0, 60.0))
        return Reply(503, "<html><body><h1>503 Service Unavailable</h1></body></html>")

    def account_json(self) -> dict[str, Any]:
        return {"id": self.account_id, "username": self.username, "acct": self.username,
                "display_name": "News Desk", "locked": False, "bot": True,
                "url": f"https://{self.domain}/@{self.username}",
                "created_at": "2024-01-01T00:00:00.000Z", "statuses_count": len(self.posts)}

    def content_html(self, text: str) -> str:
        """The text as the server renders it: escaped, links and hashtags as anchors."""
        def link(m: re.Match[str]) -> str:
            url = m.group(0)
            scheme, _, rest = url.partition("://")
            shown, hidden = rest[:30], rest[30:]
            return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
                    f'translate="no"><span class="invisible">{scheme}://</span>'
                    f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                    f'<span class="invisible">{html.escape(hidden)}</span></a>')

        paragraphs = []
        for para in re.split(r"\n{2,}", text.strip()):
            out, last = "", 0
            for m in URL_RE.finditer(para):
                out += html.escape(para[last:m.start()]) + link(m)
                last = m.end()
            out += html.escape(para[last:])
            out = TAG_RE.sub(lambda t: f'<a href="https://{self.domain}/tags/{t.group(1).lower()}"'
                             f' class="mention hashtag" rel="tag">#<span>{t.group(1)}</span></a>',
                             out)
            paragraphs.append("<p>" + out.replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)

    def status_json(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"id": p["id"], "created_at": p["created_at"], "in_reply_to_id": None,
                "sensitive": bool(p["spoiler_text"]), "spoiler_text": p["spoiler_text"],
                "visibility": p["visibility"], "language": p["language"],
                "uri": f"https://{self.domain}/users/{self.username}/statuses/{p['id']}",
                "url": f"https://{self.domain}/@{self.username}/{p['id']}",
                "content": self.content_html(p["text"]), "reblog": None, "card": None,
                "account": self.account_json(), "media_attachments": [], "mentions": [],
                "tags": [], "emojis": [], "replies_count": 0, "reblogs_count": 0,
                "favourites_count": 0}

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A status the account's owner wrote in the web app."""
        return self._new_status(f"Written by hand, number {n}: https://elsewhere.example/{n}",
                                now, "public", "", "en")

    def _new_status(self, text: str, now: float, visibility: str, spoiler: str,
                    language: str | None) -> dict[str, Any]:
        return {"id": str(110000000000000000 + self.new_id()), "text": text,
                "created_ts": now, "created_at": iso(now), "visibility": visibility,
                "spoiler_text": spoiler, "language": language}

    def countable_length(self, text: str, spoiler: str) -> int:
        """What the server counts: graphemes, each URL as ``characters_reserved_per_url``."""
        urls = URL_RE.findall(text)
        rest = URL_RE.sub("", text)
        return len(regex.findall(r"\X", spoiler + rest)) + self.url_weight * len(urls)

    # -- routes ----------------------------------------------------------------------------
    def route(self, req: Recorded) -> Reply:
        p, m = req.path.rstrip("/") or "/", req.method  # Rails ignores a trailing slash
        if p == "/api/v2/instance":
            return Reply(200, self.instance_json(), self.limit_headers())
        if p == "/api/v1/instance":  # what Mastodon.py reads the server's version from
            return Reply(200, {"uri": self.domain, "title": "Social Example",
                               "version": "4.5.0"}, self.limit_headers())
        if p == "/.well-known/oauth-authorization-server":
            return Reply(200, self.oauth_server_json())
        if p == "/api/v1/apps" and m == "POST":
            return self.register_app(req)
        if p == "/oauth/authorize":
            return self.authorize(req)
        if p == "/oauth/token" and m == "POST":
            return self.token(req)
        header = req.header("authorization") or ""
        if not header.startswith("Bearer ") or header[7:] not in self.tokens:
            return mastodon_error(401, "The access token is invalid")
        self.calls_in_window.append(time.time())
        if len(self.calls_in_window) > self.requests_per_window:
            return mastodon_error(429, "Too many requests", self.limit_headers(0))
        if p == "/api/v1/accounts/verify_credentials":
            return Reply(200, self.account_json(), self.limit_headers())
        if p == "/api/v1/statuses" and m == "POST":
            return self.create(req)
        found = re.fullmatch(r"/api/v1/accounts/(\d+)/statuses", p)
        if found and m == "GET":
            return self.timeline(req, found.group(1))
        return mastodon_error(404, "Record not found")

    def instance_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "title": "Social Example", "version": "4.5.0",
                "source_url": "https://github.com/mastodon/mastodon",
                "configuration": {
                    "urls": {"streaming": f"wss://{self.domain}"},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": {"max_characters": self.max_characters,
                                 "max_media_attachments": 4,
                                 "characters_reserved_per_url": self.url_weight},
                    "media_attachments": {"image_size_limit": 16777216},
                    "polls": {"max_options": 4, "max_characters_per_option": 50}},
                "registrations": {"enabled": False, "approval_required": True}}

    def create(self, req: Recorded) -> Reply:
        form = req.params() if "json" not in (req.header("content-type") or "") else {
            k: str(v) for k, v in (req.json or {}).items()}
        text = form.get("status", "")
        spoiler = form.get("spoiler_text", "") or ""
        now = time.time()
        key = req.header("idempotency-key")
        if key:
            self.idempotency = {k: v for k, v in self.idempotency.items()
                                if v[1] > now - KEY_WINDOW}
            seen = self.idempotency.get(key)
            first = next((p for p in self.posts if seen and p["id"] == seen[0]), None)
            if first is not None:
                return Reply(200, self.status_json(first), self.limit_headers())
        if not text.strip():
            return mastodon_error(422, "Validation failed: Text can't be blank")
        if self.countable_length(text, spoiler) > self.max_characters:
            return mastodon_error(
                422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        visibility = form.get("visibility") or "public"
        if visibility not in ("public", "unlisted", "private", "direct"):
            return mastodon_error(422, "Validation failed: Visibility is not included in the list")
        wait = self.rate_limited()
        if wait is not None:
            return mastodon_error(429, "Too many requests", self.limit_headers(0, wait + 1))
        post = self.add_post(self._new_status(text, now, visibility, spoiler,
                                              form.get("language") or None))
        if key:
            self.idempotency[key] = (post["id"], now)
            self.save_state()
        return Reply(200, self.status_json(post), self.limit_headers())

    def timeline(self, req: Recorded, account_id: str) -> Reply:
        if account_id != self.account_id:
            return mastodon_error(404, "Record not found")
        size = max(1, min(40, int(req.q("limit") or 20)))
        items = sorted(self.posts, key=lambda p: int(p["id"]), reverse=True)
        max_id = req.q("max_id")
        if max_id:
            items = [p for p in items if int(p["id"]) < int(max_id)]
        page = self.listed(items[:size])
        headers = self.limit_headers()
        if page:
            base = f"{self.url}/api/v1/accounts/{account_id}/statuses"
            nxt = urlencode({"limit": size, "max_id": page[-1]["id"]})
            prev = urlencode({"limit": size, "min_id": page[0]["id"]})
            headers["Link"] = f'<{base}?{nxt}>; rel="next", <{base}?{prev}>; rel="prev"'
        return Reply(200, [self.status_json(p) for p in page], headers)

    # -- OAuth (bot auth mastodon) ---------------------------------------------------------
    def oauth_server_json(self) -> dict[str, Any]:
        return {"issuer": f"{self.url}/", "authorization_endpoint": f"{self.url}/oauth/authorize",
                "token_endpoint": f"{self.url}/oauth/token",
                "revocation_endpoint": f"{self.url}/oauth/revoke",
                "scopes_supported": ["read", "write", "write:statuses", "read:accounts"],
                "response_types_supported": ["code"],
                "grant_types_supported": ["authorization_code", "client_credentials",
                                          "refresh_token"]}

    def register_app(self, req: Recorded) -> Reply:
        form = req.params() if "json" not in (req.header("content-type") or "") else req.json
        if not form.get("client_name") or not form.get("redirect_uris"):
            return mastodon_error(422, "Validation failed: Name can't be blank")
        cid, secret = secrets.token_urlsafe(16), secrets.token_urlsafe(24)
        self.apps[cid] = {"secret": secret, "redirect": form["redirect_uris"],
                          "scopes": form.get("scopes", "read")}
        return Reply(200, {"id": str(self.new_id()), "name": form["client_name"],
                           "client_id": cid, "client_secret": secret,
                           "redirect_uri": form["redirect_uris"], "vapid_key": "BFake="})

    def authorize(self, req: Recorded) -> Reply:
        app = self.apps.get(req.q("client_id") or "")
        if app is None or req.q("redirect_uri") != app["redirect"]:
            return Reply(400, "The client application is unknown or the redirect URI differs")
        code = secrets.token_urlsafe(12)
        self.codes[code] = req.q("client_id") or ""
        return Reply(200, f"Copy this authorization code and paste it into the application: "
                          f"{code}")

    def token(self, req: Recorded) -> Reply:
        form = req.params()
        app = self.apps.get(form.get("client_id", ""))
        if app is None or form.get("client_secret") != app["secret"]:
            return Reply(401, {"error": "invalid_client", "error_description": "Client "
                               "authentication failed due to unknown client"})
        if form.get("grant_type") != "authorization_code" or \
                self.codes.pop(form.get("code", ""), None) != form.get("client_id"):
            return Reply(400, {"error": "invalid_grant", "error_description": "The provided "
                               "authorization grant is invalid, expired, revoked"})
        token = secrets.token_urlsafe(32)
        self.tokens.add(token)
        return Reply(200, {"access_token": token, "token_type": "Bearer",
                           "scope": form.get("scope", app["scopes"]),
                           "created_at": int(time.time())})
