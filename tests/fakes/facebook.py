"""A fake Facebook Graph API: Page feed and posts, debug_token, token exchange."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from tests.fakes.base import FakeServer, Recorded, Reply, page_of


def graph_error(code: int, message: str, *, subcode: int | None = None,
                type_: str = "OAuthException", status: int = 400) -> Reply:
    err: dict[str, Any] = {"message": message, "type": type_, "code": code,
                           "fbtrace_id": "A" + secrets.token_hex(6)}
    if subcode is not None:
        err["error_subcode"] = subcode
    return Reply(status, {"error": err})


def cursor(post_id: str) -> str:
    """Graph cursors are base64 strings naming an item (the docs' example is a post id)."""
    return base64.b64encode(post_id.encode()).decode()


def cursor_id(value: str) -> str:
    try:
        return base64.b64decode(value.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


class FakeFacebook(FakeServer):
    platform = "facebook"
    post_paths = r"/feed$"

    def __init__(
        self, *, page_id: str = "1234567890", page_name: str = "Sample Page",
        page_token: str = "fb-page-token-0123456789", app_id: str | None = None,
        app_secret: str | None = None, require_proof: bool = False,
        user_token: str = "fb-short-user-token", token_expires_at: int = 0,
        other_pages: list[dict[str, str]] | None = None, **kw: Any,
    ) -> None:
        self.page_id, self.page_name, self.page_token = page_id, page_name, page_token
        self.app_id, self.app_secret, self.require_proof = app_id, app_secret, require_proof
        self.user_token = user_token
        self.long_user_token = "fb-long-user-token-" + secrets.token_hex(4)
        self.token_expires_at = token_expires_at
        self.token_invalid_subcode: int | None = None  # e.g. 460: password changed
        self.other_pages = other_pages or []
        self.usage_minutes = 10
        super().__init__(**kw)

    def error_reply(self, kind: str, req: Recorded) -> Reply:
        if kind == "429":
            reply = graph_error(4, "(#4) Application request limit reached")
            reply.headers["X-App-Usage"] = json.dumps(
                {"call_count": 100, "total_cputime": 20, "total_time": 30})
            return reply
        return graph_error(2, "An unexpected error has occurred. Please retry your request "
                              "later.", status=500)

    # -- auth ----------------------------------------------------------------------------------
    @staticmethod
    def token_of(req: Recorded) -> str | None:
        params = req.params()
        if "access_token" in params:
            return params["access_token"]
        header = req.header("authorization") or ""
        for prefix in ("Bearer ", "OAuth "):
            if header.startswith(prefix):
                return header[len(prefix):]
        return None

    def check_token(self, req: Recorded, valid: set[str]) -> Reply | None:
        token = self.token_of(req)
        if not token:
            return graph_error(104, "An access token is required to request this resource.")
        if token not in valid:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        if token == self.page_token and self.token_invalid_subcode:
            return graph_error(190, "Error validating access token: the session has been "
                               "invalidated.", subcode=self.token_invalid_subcode)
        proof = req.params().get("appsecret_proof")
        if self.app_secret and proof is not None:
            good = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(proof, good):
                return graph_error(100, "Invalid appsecret_proof provided in the API argument",
                                   type_="GraphMethodException")
        elif self.require_proof and proof is None:
            return graph_error(100, "API calls from the server require an appsecret_proof "
                               "argument", type_="GraphMethodException")
        return None

    # -- routes ----------------------------------------------------------------------------------
    def route(self, req: Recorded) -> Reply:
        path = re.sub(r"^/v\d+\.\d+", "", req.path)
        if path == "/oauth/access_token":
            return self.exchange(req)
        if path == "/debug_token":
            return self.debug_token(req)
        if path == "/me/accounts":
            denied = self.check_token(req, {self.long_user_token, self.user_token})
            return denied or Reply(200, {"data": self.pages(), "paging": {}})
        denied = self.check_token(req, {self.page_token})
        if denied:
            return denied
        page = f"/{self.page_id}"
        if path == f"{page}/feed" and req.method == "POST":
            return self.create(req)
        if path in (f"{page}/posts", f"{page}/scheduled_posts") and req.method == "GET":
            return self.listing(req, scheduled=path.endswith("scheduled_posts"))
        if path == page and req.method == "GET":
            return Reply(200, {"id": self.page_id, "name": self.page_name})
        return graph_error(100, f"Unsupported {req.method} request. Object does not exist",
                           subcode=33, type_="GraphMethodException")

    def pages(self) -> list[dict[str, Any]]:
        mine = {"id": self.page_id, "name": self.page_name, "access_token": self.page_token,
                "category": "Media/news company", "tasks": ["CREATE_CONTENT", "MANAGE"]}
        return [mine, *self.other_pages]

    def create(self, req: Recorded) -> Reply:
        f = req.params()
        message, link = f.get("message", ""), f.get("link")
        if not message and not link:
            return graph_error(100, "(#100) Missing message or attachment")
        wait = self.rate_limited()
        if wait is not None:
            reply = graph_error(32, "Page request limit reached")
            reply.headers["X-Business-Use-Case-Usage"] = json.dumps({self.page_id: [{
                "type": "pages", "call_count": 100, "total_cputime": 10, "total_time": 10,
                "estimated_time_to_regain_access": self.usage_minutes}]})
            return reply
        published = f.get("published", "true").lower() != "false"
        when = f.get("scheduled_publish_time")
        if not published:
            now = time.time()
            if not when or not (now + 600 <= int(when) <= now + 30 * 86400):
                return graph_error(100, "(#100) The specified scheduled publish time is invalid.")
        if self.duplicates and any(p["message"] == message and p.get("link") == link
                                   for p in self.posts):
            return graph_error(506, "Duplicate status message", subcode=1455006)
        n = self.new_id()
        pid = f"{self.page_id}_{100000 + n}"
        self.add_post({
            "id": pid, "message": message, "link": link, "published": published,
            "scheduled_publish_time": int(when) if when else None, "created_ts": time.time(),
            "created_time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
            "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{100000 + n}",
            "form": {k: v for k, v in f.items() if k not in ("access_token", "appsecret_proof")},
        })
        return Reply(200, {"id": pid})

    def listing(self, req: Recorded, *, scheduled: bool) -> Reply:
        """GET /{page}/posts and /scheduled_posts: newest first, ``limit`` 1-100 (default 25),
        ``since``/``until`` (Unix seconds), cursor paging: ``paging.cursors`` and a
        ``paging.next`` URL (with the access token in it, as Graph sends it) while more
        remain. The wording of the two 400s is not verified against Graph."""
        raw = req.q("limit")
        size = int(raw) if raw is not None and raw.isdigit() else (25 if raw is None else 0)
        if not 1 <= size <= 100:
            return graph_error(100, "(#100) The parameter limit must be between 1 and 100",
                               type_="OAuthException")
        items = [p for p in reversed(self.posts) if p["published"] != scheduled]
        since, until = req.q("since"), req.q("until")
        items = [p for p in items if (not since or p["created_ts"] >= int(since))
                 and (not until or p["created_ts"] <= int(until))]
        after, before = req.q("after"), req.q("before")
        page = page_of(items, size, after=cursor_id(after) if after else None,
                       before=cursor_id(before) if before else None)
        if page is None:
            return graph_error(100, "(#100) Invalid cursor", type_="OAuthException")
        fields = req.q("fields") or "id,message,created_time"
        data = [self.post_json(p, fields) for p in self.listed(page[0])]
        paging: dict[str, Any] = {}
        if data:
            first, last = cursor(data[0]["id"]), cursor(data[-1]["id"])
            paging["cursors"] = {"before": first, "after": last}
            if after or before:
                paging["previous"] = self.page_url(req, before=first)
            if page[1]:
                paging["next"] = self.page_url(req, after=last)
        return Reply(200, {"data": data, "paging": paging} if paging else {"data": data})

    def page_url(self, req: Recorded, **cursor_arg: str) -> str:
        query = {k: v[0] for k, v in req.query.items() if k not in ("after", "before")}
        return f"{self.url}{req.path}?{urlencode({**query, **cursor_arg})}"

    @staticmethod
    def post_json(p: dict[str, Any], fields: str) -> dict[str, Any]:
        item: dict[str, Any] = {"id": p["id"]}
        for key in ("message", "permalink_url", "created_time"):
            if key in fields and p.get(key):
                item[key] = p[key]
        if "attachments" in fields and p.get("link"):
            shim = f"https://l.facebook.com/l.php?u={quote(p['link'], safe='')}&h=AT0"
            item["attachments"] = {"data": [{"url": shim, "unshimmed_url": p["link"]}]}
        return item

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A colleague's post on the Page."""
        link = f"https://elsewhere.example.com/notes/{n}"
        return {"id": f"{self.page_id}_{100000 + n}", "message": f"From the newsroom: {link}",
                "link": link, "published": True, "scheduled_publish_time": None,
                "created_ts": now,
                "created_time": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000"),
                "permalink_url": f"https://www.facebook.com/{self.page_id}/posts/{100000 + n}",
                "form": {}}

    def debug_token(self, req: Recorded) -> Reply:
        inspector = self.token_of(req)
        app_token = f"{self.app_id}|{self.app_secret}" if self.app_id else None
        if inspector not in {app_token, self.page_token, self.long_user_token} - {None}:
            return graph_error(190, "Invalid OAuth access token - Cannot parse access token")
        token = req.q("input_token")
        base = {"app_id": self.app_id or "0", "application": "pubbot"}
        if token == self.page_token and not self.token_invalid_subcode:
            return Reply(200, {"data": {
                **base, "type": "PAGE", "is_valid": True, "profile_id": self.page_id,
                "expires_at": self.token_expires_at, "data_access_expires_at": 0,
                "scopes": ["pages_manage_posts", "pages_read_engagement", "pages_show_list"]}})
        return Reply(200, {"data": {**base, "is_valid": False, "scopes": [], "error": {
            "code": 190, "message": "Error validating access token: The session is invalid "
                                    "because the user logged out."}}})

    def exchange(self, req: Recorded) -> Reply:
        q = req.params()
        if q.get("grant_type") != "fb_exchange_token":
            return graph_error(100, "Unsupported grant_type")
        if self.app_id and q.get("client_id") != self.app_id:
            return graph_error(101, "Error validating application. Invalid application ID.")
        if self.app_secret and q.get("client_secret") != self.app_secret:
            return graph_error(1, "Error validating client secret.")
        if q.get("fb_exchange_token") != self.user_token:
            return graph_error(190, "Error validating access token: Session has expired",
                               subcode=463)
        return Reply(200, {"access_token": self.long_user_token, "token_type": "bearer",
                           "expires_in": 5183944})
