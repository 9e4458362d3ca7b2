"""The image of a link card the bot builds itself (Bluesky): fetched, shrunk under a size cap.

Bluesky stores a card's thumbnail as a blob of at most 1,000,000 bytes. An article image
that is larger is re-encoded as JPEG (Pillow), first at lower quality, then at smaller
sizes, until it fits; one that cannot be read or made to fit is left out — the card then
shows title and description only, which is better than no post.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from bot.config import Http
from bot.errors import FetchError

log = logging.getLogger(__name__)

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
"""What a card thumbnail may be (as fetched; anything re-encoded becomes JPEG)."""
_KEEP_AS_IS = frozenset({"image/jpeg", "image/png", "image/webp"})
_QUALITIES = (85, 75, 65, 55)
_LONGEST_SIDES = (2000, 1600, 1200, 900, 640, 400)


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    mime: str
    resized: bool


def card_thumbnail(url: str, http: Http, *, max_bytes: int) -> Thumbnail | None:
    """The image at ``url``, at most ``max_bytes`` long; None when it cannot be had."""
    from bot.sources.http import fetch, safe_url

    try:
        got = fetch(url, http, accept=IMAGE_TYPES)
    except FetchError as exc:
        log.warning("link card without an image: %s", exc)
        return None
    mime = got.content_type or ""
    if len(got.content) <= max_bytes and mime in _KEEP_AS_IS:
        return Thumbnail(got.content, mime, resized=False)
    shrunk = shrink(got.content, max_bytes)
    if shrunk is None:
        log.warning("link card without an image: %s cannot be read or made smaller than "
                    "%d bytes", safe_url(url), max_bytes)
        return None
    return Thumbnail(shrunk, "image/jpeg", resized=True)


def shrink(data: bytes, max_bytes: int) -> bytes | None:
    """``data`` re-encoded as a JPEG of at most ``max_bytes``; None when it is no image or
    even the smallest size tried is too large."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            picture = img.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    for side in _LONGEST_SIDES:
        scaled = picture.copy()
        scaled.thumbnail((side, side))  # keeps the aspect ratio, never enlarges
        for quality in _QUALITIES:
            out = io.BytesIO()
            scaled.save(out, format="JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue()
    return None
