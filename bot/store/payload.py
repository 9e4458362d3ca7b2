"""What a delivery row keeps: the post exactly as it will be sent, and its article's metadata."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Article, Post
from bot.store.rows import DeliveryRow

if TYPE_CHECKING:
    from bot.config import Account
    from bot.store.store import Store


def delivery_payload(post: Post, article: Article) -> dict[str, Any]:
    """The payload of a new delivery (the article's text is left out: the post holds what
    matters)."""
    return {"post": post.model_dump(mode="json"),
            "article": article.model_dump(mode="json", exclude={"text"})}


def post_of(row: DeliveryRow) -> Post | None:
    """The post stored in a delivery row; None when it has none (it could not be rendered)."""
    data = (row.payload or {}).get("post")
    return Post.model_validate(data) if data else None


def add_post_delivery(store: Store, *, article_id: str, account: Account, post: Post,
                      article: Article, now: datetime, marks: dict[str, Any] | None = None,
                      ) -> DeliveryRow | None:
    """Queue ``post`` for ``account``, due at once; None when the ledger already has a
    delivery of this article to this account. ``marks`` are kept in the payload beside the
    post (e.g. that the account was in dry run when it was queued)."""
    return store.add_delivery(
        article_id=article_id,
        account=account.name,
        platform=account.platform,
        text=post.text,
        link=post.link,
        payload=delivery_payload(post, article) | (marks or {}),
        next_attempt_at=now,
        now=now,
    )
