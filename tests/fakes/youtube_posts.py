"""The YouTube Data API ``posts`` resource (pilot, November 2026) for :class:`FakeYouTube`.

Documented (https://developers.google.com/youtube/data/reference/rest/v3/posts and its method
pages): ``GET /youtube/v3/posts`` (list), ``POST /youtube/v3/posts`` (insert: text-only, or
1-10 images with optional text), ``POST /upload/youtube/v3/posts/image`` (imageUpload: a media
upload of at most 16 MB, JPEG/PNG/GIF/WebP judged from the bytes, answering an upload token to
put in ``attachments.imageAttachments[].uploadToken``). Lists cost 1 unit of the "Post List
Queries" quota; uploads (and, we assume, inserts) 1 unit of the "Post Modifications and Image
Uploads" quota, both separate from the default 10,000 units.

Not documented, so chosen here and marked unverified in the README: the list filter
(``channelId``), its page sizes (1-50, default 5, as most Data API lists), the shape of the
imageUpload answer (``{"uploadToken": ...}``), the field insert reads the text from
(``snippet.textDisplay``, the resource's only text field) and the answer a project outside
the pilot gets (``posts_refusal``: any of several shapes, see :data:`REFUSALS`).
"""

from __future__ import annotations

import base64
import secrets
import struct
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from tests.fakes.base import page_of
from tests.fakes.records import Recorded, Reply

POSTS_PATH = "/youtube/v3/posts"
UPLOAD_PATH = "/upload/youtube/v3/posts/image"
MAX_IMAGE_BYTES = 16 * 1024 * 1024
IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))
NOT_FOUND_HTML = ("<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>"
                  "<p><b>404.</b> <ins>That's an error.</ins><p>The requested URL was not "
                  "found on this server. <ins>That's all we know.</ins>")
REFUSALS: dict[str, tuple[int, str, str]] = {
    "forbidden": (403, "forbidden", "The caller does not have permission"),
    "accessNotConfigured": (403, "accessNotConfigured", "The posts API is not enabled for "
                            "this project: it is in a pilot for approved projects."),
    "insufficientPermissions": (403, "insufficientPermissions", "Request had insufficient "
                                "authentication scopes."),
    "notFound": (404, "notFound", "Not Found"),
    "html404": (404, "", ""),
}
"""Answers a project outside the pilot may get (unverified which one): ``posts_refusal``."""


def _error(status: int, reason: str, message: str, domain: str = "youtube.post") -> Reply:
    return Reply(status, {"error": {"code": status, "message": message, "errors": [
        {"message": message, "domain": domain, "reason": reason}]}})


def image_type(data: bytes) -> str | None:
    """The image type YouTube would see in ``data`` (None: not an image it takes)."""
    for magic, kind in IMAGE_MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def png(width: int = 4, height: int = 3) -> bytes:
    """A real (tiny, grey) PNG, for an article's image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def post_page_token(post_id: str) -> str:
    return base64.urlsafe_b64encode(f"post:{post_id}".encode()).decode().rstrip("=")


def post_token_id(token: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return raw.removeprefix("post:") if raw.startswith("post:") else None


class PostsResource:
    """The ``posts`` resource of one :class:`FakeYouTube` (which holds the knobs:
    ``posts_refusal``, ``post_list_quota``, ``post_write_quota``)."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake
        self.units = {"list": 0, "write": 0}
        """Units used of the two posts quotas (the default quota is the fake's own)."""
        self.upload_tokens: dict[str, dict[str, Any]] = {}

    @staticmethod
    def handles(path: str) -> bool:
        return path in (POSTS_PATH, UPLOAD_PATH)

    def community(self) -> list[dict[str, Any]]:
        """The channel's posts, newest first (comments live in the same ``posts`` list)."""
        return [p for p in reversed(self.fake.posts) if p.get("resource") == "post"]

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A post on the channel made by someone else (YouTube Studio, another manager)."""
        return {"resource": "post", "id": f"Ugkx{n:08d}studio", "images": [],
                "text": f"Behind the scenes {n}: https://elsewhere.example.com/notes/{n}",
                "author": self.fake.channel_id, "created_ts": now,
                "publishTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}

    def route(self, req: Recorded) -> Reply:
        refusal = self.fake.posts_refusal
        if refusal is not None:
            status, reason, message = REFUSALS[refusal]
            return Reply(404, NOT_FOUND_HTML) if not reason else _error(
                status, reason, message, "global")
        bucket = "list" if req.method == "GET" else "write"
        limit = self.fake.post_list_quota if bucket == "list" else self.fake.post_write_quota
        if self.units[bucket] + 1 > limit:
            return _error(403, "quotaExceeded", "The request cannot be completed because you "
                          "have exceeded your quota.", "youtube.quota")
        self.units[bucket] += 1
        if req.path == UPLOAD_PATH and req.method == "POST":
            return self.image_upload(req)
        if req.method == "GET":
            return self.list_posts(req)
        if req.method == "POST":
            return self.insert_post(req)
        return _error(405, "methodNotAllowed", "Method not allowed", "global")

    def image_upload(self, req: Recorded) -> Reply:
        if req.q("uploadType") not in ("media", None):
            return _error(400, "invalidParameter", "Only simple media uploads here", "global")
        if len(req.body) > MAX_IMAGE_BYTES:
            return _error(413, "mediaBodyTooLarge", "The image is larger than 16 MB.")
        kind = image_type(req.body)
        if kind is None:
            return _error(400, "invalidImage", "The image is not a JPEG, PNG, GIF or WebP.")
        token = f"upl-{self.fake.new_id()}-{secrets.token_hex(4)}"
        self.upload_tokens[token] = {"type": kind, "bytes": len(req.body)}
        return Reply(200, {"uploadToken": token})

    def insert_post(self, req: Recorded) -> Reply:
        body = req.json if isinstance(req.json, dict) else {}
        parts = set((req.q("part") or "").split(","))
        if "snippet" not in parts:
            return _error(400, "invalidPart", "The part parameter must include snippet.")
        text = str((body.get("snippet") or {}).get("textDisplay") or "")
        images = ((body.get("attachments") or {}).get("imageAttachments")) or []
        tokens = [str(i.get("uploadToken") or "") for i in images if isinstance(i, dict)]
        if len(tokens) > 10:
            return _error(400, "tooManyImages", "A post has at most 10 images.")
        if any(t not in self.upload_tokens for t in tokens):
            return _error(400, "invalidUploadToken", "An upload token is not valid.")
        if not text and not tokens:
            return _error(400, "postTextRequired", "A text-only post must contain text.")
        if self.fake.rate_limited() is not None:
            return _error(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits")
        for t in tokens:
            self.upload_tokens.pop(t)  # a token attaches its image once
        now = time.time()
        post = self.fake.add_post({
            "resource": "post", "id": f"Ugkx{self.fake.new_id():08d}post", "text": text,
            "images": tokens, "created_ts": now, "author": self.fake.channel_id,
            "publishTime": datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
        return Reply(200, self.post_json(post, parts | {"id"}))

    def post_json(self, p: dict[str, Any], parts: set[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": "youtube#post", "etag": f"etag-{p['id']}", "id": p["id"]}
        if "snippet" in parts:
            out["snippet"] = {"channelId": p["author"], "textDisplay": p["text"],
                              "publishTime": p["publishTime"]}
        if "attachments" in parts and p.get("images"):
            out["attachments"] = {"imageAttachments": [
                {"uploadToken": t, "imagePreview": {
                    "url": f"https://yt3.ggpht.example/{t}", "width": 1200, "height": 675}}
                for t in p["images"]]}
        if "status" in parts:
            out["status"] = {"processingStatus": "succeeded", "publishingStatus": "published",
                             "archiveState": "notArchived"}
        if "statistics" in parts:
            out["statistics"] = {"likeCount": 0, "commentCount": 0}
        return out

    def list_posts(self, req: Recorded) -> Reply:
        """posts.list: newest first, ``maxResults`` 1-50 (default 5), ``nextPageToken`` while
        more remain; the cursor names the last post of the page (new posts never shift it)."""
        raw = req.q("maxResults")
        size = int(raw) if raw is not None and raw.isdigit() else (5 if raw is None else 0)
        if not 1 <= size <= 50:
            return _error(400, "invalidParameter", f"Invalid value '{raw}'. Values must be "
                          "within the range: [1, 50]", "global")
        if not req.q("part"):
            return _error(400, "required", "Required parameter: part", "global")
        channel = req.q("channelId")
        items = [p for p in self.community() if channel in (None, p["author"])]
        token = req.q("pageToken")
        after = (post_token_id(token) or "?") if token else None  # "?": names no post
        paged = page_of(items, size, after=after)
        if paged is None:
            return _error(400, "invalidPageToken", "The request specifies an invalid "
                          "page token.", "youtube.parameter")
        page, more = paged
        parts = set((req.q("part") or "").split(","))
        body: dict[str, Any] = {
            "kind": "youtube#postListResponse", "etag": f"list-{len(items)}",
            "pageInfo": {"totalResults": len(items), "resultsPerPage": size},
            "items": [self.post_json(p, parts) for p in self.fake.listed(page)]}
        if page and more:
            body["nextPageToken"] = post_page_token(page[-1]["id"])
        return Reply(200, body)
