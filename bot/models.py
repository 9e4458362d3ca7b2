"""Data that flows between the stages: an Article in, Posts out."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import datetime

from pydantic import BaseModel, Field


def content_hash(title: str, text: str) -> str:
    """A stable hash of an article's words (whitespace and Unicode form ignored)."""
    norm = unicodedata.normalize("NFC", f"{title}\n{text}")
    norm = " ".join(norm.split()).casefold()
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


class Article(BaseModel):
    """One published article, whatever it was read from."""

    title: str
    text: str
    url: str | None = None
    author: str | None = None
    published: datetime | None = None
    image: str | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    site_name: str | None = None
    guid: str | None = None
    source: str = ""

    @property
    def content_hash(self) -> str:
        return content_hash(self.title, self.text)

    @property
    def id(self) -> str:
        """Stable identity: the canonical URL when known, else a hash of the content."""
        if self.url:
            return self.url
        return "sha256:" + self.content_hash[:32]


class Summary(BaseModel):
    """What the summariser made of an article."""

    sentences: list[str]
    """The best sentences (up to the configured count), in article order."""
    variants: list[str] = Field(default_factory=list)
    """Summaries to step down through, richest first: N sentences, N-1, ..., 1 (joined text)."""
    hook: str
    """One sentence that makes people click."""
    hashtags: list[str] = Field(default_factory=list)
    """Hashtags without the leading '#'."""


class Post(BaseModel):
    """One rendered post for one account, exactly as it would be sent."""

    platform: str
    account: str
    text: str
    title: str | None = None
    """The article's title (for hand-off messages; the text already contains what is sent)."""
    link: str | None = None
    length: int
    limit: int
    fits: bool
    image: str | None = None
    description: str | None = None
    """A sentence about the article for a link card the bot builds itself (Bluesky)."""
    language: str | None = None
    """The article's language (BCP 47), for platforms that tag posts with one."""
    thread: list[str] = Field(default_factory=list)
    """Follow-up posts (X thread mode), each already fitted; empty for a single post."""
    warnings: list[str] = Field(default_factory=list)
