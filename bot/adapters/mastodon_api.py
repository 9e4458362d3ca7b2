"""Mastodon.py under :class:`bot.adapters.mastodon.MastodonAdapter`: the client and its errors.

Imported on first use, so that reading the adapter's rules does not import Mastodon.py
(and requests). The client never waits on a rate limit by itself (``ratelimit_method=
"throw"``; its default sleeps and retries), has a timeout on every request, and checks no
server version (no network call when it is made).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from bot.errors import AuthError, PublishError, RateLimited, Rejected, Transient
from bot.logs.redact import scrub

T = TypeVar("T")


def make_client(base: str, token: str, timeout: float, user_agent: str) -> Mastodon:
    return Mastodon(access_token=token, api_base_url=base, request_timeout=timeout,
                    ratelimit_method="throw", version_check_mode="none",
                    session=requests.Session(), user_agent=user_agent)


def call(api: Mastodon, where: str, what: str, fn: Callable[..., T], *args: Any,
         **kwargs: Any) -> T:
    """``fn(*args, **kwargs)`` with Mastodon.py's errors turned into ours."""
    try:
        return fn(*args, **kwargs)
    except MastodonError as exc:
        raise translate(api, exc, f"{where}: {what}") from exc


def translate(api: Mastodon, exc: MastodonError, where: str) -> PublishError:
    if isinstance(exc, MastodonRatelimitError):
        reset = api.ratelimit_reset
        wait = max(0.0, reset - time.time()) if reset else None
        return RateLimited(f"{where} failed: HTTP 429 Too many requests", wait)
    if isinstance(exc, MastodonNetworkError):
        detail = str(exc)
        if "timed out" in detail.lower() or "timeout" in detail.lower():
            return Transient(f"{where} timed out")
        return Transient(f"{where} failed: connection error")
    if isinstance(exc, MastodonIllegalArgumentError):
        return Rejected(scrub(f"{where} failed: {exc}"))
    if not isinstance(exc, MastodonAPIError):
        return Transient(f"{where} failed: {type(exc).__name__}")
    status, reason, message = _parts(exc)
    msg = scrub(f"{where} failed: HTTP {status} {message or reason}".strip().replace("\n", " "))
    if isinstance(exc, MastodonUnauthorizedError) or status in (401, 403):
        return AuthError(f"{msg} (the access token is invalid, revoked or lacks write:statuses)")
    if isinstance(exc, MastodonServerError) or (isinstance(status, int) and status >= 500):
        return Transient(msg)
    if isinstance(exc, MastodonNotFoundError):
        return Rejected(f"{msg} (is the server address right?)")
    return Rejected(msg)


def _parts(exc: MastodonAPIError) -> tuple[int | None, str, str]:
    """(status, reason, the server's error text) of an API error."""
    args = exc.args
    status = args[1] if len(args) > 1 and isinstance(args[1], int) else None
    reason = str(args[2]) if len(args) > 2 and args[2] else ""
    message = str(args[3]) if len(args) > 3 and args[3] else ""
    return status, reason, message
