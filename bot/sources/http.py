"""One HTTP GET done carefully: timeouts, redirect limit, size cap, content-type check.

Everything that can go wrong becomes a one-line :class:`~bot.errors.FetchError`
(with ``.status`` for HTTP error statuses). A ``304 Not Modified`` is not an error:
it comes back as a :class:`Fetched` with status 304 and no content, for the feed
poller's conditional requests.

Decoding (:meth:`Fetched.text`, :mod:`bot.sources.charset`): a byte-order mark wins,
then the ``charset`` of the Content-Type header, then (HTML only) a ``<meta charset>`` in
the first 4 KB, then UTF-8 when the bytes are valid UTF-8, else charset-normalizer's guess.
HTML is decoded with replacement characters for bad bytes (as browsers do: one stray byte
must not lose an article); anything else must decode cleanly or raises FetchError naming
the byte offset.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from bot.config import Http
from bot.errors import FetchError

HTML_TYPES: tuple[str, ...] = ("text/html", "application/xhtml+xml")
"""Media types accepted for an article page."""

FEED_TYPES: tuple[str, ...] = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
    "application/feed+json",
    # labels that misconfigured servers send for real feeds; feedparser reads them fine
    "text/rss+xml",
    "text/atom+xml",
    "application/xml-dtd",
    "text/plain",
    "text/html",  # accepted so the caller can say "this URL is a web page, not a feed"
)
"""Media types accepted for a feed (plus text/html, see above)."""

@dataclass(frozen=True)
class Fetched:
    """The outcome of one successful GET (or a 304)."""

    url: str
    """Final URL, after redirects."""
    status: int
    content: bytes
    """The decompressed body; empty for a 304."""
    content_type: str
    """Media type only, lower-case (``text/html``); empty when the server sent none."""
    encoding: str | None
    """The ``charset`` of the Content-Type header, if any."""
    headers: dict[str, str] = field(default_factory=dict)
    """Response headers with lower-case names."""

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def is_html(self) -> bool:
        if self.content_type:
            return self.content_type in HTML_TYPES
        return self.content[:512].lstrip().lower().startswith((b"<!doctype html", b"<html"))

    def text(self) -> str:
        """The body as text (see the module docstring for the rules)."""
        from bot.sources.charset import CharsetError, decode

        try:
            return decode(self.content, declared=self.encoding, html=self.is_html)[0]
        except CharsetError as exc:
            raise FetchError(f"{safe_url(self.url)}: {exc}", status=self.status,
                             url=safe_url(self.url)) from None


def safe_url(url: str) -> str:
    """The URL with any ``user:password@`` part masked, for messages and logs."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s]*@", r"\1***@", url)


def make_client(http: Http) -> httpx.Client:
    """A client configured from the HTTP settings; reuse it to share connection pools."""
    return httpx.Client(
        timeout=httpx.Timeout(http.timeout_seconds),
        follow_redirects=True,
        max_redirects=http.max_redirects,
        headers={"User-Agent": http.user_agent},
        limits=httpx.Limits(max_connections=http.concurrency,
                            max_keepalive_connections=http.concurrency),
    )


def _wanted(accept: Collection[str]) -> str:
    if tuple(accept) == HTML_TYPES:
        return "an HTML page"
    if tuple(accept) == FEED_TYPES:
        return "a feed"
    return "one of " + ", ".join(accept)


def fetch(
    url: str,
    http: Http,
    *,
    accept: Collection[str] = HTML_TYPES,
    headers: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
    max_bytes: int | None = None,
) -> Fetched:
    """GET ``url`` and return the body, or raise :class:`FetchError`.

    ``http.timeout_seconds`` bounds each network operation and the whole request
    (redirects and body included). The body is read as a stream and abandoned as
    soon as it passes ``max_bytes`` (default ``http.max_bytes``; counted after
    gzip/deflate decoding). A media type outside ``accept`` is refused
    (``"*/*"`` accepts anything; a response without Content-Type is let through).
    """
    cap = http.max_bytes if max_bytes is None else max_bytes
    shown = safe_url(url)
    req_headers = httpx.Headers({"User-Agent": http.user_agent,
                                 "Accept": ", ".join([*accept, "*/*;q=0.1"])})
    req_headers.update(headers or {})  # case-blind: the caller's value replaces ours
    own = client is None
    c = make_client(http) if client is None else client
    deadline = time.monotonic() + http.timeout_seconds
    try:
        with c.stream("GET", url, headers=req_headers, follow_redirects=True) as resp:
            return _read(resp, accept, cap, deadline, http.timeout_seconds)
    except httpx.TooManyRedirects:
        raise FetchError(f"too many redirects (more than {c.max_redirects}) from {shown}",
                         url=shown) from None
    except httpx.TimeoutException:
        raise FetchError(f"timed out after {http.timeout_seconds:g} s fetching {shown}",
                         url=shown) from None
    except httpx.ConnectError as exc:
        raise FetchError(f"cannot connect: {_reason(exc)} ({shown})", url=shown) from None
    except httpx.UnsupportedProtocol as exc:
        # the URL itself, or where a redirect led (ftp: and the like)
        for target in (url, _request_url(exc) or ""):
            if urlsplit(target).scheme.lower() not in ("", "http", "https"):
                raise FetchError(f"unsupported URL scheme (only http and https): "
                                 f"{safe_url(target)}", url=shown) from None
        raise FetchError(f"invalid URL: {shown}", url=shown) from None  # e.g. "http:///x"
    except httpx.DecodingError as exc:
        raise FetchError(f"cannot decode the response from {shown}: {_reason(exc)}",
                         url=shown) from None
    except httpx.HTTPError as exc:
        raise FetchError(f"network error fetching {shown}: {_reason(exc)}", url=shown) from None
    except (httpx.InvalidURL, UnicodeError, ValueError):
        raise FetchError(f"invalid URL: {shown}", url=shown) from None
    finally:
        if own:
            c.close()


def _request_url(exc: httpx.RequestError) -> str | None:
    try:
        return str(exc.request.url)
    except RuntimeError:  # raised before a request was built
        return None


def _reason(exc: Exception) -> str:
    return str(exc).strip() or exc.__class__.__name__


def _read(resp: httpx.Response, accept: Collection[str], cap: int, deadline: float,
          timeout: float) -> Fetched:
    status = resp.status_code
    final = safe_url(str(resp.url))
    headers = {k.lower(): v for k, v in resp.headers.items()}
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    encoding = resp.charset_encoding
    if status == 304:
        resp.read()  # empty; reading it returns the connection to the pool
        return Fetched(str(resp.url), status, b"", media, encoding, headers)
    if not 200 <= status < 300:
        raise FetchError(f"HTTP {status} {resp.reason_phrase} from {final}".replace("  ", " "),
                         status=status, url=final)
    if media and "*/*" not in accept and media not in accept:
        raise FetchError(f"{final} returned {media}, not {_wanted(accept)}",
                         status=status, url=final)
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise FetchError(f"{final} is larger than {cap} bytes", status=status, url=final)
    body = bytearray()
    for chunk in resp.iter_bytes():
        body += chunk
        if len(body) > cap:
            raise FetchError(f"{final} is larger than {cap} bytes", status=status, url=final)
        if time.monotonic() > deadline:
            raise FetchError(f"timed out after {timeout:g} s fetching {final}", url=final)
    return Fetched(str(resp.url), status, bytes(body), media, encoding, headers)
