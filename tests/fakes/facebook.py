"""A fake Facebook Graph API: Page feed and posts, debug_token, token exchange."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from tests.fakes.base import FakeServer, Recorded, Reply


def graph_error(code: int, message: str, *, subcode: int | None = None,
                type_: str = "OAuthException", status: int = 400) -> Reply:
    err: dict[str, Any] = {"message": message, "type": type_, "code": code,
                           "fbtrace_id": "A" + secrets.token_hex(6)}
    if subcode is not None:
        err["error_subcode"] = subcode
    return Reply(status, {"error": err})


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
        fields = req.q("fields") or "id,message,created_time"
        limit = int(req.q("limit") or 25)
        since = req.q("since")
        items = [p for p in reversed(self.posts) if p["published"] != scheduled]
        if since:
            items = [p for p in items if p["created_ts"] >= int(since)]
        data = []
        for p in items[:limit]:
            item: dict[str, Any] = {"id": p["id"]}
            for key in ("message", "permalink_url", "created_time"):
                if key in fields and p.get(key):
                    item[key] = p[key]
            if "attachments" in fields and p.get("link"):
                shim = f"https://l.facebook.com/l.php?u={quote(p['link'], safe='')}&h=AT0"
                item["attachments"] = {"data": [{"url": shim, "unshimmed_url": p["link"]}]}
            data.append(item)
        return Reply(200, {"data": data, "paging": {}})

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
