"""The requests plumbing under tweepy: X's host replaced before signing, a timeout on every call.

Imported on first use by :class:`bot.adapters.twitter.TwitterAdapter`, so that reading the
adapter's rules does not import requests.

tweepy builds every URL on ``https://api.twitter.com``. :class:`ApiSession` swaps that host
for the account's ``api_base`` *before* the request is prepared: requests-oauthlib computes
the OAuth 1.0a signature while preparing, over the URL it is given, so the signature covers
the URL actually called — what a staging server that checks signatures verifies.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bot.adapters.twitter import REAL_HOST


class TimeoutAdapter(HTTPAdapter):
    """A transport that never waits forever: ``timeout`` unless the call gives its own."""

    def __init__(self, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.timeout = timeout

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        return super().send(
            request, stream=stream, timeout=timeout or self.timeout, verify=verify,
            cert=cert, proxies=proxies,
        )


class ApiSession(requests.Session):
    """A session that sends requests for ``https://api.twitter.com`` to ``base``, with a
    timeout, rewriting the URL before authentication signs it."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__()
        self.base = base.rstrip("/")
        for prefix in ("https://", "http://"):
            self.mount(prefix, TimeoutAdapter(timeout))

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        url = request.url
        if isinstance(url, str) and self.base != REAL_HOST and url.startswith(REAL_HOST):
            request.url = self.base + url[len(REAL_HOST):]
        return super().prepare_request(request)
