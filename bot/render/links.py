"""Campaign parameters on article links."""

from __future__ import annotations

from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit


def with_utm(url: str, params: dict[str, str]) -> str:
    """``url`` with ``params`` set in its query string.

    Existing parameters keep their place and their exact spelling (no re-encoding); a
    parameter named in ``params`` is replaced where it first appears (later duplicates are
    removed) or appended. The fragment is kept.
    """
    if not params:
        return url
    parts = urlsplit(url)
    pending = dict(params)
    pieces: list[str] = []
    for raw in parts.query.split("&") if parts.query else []:
        if not raw:
            continue
        key = unquote_plus(raw.split("=", 1)[0])
        if key in params:
            if key in pending:
                pieces.append(_pair(key, pending.pop(key)))
            continue  # a duplicate of a key we set: drop it
        pieces.append(raw)
    pieces.extend(_pair(k, v) for k, v in pending.items())
    return urlunsplit(parts._replace(query="&".join(pieces)))


def _pair(key: str, value: str) -> str:
    return f"{quote(key, safe='')}={quote(value, safe='')}"
