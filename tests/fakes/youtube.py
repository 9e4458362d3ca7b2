"""A fake YouTube Data API v3 (channels, playlistItems, commentThreads, the ``posts`` pilot
resource of :mod:`tests.fakes.youtube_posts`) and Google OAuth."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.base import FakeServer, Recorded, Reply, page_of
from tests.fakes.youtube_posts import PostsResource

SCOPE = "https://www.googleapis.com/auth/youtube.force-ssl"
COST = {"list": 1, "insert": 50}


def page_token(thread_id: str) -> str:
    """Opaque like the API's (base64): names the last thread of the page."""
    return base64.urlsafe_b64encode(f"after:{thread_id}".encode()).decode().rstrip("=")


def page_token_id(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""
    return raw.removeprefix("after:") if raw.startswith("after:") else ""


def google_error(status: int, reason: str, message: str, domain: str = "youtube.commentThread",
                 ) -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "errors": [
        {"message": message, "domain": domain, "reason": reason}]}})


class FakeYouTube(FakeServer):
    platform = "youtube"
    post_paths = r"/commentThreads$|^/youtube/v3/posts$"

    def __init__(
        self, *, client_id: str = "yt-client-id", client_secret: str = "yt-client-secret-0123",
        refresh_token: str = "yt-refresh-token-0123456789", channel_id: str = "UCfakechannel0001",
        channel_title: str = "Sample Channel", videos: list[str] | None = None,
        quota_per_day: int = 10000, comments_disabled: bool = False,
        posts_refusal: str | None = None, post_list_quota: int = 10000,
        post_write_quota: int = 10000, others: str = "comments", **kw: Any,
    ) -> None:
        """``posts_refusal``: None (the project is in the posts pilot) or the name of the
        refusal a project outside it gets (:data:`tests.fakes.youtube_posts.REFUSALS`).
        ``others``: what :meth:`add_others` adds, viewers' ``comments`` or the channel's
        ``posts`` made by someone else (another manager, YouTube Studio)."""
        self.client_id, self.client_secret = client_id, client_secret
        self.refresh_tokens = {refresh_token}
        self.access_tokens: set[str] = set()
        self.codes: dict[str, dict[str, str]] = {}
        self.channel_id, self.channel_title = channel_id, channel_title
        self.videos = videos if videos is not None else ["vidNewest01", "vidOlder002"]
        self.quota_per_day, self.units_used = quota_per_day, 0
        self.comments_disabled = comments_disabled
        self.posts_refusal = posts_refusal
        self.post_list_quota, self.post_write_quota = post_list_quota, post_write_quota
        self.posts_api = PostsResource(self)
        self.others = others
        super().__init__(**kw)

    def state(self) -> dict[str, Any]:
        return {**super().state(), "units_used": self.units_used}

    def restore(self, data: dict[str, Any]) -> None:
        super().restore(data)
        self.units_used = int(data.get("units_used", 0))

    def error_reply(self, kind: str, req: Recorded) -> Reply:
        if kind == "429":
            return google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
        return google_error(503, "backendError", "Backend Error", "global")

    def revoke(self) -> None:
        """Every refresh and access token stops working (user removed the app)."""
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    # -- OAuth ---------------------------------------------------------------------------------
    def _client_ok(self, req: Recorded, form: dict[str, str]) -> bool:
        basic = req.header("authorization") or ""
        if basic.startswith("Basic "):
            cid, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return cid == self.client_id and secret == self.client_secret

    def token(self, req: Recorded) -> Reply:
        form = req.form
        if not self._client_ok(req, form):
            return Reply(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        grant = form.get("grant_type")
        n = self.new_id()
        access = f"ya29.fake-{n}"
        if grant == "refresh_token":
            if form.get("refresh_token") not in self.refresh_tokens:
                return Reply(400, {"error": "invalid_grant",
                                   "error_description": "Token has been expired or revoked."})
            self.access_tokens.add(access)
            return Reply(200, {"access_token": access, "expires_in": 3599, "scope": SCOPE,
                               "token_type": "Bearer"})
        if grant == "authorization_code":
            pending = self.codes.pop(form.get("code", ""), None)
            if pending is None or form.get("redirect_uri") != pending["redirect_uri"]:
                return Reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
            if pending.get("challenge"):
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != pending["challenge"]:
                    return Reply(400, {"error": "invalid_grant",
                                       "error_description": "Invalid code verifier."})
            refresh = f"1//fake-refresh-{n}"
            self.refresh_tokens.add(refresh)
            self.access_tokens.add(access)
            return Reply(200, {"access_token": access, "expires_in": 3599, "scope": SCOPE,
                               "token_type": "Bearer", "refresh_token": refresh})
        return Reply(400, {"error": "unsupported_grant_type"})

    def authorize(self, req: Recorded) -> Reply:
        """The consent screen, already clicked: redirect back with a code."""
        if req.q("client_id") != self.client_id or req.q("response_type") != "code":
            return Reply(400, "Error 400: invalid_request")
        code = f"4/fake-code-{self.new_id()}"
        self.codes[code] = {"redirect_uri": req.q("redirect_uri") or "",
                            "challenge": req.q("code_challenge") or ""}
        query = urlencode({"state": req.q("state") or "", "code": code, "scope": SCOPE})
        return Reply(302, "", {"Location": f"{req.q('redirect_uri')}?{query}"})

    # -- Data API --------------------------------------------------------------------------------
    def route(self, req: Recorded) -> Reply:
        if req.path == "/token" and req.method == "POST":
            return self.token(req)
        if req.path == "/o/oauth2/auth":
            return self.authorize(req)
        if not req.path.startswith(("/youtube/v3/", "/upload/youtube/v3/")):
            return google_error(404, "notFound", "Not Found", "global")
        header = req.header("authorization") or ""
        if not header.startswith("Bearer ") or header[7:] not in self.access_tokens:
            reply = google_error(401, "authError", "Request had invalid authentication "
                                 "credentials.", "global")
            reply.headers["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/"'
            return reply
        if self.posts_api.handles(req.path):
            return self.posts_api.route(req)  # quotas of its own
        resource = req.path.removeprefix("/youtube/v3/")
        cost = COST["insert"] if req.method == "POST" else COST["list"]
        if self.units_used + cost > self.quota_per_day:
            return google_error(403, "quotaExceeded", "The request cannot be completed because "
                                "you have exceeded your quota.", "youtube.quota")
        self.units_used += cost
        if resource == "channels":
            return self.channels(req)
        if resource == "playlistItems":
            items = [{"kind": "youtube#playlistItem", "id": f"PLI{v}",
                      "snippet": {"resourceId": {"kind": "youtube#video", "videoId": v}},
                      "contentDetails": {"videoId": v}} for v in self.videos]
            if req.q("playlistId") != self.uploads:
                return google_error(404, "playlistNotFound", "Playlist not found.",
                                    "youtube.playlistItem")
            return Reply(200, {"items": items[: int(req.q("maxResults") or 5)]})
        if resource == "commentThreads" and req.method == "POST":
            return self.comment(req)
        if resource == "commentThreads":
            return self.threads(req)
        return google_error(404, "notFound", "Not Found", "global")

    @property
    def uploads(self) -> str:
        return "UU" + self.channel_id[2:]

    def channels(self, req: Recorded) -> Reply:
        parts = set((req.q("part") or "").split(","))
        item: dict[str, Any] = {"kind": "youtube#channel", "id": self.channel_id}
        if "snippet" in parts:
            item["snippet"] = {"title": self.channel_title}
        if "contentDetails" in parts:
            item["contentDetails"] = {"relatedPlaylists": {"uploads": self.uploads}}
        return Reply(200, {"kind": "youtube#channelListResponse", "items": [item]})

    def comment(self, req: Recorded) -> Reply:
        snippet = (req.json or {}).get("snippet") or {}
        video = snippet.get("videoId")
        text = ((snippet.get("topLevelComment") or {}).get("snippet") or {}).get("textOriginal")
        if video not in self.videos:
            return google_error(404, "videoNotFound", "The video identified by the videoId "
                                "parameter could not be found.")
        if self.comments_disabled:
            return google_error(403, "commentsDisabled", "The video has disabled comments.")
        if not text:
            return google_error(400, "commentTextRequired", "The comment must contain text.")
        wait = self.rate_limited()
        if wait is not None:
            return google_error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
        cid = f"Ugx{self.new_id():06d}fake"
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.add_post({"id": cid, "videoId": video, "text": text, "publishedAt": stamp,
                       "created_ts": time.time(), "author": self.channel_id})
        return Reply(200, self.thread_json(self.posts[-1]))

    def thread_json(self, p: dict[str, Any]) -> dict[str, Any]:
        top = {"textOriginal": p["text"], "textDisplay": p["text"], "videoId": p["videoId"],
               "authorChannelId": {"value": p["author"]}, "publishedAt": p["publishedAt"]}
        return {"kind": "youtube#commentThread", "id": p["id"], "snippet": {
            "channelId": self.channel_id, "videoId": p["videoId"],
            "topLevelComment": {"kind": "youtube#comment", "id": p["id"], "snippet": top}}}

    def threads(self, req: Recorded) -> Reply:
        """commentThreads.list: newest first, ``maxResults`` 1-100 (default 20),
        ``nextPageToken`` while more remain. The reason for a stale ``pageToken`` is not
        verified against the API."""
        raw = req.q("maxResults")
        size = int(raw) if raw is not None and raw.isdigit() else (20 if raw is None else 0)
        if not 1 <= size <= 100:
            return google_error(400, "invalidParameter", f"Invalid value '{raw}'. Values must "
                                "be within the range: [1, 100]", "global")
        video, channel = req.q("videoId"), req.q("allThreadsRelatedToChannelId")
        items = [p for p in reversed(self.posts) if p.get("resource") != "post"
                 and ((video and p["videoId"] == video) or (channel == self.channel_id))]
        token = req.q("pageToken")
        page = page_of(items, size, after=page_token_id(token) if token else None)
        if page is None:
            return google_error(400, "invalidPageToken", "The request specifies an invalid "
                                "page token.", "youtube.parameter")
        body: dict[str, Any] = {
            "kind": "youtube#commentThreadListResponse",
            "pageInfo": {"totalResults": len(page[0]), "resultsPerPage": size},
            "items": [self.thread_json(p) for p in self.listed(page[0])]}
        if page[1] and page[0]:
            body["nextPageToken"] = page_token(page[0][-1]["id"])
        return Reply(200, body)

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A viewer's comment on the newest video (or a channel post made in YouTube Studio)."""
        if self.others == "posts":
            return self.posts_api.other_post(n, now)
        return {"id": f"Ugx{n:06d}viewer", "videoId": self.videos[0] if self.videos else "",
                "text": f"Great video! Also see https://elsewhere.example.com/notes/{n}",
                "publishedAt": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "created_ts": now, "author": f"UCviewer{n:06d}"}
