"""A fake X API v2 (posts, users, OAuth 2.0 refresh, OAuth 1.0a PIN flow)."""

from __future__ import annotations

import base64
import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlencode

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature as oauth_signature

from tests.fakes.base import FakeServer, Recorded, Reply, page_of

DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
OAUTH1_FIELDS = ("oauth_consumer_key", "oauth_nonce", "oauth_signature",
                 "oauth_signature_method", "oauth_timestamp", "oauth_version")
URL_RE = re.compile(r"https?://[^\s]+")


TOKEN_HEAD = "7140dibdnow9c7btw"
"""X's paging tokens are opaque lower-case base-36 strings; ours end in the base-36 id of
the last post of the page (a cursor: newer posts never shift the next page)."""


def next_token(post_id: str) -> str:
    n, digits = int(post_id), ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return TOKEN_HEAD + (digits or "0")


def token_id(token: str) -> str:
    """The post id a token points after ("" when it is not one of ours)."""
    if not token.startswith(TOKEN_HEAD):
        return ""
    try:
        return str(int(token[len(TOKEN_HEAD):], 36))
    except ValueError:
        return ""


def unix(stamp: str | None) -> float | None:
    """``2026-11-01T12:00:00Z`` as Unix seconds (None when not given)."""
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def oauth_params(header: str | None) -> dict[str, str]:
    """The fields of an ``Authorization: OAuth k="v", …`` header ({} when not OAuth)."""
    if not header or not header.startswith("OAuth "):
        return {}
    return {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}


class FakeX(FakeServer):
    platform = "x"
    post_paths = r"^/2/tweets$"

    def __init__(
        self, *, consumer_key: str | None = None, consumer_secret: str | None = None,
        access_token: str | None = None, access_token_secret: str | None = None,
        bearer_tokens: set[str] | list[str] | None = None, refresh_token: str | None = None,
        client_id: str | None = None, client_secret: str | None = None,
        user_id: str = "1001", username: str = "pubbot", name: str = "Pub Bot",
        daily_limit: int | None = None, **kw: Any,
    ) -> None:
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.access_token, self.access_token_secret = access_token, access_token_secret
        # None: any bearer token is fine
        self.bearer_tokens = set(bearer_tokens) if bearer_tokens is not None else None
        self.refresh_token, self.client_id, self.client_secret = (
            refresh_token, client_id, client_secret)
        self.user = {"id": user_id, "username": username, "name": name}
        self.daily_limit = daily_limit
        self.request_tokens: dict[str, dict[str, str]] = {}
        self.token_secrets: dict[str, str] = {}
        super().__init__(**kw)

    # -- shapes ------------------------------------------------------------------------------
    def limit_headers(self, remaining: int = 99) -> dict[str, str]:
        reset = str(int(time.time()) + 900)
        return {"x-rate-limit-limit": "100", "x-rate-limit-remaining": str(remaining),
                "x-rate-limit-reset": reset}

    @staticmethod
    def problem(status: int, title: str, detail: str) -> dict[str, Any]:
        return {"title": title, "detail": detail, "type": "about:blank", "status": status}

    def error_reply(self, kind: str, req: Recorded) -> Reply:
        if kind == "429":
            return Reply(429, self.problem(429, "Too Many Requests", "Too Many Requests"),
                         self.limit_headers(0))
        return Reply(503, self.problem(503, "Service Unavailable", "Service Unavailable"))

    # -- auth ----------------------------------------------------------------------------------
    def _signature_ok(self, req: Recorded, fields: dict[str, str]) -> bool:
        if not self.consumer_secret:
            return True  # shape check only
        token = fields.get("oauth_token")
        if not token:
            token_secret = ""
        else:
            token_secret = self.token_secrets.get(token, self.access_token_secret or "")
        body = req.text if "x-www-form-urlencoded" in (req.header("content-type") or "") else ""
        query = urlencode([(k, v) for k, vs in req.query.items() for v in vs])
        # The URL this server was actually called on, as a staging server sees it: a client
        # that signed another URL (say api.twitter.com, then re-routed) fails here.
        called = f"http://{req.header('host')}{req.path}" + (f"?{query}" if query else "")
        oreq = OAuthRequest(called, req.method, body or None,
                            {"Authorization": req.header("authorization") or ""})
        oreq.params = (oauth_signature.collect_parameters(
            headers=oreq.headers, exclude_oauth_signature=True)
            + oauth_signature.collect_parameters(body=body or None)
            + oauth_signature.collect_parameters(uri_query=query))
        oreq.signature = fields.get("oauth_signature", "")
        return bool(oauth_signature.verify_hmac_sha1(oreq, self.consumer_secret, token_secret))

    def check_auth(self, req: Recorded, *, token_required: bool = True) -> Reply | None:
        """None when authorised, else the 401 X would send."""
        header = req.header("authorization") or ""
        unauthorized = Reply(401, self.problem(401, "Unauthorized", "Unauthorized"))
        if header.startswith("Bearer "):
            token = header[7:]
            if self.bearer_tokens is None or token in self.bearer_tokens:
                return None
            return unauthorized
        fields = oauth_params(header)
        if not fields or any(f not in fields for f in OAUTH1_FIELDS):
            return unauthorized
        if fields["oauth_signature_method"] != "HMAC-SHA1" or fields["oauth_version"] != "1.0":
            return unauthorized
        if self.consumer_key and fields["oauth_consumer_key"] != self.consumer_key:
            return unauthorized
        if token_required:
            known = {self.access_token} if self.access_token else None
            if "oauth_token" not in fields or (known and fields["oauth_token"] not in known):
                return unauthorized
        if not self._signature_ok(req, fields):
            return unauthorized
        return None

    # -- routes ----------------------------------------------------------------------------------
    def route(self, req: Recorded) -> Reply:
        p, m = req.path, req.method
        if p == "/2/oauth2/token" and m == "POST":
            return self.oauth2_token(req)
        if p.startswith("/oauth/"):
            return self.pin_flow(req)
        denied = self.check_auth(req)
        if denied:
            return denied
        if p == "/2/tweets" and m == "POST":
            return self.create(req)
        if p == "/2/users/me" and m == "GET":
            return Reply(200, {"data": dict(self.user)}, self.limit_headers())
        found = re.fullmatch(r"/2/users/(\w+)/tweets", p)
        if found and m == "GET":
            return self.timeline(req, found.group(1))
        return Reply(404, self.problem(404, "Not Found Error", f"no route {m} {p}"))

    def create(self, req: Recorded) -> Reply:
        body = req.json or {}
        text = body.get("text")
        if not isinstance(text, str) or not text.strip():
            return Reply(400, {**self.problem(400, "Invalid Request", "One or more parameters "
                                              "to your request was invalid."),
                               "errors": [{"message": "text is required"}]})
        wait = self.rate_limited()
        if wait is not None:
            return Reply(429, self.problem(429, "Too Many Requests", "Too Many Requests"),
                         {**self.limit_headers(0),
                          "x-rate-limit-reset": str(int(time.time() + wait) + 1)})
        today = [p for p in self.posts if p["created_ts"] > time.time() - 86400]
        if self.daily_limit is not None and len(today) >= self.daily_limit:
            reset = str(int(today[0]["created_ts"] + 86400) + 1)
            return Reply(429, self.problem(429, "Too Many Requests", "Too Many Requests"), {
                **self.limit_headers(), "x-user-limit-24hour-limit": str(self.daily_limit),
                "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": reset})
        if self.duplicates and any(p["text"] == text for p in self.posts):
            return Reply(403, self.problem(403, "Forbidden", DUPLICATE), self.limit_headers())
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if reply_to and not any(p["id"] == str(reply_to) for p in self.posts):
            return Reply(400, self.problem(400, "Invalid Request",
                                           "Tweet to reply to is deleted or not visible."))
        tid = str(1850000000000000000 + self.new_id())
        shown, entities = self.shorten(text)
        now = time.time()
        post = self.add_post({
            "id": tid, "text": text, "display_text": shown, "entities": entities,
            "author_id": self.user["id"], "in_reply_to_tweet_id": reply_to,
            "created_ts": now,
            "created_at": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        })
        return Reply(201, {"data": {"id": post["id"], "text": shown,
                                    "edit_history_tweet_ids": [post["id"]]}},
                     {**self.limit_headers(), "x-user-limit-24hour-remaining": "16"})

    @staticmethod
    def shorten(text: str) -> tuple[str, dict[str, Any]]:
        """Replace URLs with t.co links, as X does; entities keep the expanded URL."""
        urls: list[dict[str, Any]] = []
        out, last = "", 0
        for match in URL_RE.finditer(text):
            short = f"https://t.co/{secrets.token_hex(5)}"
            out += text[last:match.start()]
            urls.append({"start": len(out), "end": len(out) + len(short), "url": short,
                         "expanded_url": match.group(0), "display_url": match.group(0)[8:][:25]})
            out += short
            last = match.end()
        out += text[last:]
        return out, ({"urls": urls} if urls else {})

    @staticmethod
    def invalid(name: str, value: str | None, message: str) -> Reply:
        """X's 400 for a bad query parameter."""
        return Reply(400, {
            "errors": [{"parameters": {name: [value or ""]}, "message": message}],
            "title": "Invalid Request", "detail": "One or more parameters to your request was "
            "invalid.", "type": "https://api.twitter.com/2/problems/invalid-request"})

    def timeline(self, req: Recorded, user_id: str) -> Reply:
        """GET /2/users/:id/tweets: newest first, ``max_results`` 5-100 (default 10),
        ``meta.next_token`` while more remain (``pagination_token`` asks for it),
        ``start_time``/``end_time``, ``exclude``; the newest 3,200 posts at most (800 when
        replies are excluded)."""
        raw = req.q("max_results")
        size = int(raw) if raw is not None and raw.isdigit() else (10 if raw is None else 0)
        if not 5 <= size <= 100:
            return self.invalid("max_results", raw, f"The `max_results` query parameter value "
                                f"[{raw}] is not between 5 and 100")
        exclude = set((req.q("exclude") or "").split(","))
        items = [p for p in reversed(self.posts) if p["author_id"] == user_id]
        if "replies" in exclude:
            items = [p for p in items if not p.get("in_reply_to_tweet_id")]
        items = items[:800 if "replies" in exclude else 3200]
        start, end = unix(req.q("start_time")), unix(req.q("end_time"))
        items = [p for p in items if (start is None or p["created_ts"] >= start)
                 and (end is None or p["created_ts"] < end)]
        token = req.q("pagination_token")
        page = page_of(items, size, after=token_id(token) if token else None)
        if page is None:
            return self.invalid("pagination_token", token, f"The `pagination_token` query "
                                f"parameter value [{token}] is not valid")
        fields = set((req.q("tweet.fields") or "").split(","))
        data = [self.tweet_json(p, fields) for p in self.listed(page[0])]
        body: dict[str, Any] = {"meta": {"result_count": len(data)}}
        if data:
            body["data"] = data
            body["meta"].update(newest_id=data[0]["id"], oldest_id=data[-1]["id"])
            if page[1]:
                body["meta"]["next_token"] = next_token(data[-1]["id"])
        return Reply(200, body, self.limit_headers())

    @staticmethod
    def tweet_json(p: dict[str, Any], fields: set[str]) -> dict[str, Any]:
        item = {"id": p["id"], "text": p["display_text"], "edit_history_tweet_ids": [p["id"]]}
        if "entities" in fields and p["entities"]:
            item["entities"] = p["entities"]
        if "created_at" in fields:
            item["created_at"] = p["created_at"]
        return item

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A post by another tool on the same account (a colleague's link)."""
        text = f"Team note {n}: https://elsewhere.example.com/notes/{n}"
        shown, entities = self.shorten(text)
        return {"id": str(1850000000000000000 + n), "text": text, "display_text": shown,
                "entities": entities, "author_id": self.user["id"], "in_reply_to_tweet_id": None,
                "created_ts": now,
                "created_at": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")}

    def oauth2_token(self, req: Recorded) -> Reply:
        form = req.form
        bad = Reply(400, {"error": "invalid_request",
                          "error_description": "Value passed for the token was invalid."})
        if form.get("grant_type") != "refresh_token" or not self.refresh_token:
            return bad
        if self.client_secret:
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if req.header("authorization") != f"Basic {expected}":
                return Reply(401, {"error": "unauthorized_client",
                                   "error_description": "Missing valid authorization header"})
        elif self.client_id and form.get("client_id") != self.client_id:
            return bad
        if form.get("refresh_token") != self.refresh_token:
            return bad
        n = self.new_id()
        access, self.refresh_token = f"x-access-{n}", f"x-refresh-{n}"
        if self.bearer_tokens is not None:
            self.bearer_tokens.add(access)
        return Reply(200, {"token_type": "bearer", "expires_in": 7200, "access_token": access,
                           "scope": "tweet.read tweet.write users.read offline.access",
                           "refresh_token": self.refresh_token})

    def pin_flow(self, req: Recorded) -> Reply:
        form_reply = {"Content-Type": "application/x-www-form-urlencoded"}
        if req.path == "/oauth/authorize":
            token = req.q("oauth_token") or ""
            if token not in self.request_tokens:
                return Reply(400, "unknown request token")
            return Reply(200, f"Authorise the app, then enter this PIN: "
                              f"{self.request_tokens[token]['pin']}")
        fields = oauth_params(req.header("authorization"))
        if self.check_auth(req, token_required=False):
            return Reply(401, "Invalid consumer key or signature")
        if req.path == "/oauth/request_token" and req.method == "POST":
            if fields.get("oauth_callback") != "oob":
                return Reply(401, "Callback URL not approved for this client application")
            n = self.new_id()
            token, secret = f"req-{n}", f"reqsecret-{n}"
            self.request_tokens[token] = {"secret": secret, "pin": f"{n:07d}"[-7:]}
            self.token_secrets[token] = secret
            return Reply(200, urlencode({"oauth_token": token, "oauth_token_secret": secret,
                                         "oauth_callback_confirmed": "true"}).encode(), form_reply)
        if req.path == "/oauth/access_token" and req.method == "POST":
            token = fields.get("oauth_token", "")
            pending = self.request_tokens.get(token)
            if pending is None or fields.get("oauth_verifier") != pending["pin"]:
                return Reply(401, "Invalid request token or oauth_verifier.")
            del self.request_tokens[token]
            n = self.new_id()
            access, secret = f"{self.user['id']}-access{n}", f"accesssecret{n}"
            self.token_secrets[access] = secret
            return Reply(200, urlencode({"oauth_token": access, "oauth_token_secret": secret,
                                         "user_id": self.user["id"],
                                         "screen_name": self.user["username"]}).encode(),
                         form_reply)
        return Reply(404, "not found")
