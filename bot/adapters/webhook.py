"""Slack-compatible incoming webhooks: one JSON message ``{"text": ...}``.

Used for YouTube hand-offs (a community post ready to paste), deliveries waiting for an
editor's review and posts held by an X budget. Slack, Mattermost and Discord (with
``/slack`` appended) take this shape. A webhook's URL carries its secret in the path, so
it is never logged; a webhook is a courtesy: the caller logs a failure and goes on.
"""

from __future__ import annotations

import httpx


def send_webhook(url: str, text: str, *, timeout: float) -> str | None:
    """Send ``text``; None when the webhook took it, else why not (no part of the URL)."""
    try:
        resp = httpx.post(url, json={"text": text}, timeout=timeout)
    except httpx.HTTPError as exc:
        return f"failed ({type(exc).__name__})"
    if not resp.is_success:
        return f"answered HTTP {resp.status_code}"
    return None
