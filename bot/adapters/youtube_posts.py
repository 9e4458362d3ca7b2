"""YouTube ``mode: posts``: the Data API's ``posts`` resource, on the adapter's own transport.

YouTube documents a ``posts`` resource (list, insert, update, delete, imageUpload) in a pilot
for approved Google Cloud projects, with general availability planned for 2027. The discovery
document bundled with google-api-python-client does not describe it, so the requests are
built here (:func:`bot.adapters.google_api.api_request`) and sent through the same
authorised transport as every other call: the refresh token, the no-replay rule for writes
and the error translation are the adapter's own.

* **publish:** an image post when the article has an image YouTube takes (fetched, then
  ``imageUpload``, then ``insert`` with the upload token); a text post otherwise, or when
  the image cannot be read or is refused.
* **find_existing:** ``posts.list`` for the channel, newest first, page after page
  (``nextPageToken``) until a page reaches back past ``since``.
* **No pilot access:** a refusal of the resource itself (see :func:`no_pilot_reason`) turns
  the account into hand-off for the rest of the process, with one warning; ``bot accounts
  check`` (and the daemon's daily check) asks again and says what to request.

Quota (documented): a list costs 1 unit of the "Post List Queries" quota, an image upload 1
unit of the "Post Modifications and Image Uploads" quota, both apart from the default 10,000
units; an insert is assumed to cost 1 unit of the latter (unverified). They are counted like
the comments' units (:attr:`PostsApi.units`; the adapter's ``units_spent`` keeps counting the
default quota: 1 unit for the channel).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from bot.adapters.base import Identity, PublishResult, text_mentions_link
from bot.adapters.lookup import Lookup
from bot.errors import FetchError, PublishError, Rejected, Transient
from bot.models import Post

if TYPE_CHECKING:
    from bot.adapters.youtube import YouTubeAdapter

log = logging.getLogger("bot.adapters.youtube")

POSTS_API = "https://www.googleapis.com"
POSTS_PATH = "/youtube/v3/posts"
UPLOAD_PATH = "/upload/youtube/v3/posts/image"
POST_URL = "https://www.youtube.com/post/{}"
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MAX_IMAGE_BYTES = 16 * 1024 * 1024
PILOT_URL = "https://developers.google.com/youtube/data/reference/rest/v3/posts"
NO_PILOT_403 = frozenset({
    "forbidden", "accessNotConfigured", "insufficientPermissions", "SERVICE_DISABLED",
    "API_DISABLED", "ACCESS_TOKEN_SCOPE_INSUFFICIENT", "IAM_PERMISSION_DENIED",
})
"""403 reasons that mean "this project may not use the resource" (which one a project
outside the pilot gets is not documented: any of them, or none, is taken for it)."""
NO_PILOT_404 = frozenset({"notFound"})
"""404 reasons meaning "no such resource" (Google's front end answers an HTML page, no
reason at all, for a path it does not serve)."""


def no_pilot_reason(err: BaseException) -> str | None:
    """Why an error from the posts resource means "no pilot access", else None.

    Unverified which answer a project outside the pilot gets, so this is tolerant: a 403
    whose reasons are all among :data:`NO_PILOT_403` (or that has none), or a 404 without a
    reason or with ``notFound``. A 403 ``quotaExceeded`` or a 404 naming a thing
    (``channelNotFound``) is something else, and a 401 is a refused token.
    """
    from googleapiclient.errors import HttpError

    from bot.adapters.google_api import error_reasons

    exc = err.__cause__  # the adapter's errors keep the vendor's as their cause
    if not isinstance(err, PublishError) or not isinstance(exc, HttpError):
        return None
    status, reasons = int(exc.resp.status), error_reasons(exc)
    allowed = NO_PILOT_403 if status == 403 else NO_PILOT_404 if status == 404 else None
    if allowed is None or not reasons <= allowed:
        return None
    return f"HTTP {status} {', '.join(sorted(reasons)) or 'without a reason'}"


_REFUSED: dict[str, str] = {}
_REFUSED_LOCK = threading.Lock()


def refusal(account: str) -> str | None:
    """Why the posts API refused ``account`` in this process (None: not refused)."""
    with _REFUSED_LOCK:
        return _REFUSED.get(account)


def note_refusal(adapter: YouTubeAdapter, why: str) -> None:
    """Remember the refusal; the first one for an account logs the one warning."""
    name = adapter.account.name
    with _REFUSED_LOCK:
        first = name not in _REFUSED
        _REFUSED[name] = why
    if first:
        log.warning("%s: %s", adapter.where, request_hint(why),
                    extra={"account": name, "youtube_posts": "no pilot access"})


def clear_refusal(account: str) -> None:
    with _REFUSED_LOCK:
        _REFUSED.pop(account, None)


def request_hint(why: str) -> str:
    """The warning (and ``bot accounts check`` note) for a project outside the pilot."""
    return (f"YouTube refused the posts API ({why}): this Google Cloud project has no access "
            f"to the posts pilot. Ask YouTube to admit the project that owns this OAuth "
            f"client ({PILOT_URL}); until then posts are handed to a human "
            f"(bot youtube pending), or set mode: handoff")


class PostsApi:
    """The ``posts`` resource for one :class:`~bot.adapters.youtube.YouTubeAdapter`."""

    def __init__(self, adapter: YouTubeAdapter) -> None:
        self.adapter = adapter
        self.base = (adapter.account.api_base or POSTS_API).rstrip("/")
        self.units = {"list": 0, "write": 0}
        """Units used of the two posts quotas: list queries, modifications and uploads."""

    # -- one call ----------------------------------------------------------------------------
    def _call(self, method: str, path: str, what: str, *, query: dict[str, str],
              body: bytes | None = None, content_type: str = "application/json"
              ) -> dict[str, Any]:
        from bot.adapters.google_api import api_request

        bucket = "list" if method == "GET" else "write"
        self.units[bucket] += 1
        request = api_request(self.adapter._http(), method,
                              f"{self.base}{path}?{urlencode(query)}", body=body,
                              content_type=content_type)
        return self.adapter._execute(request, what, 0)  # not the default quota: self.units

    # -- publish -----------------------------------------------------------------------------
    def publish(self, post: Post, delivery_id: int | None) -> PublishResult:
        a = self.adapter
        if refusal(a.account.name) is not None:
            return a.hand_off(post, delivery_id)  # refused earlier in this process
        try:
            tokens = self._image_tokens(post)
            made = self._insert(post.text, tokens)
        except PublishError as exc:
            why = no_pilot_reason(exc)
            if why is None:
                raise
            note_refusal(a, why)
            return a.hand_off(post, delivery_id)
        clear_refusal(a.account.name)
        post_id = made.get("id")
        if not post_id:
            raise Transient(f"{a.where}: posting returned no id; check the channel's posts")
        kind = f"image post ({len(tokens)} image)" if tokens else "text post"
        log.info("%s: published a %s (posts quota units used by this process: %d list, "
                 "%d modification)", a.where, kind, self.units["list"], self.units["write"])
        return PublishResult(remote_id=str(post_id), url=POST_URL.format(post_id),
                             status="sent", detail=kind)

    def _insert(self, text: str, tokens: list[str]) -> dict[str, Any]:
        import json

        resource: dict[str, Any] = {"snippet": {"textDisplay": text}}
        parts = "snippet"
        if tokens:
            resource["attachments"] = {"imageAttachments": [{"uploadToken": t} for t in tokens]}
            parts = "snippet,attachments"
        return self._call("POST", POSTS_PATH, "posting", query={"part": parts},
                          body=json.dumps(resource).encode("utf-8"))

    def _image_tokens(self, post: Post) -> list[str]:
        """An upload token for the article's image, or [] (a text post) when there is no
        image, it cannot be read, or YouTube refuses it."""
        from bot.sources.http import fetch

        a = self.adapter
        if not post.image:
            return []
        try:
            image = fetch(post.image, a.settings.http, accept=IMAGE_TYPES,
                          max_bytes=MAX_IMAGE_BYTES)
        except FetchError as exc:
            log.warning("%s: the article's image cannot be used (%s); posting text only",
                        a.where, exc, extra={"account": a.account.name})
            return []
        kind = image.content_type if image.content_type in IMAGE_TYPES else (
            "application/octet-stream")  # YouTube judges the format from the bytes
        try:
            answer = self._call("POST", UPLOAD_PATH, "uploading the image",
                                query={"uploadType": "media"}, body=image.content,
                                content_type=kind)
        except Rejected as exc:
            if no_pilot_reason(exc) is not None:
                raise
            log.warning("%s: YouTube refused the article's image (%s); posting text only",
                        a.where, exc, extra={"account": a.account.name})
            return []
        token = answer.get("uploadToken")
        if not isinstance(token, str) or not token:
            log.warning("%s: the image upload returned no token; posting text only", a.where,
                        extra={"account": a.account.name})
            return []
        return [token]

    # -- verify ------------------------------------------------------------------------------
    def verify(self) -> Identity:
        """The channel, and whether the posts API answers this project (one list call)."""
        a = self.adapter
        channel_id, title, _ = a.channel()
        try:
            self._call("GET", POSTS_PATH, "reading the channel's posts",
                       query={"part": "id", "channelId": channel_id, "maxResults": "1"})
        except PublishError as exc:
            why = no_pilot_reason(exc)
            if why is None:
                raise
            note_refusal(a, why)
            return Identity(id=channel_id, name=title,
                            detail="posts mode, falling back to hand-off: no posts API access",
                            warning=request_hint(why))
        clear_refusal(a.account.name)
        return Identity(id=channel_id, name=title, detail="posts mode: the posts API answers")

    # -- find_existing -----------------------------------------------------------------------
    def find_existing(self, link: str, *, since: datetime | None = None) -> PublishResult | None:
        """Our post carrying ``link``, from the channel's posts newest first (``posts.list``
        has no time filter) back to ``since``; None only after that whole window was read."""
        a = self.adapter
        if (why := refusal(a.account.name)) is not None:
            raise Transient(f"{a.where}: cannot tell whether {link} was posted: the posts API "
                            f"refused this project ({why})")
        from bot.adapters.youtube import page_through

        look = Lookup(a, link, since)
        with look.reading():  # a refusal of the read: cannot tell
            channel_id, _, _ = a.channel()

            def fetch(page: str | None) -> dict[str, Any]:
                query = {"part": "snippet", "channelId": channel_id,
                         "maxResults": str(a.lookup_page_size)}
                if page:
                    query["pageToken"] = page
                return self._read_page(query)

            return page_through(look, fetch, lambda items: _match(items, link, channel_id,
                                                                  since))

    def _read_page(self, query: dict[str, str]) -> dict[str, Any]:
        try:
            return self._call("GET", POSTS_PATH, "reading the channel's posts", query=query)
        except PublishError as exc:
            why = no_pilot_reason(exc)
            if why is None:
                raise
            note_refusal(self.adapter, why)
            raise Transient(f"cannot tell whether it was posted: {exc}") from exc


def _match(items: list[dict[str, Any]], link: str, channel_id: str, since: datetime | None
           ) -> tuple[tuple[PublishResult, int] | None, bool]:
    """((our post carrying ``link``, its index), whether the page reached back past
    ``since``)."""
    from bot.adapters.youtube import _after

    older = False
    for index, item in enumerate(items):
        snip = item.get("snippet") or {}
        if since is not None and not _after(snip.get("publishTime"), since):
            older = True  # newest first: the rest is older still
            continue
        if snip.get("channelId") not in (None, channel_id):
            continue
        if text_mentions_link(str(snip.get("textDisplay") or ""), link):
            pid = str(item.get("id"))
            return (PublishResult(remote_id=pid, url=POST_URL.format(pid), status="sent",
                                  detail="found among the channel's posts"), index), older
    return None, older
