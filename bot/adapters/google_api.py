"""Plumbing under the Google API client: a transport that never re-sends a write, and the
reasons in an error body.

Imported on first use by :class:`bot.adapters.youtube.YouTubeAdapter`, so that reading the
adapter's rules does not import the Google libraries.
"""

from __future__ import annotations

import http.client
import json
from typing import Any

import httplib2
from googleapiclient.errors import HttpError


class _NoReplay:
    """Wraps an httplib2 connection so that a response lost after the request was sent
    surfaces as an error instead of httplib2's silent re-send."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def getresponse(self) -> Any:
        try:
            return self._conn.getresponse()
        except (http.client.BadStatusLine, http.client.ResponseNotReady) as exc:
            raise ConnectionResetError(f"no response ({type(exc).__name__})") from exc


class SingleShotHttp(httplib2.Http):
    """httplib2 re-sends any request whose connection closed before the answer (it takes
    that for a stale keep-alive connection). For a POST that can publish twice, so
    non-idempotent requests go once, on a fresh connection."""

    def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any,
                      headers: Any) -> Any:
        if method in ("GET", "HEAD", "OPTIONS"):
            return super()._conn_request(conn, request_uri, method, body, headers)
        conn.close()  # a fresh connection: a drop now means the server may have acted
        return super()._conn_request(_NoReplay(conn), request_uri, method, body, headers)


def error_reasons(exc: HttpError) -> set[str]:
    """Every ``reason`` in a Google API error body."""
    reasons: set[str] = set()
    details = exc.error_details if isinstance(exc.error_details, list) else []
    try:
        err = json.loads(exc.content.decode("utf-8")).get("error") or {}
        details = details + list(err.get("errors") or []) + list(err.get("details") or [])
    except (ValueError, AttributeError, UnicodeDecodeError):
        pass
    for d in details:
        if isinstance(d, dict) and d.get("reason"):
            reasons.add(str(d["reason"]))
    return reasons


def api_request(http: Any, method: str, uri: str, *, body: bytes | None = None,
                content_type: str = "application/json") -> Any:
    """A request the discovery document does not describe (the ``posts`` pilot resource),
    built like the ones it does: on the authorised transport ``http``, answered through the
    client's JSON model, so a refusal is the same :class:`HttpError` and ``execute()`` the
    same call (token refresh included)."""
    from googleapiclient.http import HttpRequest
    from googleapiclient.model import JsonModel

    headers = {"accept": "application/json", "accept-encoding": "gzip, deflate"}
    if body is not None:
        headers["content-type"] = content_type
    return HttpRequest(http, JsonModel(data_wrapper=False).response, uri, method=method,
                       body=body, headers=headers)
