"""What a platform bills: X charges every post and every post a read returns.

X's published prices (https://docs.x.com/x-api/getting-started/pricing, effective 20 April
2026): "Content: Create" $0.015 a request, "Content: Create (with URL)" $0.200 a request,
reads $0.005 per post returned. Each X account carries its prices (``post_usd``,
``post_with_url_usd``, ``read_usd``; defaults: those), because X bills the app an account
posts through and accounts may post through different apps. Facebook and YouTube do not bill.

Amounts are whole micro-dollars (1 USD = 1,000,000), so sums are exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.config import Account
from bot.models import Post

MICRO = 1_000_000
BILLED_PLATFORMS = frozenset({"twitter"})


def micros(usd: float) -> int:
    return round(usd * MICRO)


def usd(amount: int) -> float:
    """Micro-dollars as dollars (for JSON and metrics)."""
    return round(amount / MICRO, 6)


def dollars(amount: int) -> str:
    """``$0.215`` (three decimals: the smallest X price is half a cent)."""
    return f"${amount / MICRO:,.3f}"


@dataclass(frozen=True)
class Prices:
    """One account's prices, in micro-dollars."""

    post: int
    post_with_url: int
    read: int


def prices_for(account: Account) -> Prices | None:
    """The account's prices, or None on a platform that does not bill."""
    if account.platform not in BILLED_PLATFORMS:
        return None
    return Prices(micros(account.post_usd), micros(account.post_with_url_usd),
                  micros(account.read_usd))


def texts_cost(account: Account, texts: Iterable[str]) -> int:
    """What creating these posts costs (one request each; with or without a URL)."""
    from bot.render.length import has_url

    prices = prices_for(account)
    if prices is None:
        return 0
    return sum(prices.post_with_url if has_url(t) else prices.post for t in texts)


def sent_texts(post: Post, *, made: int | None = None) -> list[str]:
    """The texts of ``post`` that go out as posts of their own: the post, then its thread.
    ``made``: only the first N of them were created (a thread that stopped early)."""
    texts = [post.text, *post.thread]
    return texts if made is None else texts[:max(1, made)]


def post_cost(account: Account, post: Post, *, made: int | None = None) -> int:
    """What sending ``post`` (and its thread) costs on ``account``."""
    return texts_cost(account, sent_texts(post, made=made))


def read_cost(account: Account, posts_read: int) -> int:
    """What a look-up that returned ``posts_read`` posts costs."""
    prices = prices_for(account)
    return 0 if prices is None or posts_read <= 0 else prices.read * posts_read
