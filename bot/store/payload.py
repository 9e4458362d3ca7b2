"""What a delivery row keeps: the post exactly as it will be sent, and its article's metadata."""

from __future__ import annotations

from typing import Any

from bot.models import Article, Post
from bot.store.rows import DeliveryRow


def delivery_payload(post: Post, article: Article) -> dict[str, Any]:
    """The payload of a new delivery (the article's text is left out: the post holds what
    matters)."""
    return {"post": post.model_dump(mode="json"),
            "article": article.model_dump(mode="json", exclude={"text"})}


def post_of(row: DeliveryRow) -> Post | None:
    """The post stored in a delivery row; None when it has none (it could not be rendered)."""
    data = (row.payload or {}).get("post")
    return Post.model_validate(data) if data else None
