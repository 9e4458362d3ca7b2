"""Slack-compatible incoming webhooks: one JSON message ``{"text": ...}`` per call.

Used for YouTube hand-offs (a community post ready to paste) and for deliveries waiting
for an editor's review. A webhook is a courtesy: a failure is logged (never the URL, whose
path is the secret) and never raised, so nothing waits on it.
"""

from __future__ import annotations

import logging

import httpx

log = logging.getLogger(__name__)


def send_webhook(url: str, text: str, *, timeout: float, where: str, what: str,
                 meanwhile: str) -> bool:
    """POST ``{"text": text}`` to ``url``; True when the hook accepted it.

    ``where`` starts the log line (``youtube account 'yt'``), ``what`` names the hook
    (``hand-off``), ``meanwhile`` says what still holds after a failure.
    """
    try:
        resp = httpx.post(url, json={"text": text}, timeout=timeout)
    except httpx.HTTPError as exc:
        log.warning("%s: %s webhook failed (%s); %s", where, what, type(exc).__name__,
                    meanwhile)
        return False
    if not resp.is_success:
        log.warning("%s: %s webhook answered HTTP %s; %s", where, what, resp.status_code,
                    meanwhile)
        return False
    return True
