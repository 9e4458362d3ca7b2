"""The requests transport under tweepy: X's host rewritten, a timeout on every call.

Imported on first use by :class:`bot.adapters.twitter.TwitterAdapter`, so that reading the
adapter's rules does not import requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from bot.adapters.twitter import REAL_HOST


class ApiRewrite(HTTPAdapter):
    """Sends requests for ``https://api.twitter.com`` to ``base`` with a timeout."""

    def __init__(self, base: str, timeout: float) -> None:
        super().__init__(max_retries=0)
        self.base = base.rstrip("/")
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
        url = request.url or ""
        if self.base != REAL_HOST and url.startswith(REAL_HOST):
            request.url = self.base + url[len(REAL_HOST):]
            proxies = requests.utils.get_environ_proxies(request.url)
        return super().send(
            request, stream=stream, timeout=timeout or self.timeout, verify=verify,
            cert=cert, proxies=proxies,
        )
