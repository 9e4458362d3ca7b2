"""A Slack-compatible incoming-webhook sink: stores every JSON message it receives."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.base import FakeServer, Recorded, Reply


class FakeWebhook(FakeServer):
    platform = "webhook"
    post_paths = r"^/"

    def __init__(self, *, path: str = "/services/T000/B000/secretwebhookpath", **kw: Any) -> None:
        self.path = path
        super().__init__(**kw)

    @property
    def hook_url(self) -> str:
        """The full webhook address (its path is the secret part, as with Slack)."""
        return self.url + self.path

    def error_reply(self, kind: str, req: Recorded) -> Reply:
        if kind == "429":
            return Reply(429, "rate_limited", {"Retry-After": "30"})
        return Reply(500, "internal_error")

    def route(self, req: Recorded) -> Reply:
        if req.method != "POST" or req.path != self.path:
            return Reply(404, "no_service")
        body = req.json if "json" in (req.header("content-type") or "") else None
        if not isinstance(body, dict) or not body.get("text"):
            return Reply(400, "no_text")
        wait = self.rate_limited()
        if wait is not None:
            return Reply(429, "rate_limited", {"Retry-After": str(int(wait) + 1)})
        self.add_post({"id": str(self.new_id()), "text": body["text"], "json": body,
                       "created_ts": time.time()})
        return Reply(200, "ok")
