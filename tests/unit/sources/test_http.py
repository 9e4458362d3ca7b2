"""bot.sources.http.fetch against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.config import Http
from bot.errors import FetchError, SourceError
from bot.sources.http import FEED_TYPES, HTML_TYPES, Fetched, fetch, make_client, safe_url

ARTICLE = (
    "<!doctype html><html lang='en'><head><title>Harbour opens</title></head><body>"
    "<article><h1>Harbour opens</h1><p>The new harbour opened on Monday after four years"
    " of building work, the city council said.</p></article></body></html>"
)
BIG_CHUNK = b"<p>" + b"x" * 8189 + b"</p>"  # 8 KB


class FakeSite:
    """A tiny web site with one route per behaviour the fetcher must handle."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.seen_headers: dict[str, str] = {}
        self.seen_raw: list[tuple[str, str]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # a body without Content-Length ends at close

            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                site.seen_raw = list(self.headers.items())
                site.seen_headers = {k.lower(): v for k, v in site.seen_raw}
                route = ROUTES.get(self.path.split("?")[0])
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                # the client may hang up on purpose (size cap, timeout)
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    route(self, site)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.thread = threading.Thread(
            target=lambda: self.server.serve_forever(poll_interval=0.05), daemon=True)

    def __enter__(self) -> FakeSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"


Route = Callable[[BaseHTTPRequestHandler, FakeSite], None]


def _send(h: BaseHTTPRequestHandler, body: bytes, ctype: str | None = "text/html; charset=utf-8",
          status: int = 200, extra: dict[str, str] | None = None, length: bool = True) -> None:
    h.send_response(status)
    if ctype:
        h.send_header("Content-Type", ctype)
    for k, v in (extra or {}).items():
        h.send_header(k, v)
    if length:
        h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def _redirect(target: str) -> Route:
    def route(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
        h.send_response(302)
        h.send_header("Location", target)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return route


def _chain(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    n = int(h.path.split("?n=")[1]) if "?n=" in h.path else 0
    if n == 0:
        _send(h, ARTICLE.encode())
    else:
        _redirect(f"/chain?n={n - 1}")(h, site)


def _big(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()  # no Content-Length: the body runs until the connection closes
    for _ in range(40):  # 320 KB
        if site.stop.is_set():
            return
        h.wfile.write(BIG_CHUNK)


def _big_declared(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "10000000")
    h.end_headers()
    h.wfile.write(BIG_CHUNK)


def _slow(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    site.stop.wait(5)  # never answers within the test's timeout
    if not site.stop.is_set():
        _send(h, ARTICLE.encode())


def _trickle(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()
    h.wfile.write(b"<html>")
    for _ in range(100):  # one byte every 50 ms: each read is quick, the whole is not
        if site.stop.wait(0.05):
            return
        h.wfile.write(b"x")
        h.wfile.flush()


def _gzip(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    _send(h, gzip.compress(ARTICLE.encode()), extra={"Content-Encoding": "gzip"})


def _etag(h: BaseHTTPRequestHandler, site: FakeSite) -> None:
    if h.headers.get("If-None-Match") == '"v1"':
        h.send_response(304)
        h.send_header("ETag", '"v1"')
        h.end_headers()
    else:
        _send(h, b"<rss version='2.0'><channel/></rss>", "application/rss+xml",
              extra={"ETag": '"v1"'})


ROUTES: dict[str, Route] = {
    "/article": lambda h, s: _send(h, ARTICLE.encode()),
    "/redirect": _redirect("/article"),
    "/loop": _redirect("/loop"),
    "/to-ftp": _redirect("ftp://127.0.0.1/file.html"),
    "/chain": _chain,
    "/500": lambda h, s: h.send_error(500, "Internal Server Error"),
    "/pdf": lambda h, s: _send(h, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
    "/image": lambda h, s: _send(h, b"\x89PNG\r\n\x1a\n", "image/png"),
    "/big": _big,
    "/big-declared": _big_declared,
    "/slow": _slow,
    "/trickle": _trickle,
    "/gzip": _gzip,
    "/feed": _etag,
    "/empty": lambda h, s: _send(h, b""),
    "/latin1": lambda h, s: _send(h, "<p>café</p>".encode("latin-1"),
                                   "text/html; charset=ISO-8859-1"),
    "/meta-charset": lambda h, s: _send(
        h, '<html><head><meta charset="windows-1251"></head><p>Привет</p>'.encode("cp1251"),
        "text/html"),
    "/bad-utf8-html": lambda h, s: _send(h, b"<p>caf\xe9 ok</p>", "text/html"),
    "/bad-utf8-text": lambda h, s: _send(h, b"caf\xe9", "text/plain"),
    "/no-type": lambda h, s: _send(h, b"<p>hi</p>", None),
}

HTTP = Http(timeout_seconds=2, max_bytes=50_000, max_redirects=3, user_agent="pubbot-test/1.0")


@pytest.fixture(scope="module")
def site() -> Iterator[FakeSite]:
    with FakeSite() as s:
        yield s


def test_fetches_html_with_final_url_type_and_headers(site: FakeSite) -> None:
    got = fetch(site.url("/article"), HTTP)
    assert got.status == 200
    assert got.url == site.url("/article")
    assert got.content_type == "text/html"
    assert got.encoding == "utf-8"
    assert got.headers["content-length"] == str(len(ARTICLE.encode()))
    assert "harbour opened on Monday" in got.text()


def test_sends_user_agent_and_caller_headers(site: FakeSite) -> None:
    fetch(site.url("/article"), HTTP, headers={"X-Probe": "1"})
    assert site.seen_headers["user-agent"] == "pubbot-test/1.0"
    assert site.seen_headers["x-probe"] == "1"
    assert site.seen_headers["accept"].startswith("text/html")


def test_caller_header_replaces_ours_whatever_its_case(site: FakeSite) -> None:
    fetch(site.url("/article"), HTTP, headers={"user-agent": "custom/2", "accept": "text/html"})
    sent = [(k.lower(), v) for k, v in site.seen_raw]
    assert [v for k, v in sent if k == "user-agent"] == ["custom/2"]
    assert [v for k, v in sent if k == "accept"] == ["text/html"]


def test_follows_redirects_and_reports_final_url(site: FakeSite) -> None:
    got = fetch(site.url("/redirect"), HTTP)
    assert got.url == site.url("/article")
    assert b"harbour" in got.content


def test_redirect_limit_is_exact(site: FakeSite) -> None:
    assert fetch(site.url("/chain?n=3"), HTTP).status == 200  # 3 hops == max_redirects
    with pytest.raises(FetchError, match="too many redirects"):
        fetch(site.url("/chain?n=4"), HTTP)


def test_redirect_loop(site: FakeSite) -> None:
    with pytest.raises(FetchError, match=r"too many redirects \(more than 3\)"):
        fetch(site.url("/loop"), HTTP)


@pytest.mark.parametrize(("path", "status", "reason"),
                         [("/nowhere", 404, "Not Found"), ("/500", 500, "Internal Server Error")])
def test_http_error_status(site: FakeSite, path: str, status: int, reason: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(site.url(path), HTTP)
    assert info.value.status == status
    assert str(info.value) == f"HTTP {status} {reason} from {site.url(path)}"
    assert isinstance(info.value, SourceError)


@pytest.mark.parametrize(("path", "ctype"), [("/pdf", "application/pdf"), ("/image", "image/png")])
def test_wrong_content_type_is_named(site: FakeSite, path: str, ctype: str) -> None:
    with pytest.raises(FetchError, match=f"returned {ctype}, not an HTML page"):
        fetch(site.url(path), HTTP)


def test_accept_is_the_callers_choice(site: FakeSite) -> None:
    assert fetch(site.url("/pdf"), HTTP, accept=("application/pdf",)).content.startswith(b"%PDF")
    assert fetch(site.url("/pdf"), HTTP, accept=("*/*",)).status == 200
    with pytest.raises(FetchError, match="not a feed"):
        fetch(site.url("/pdf"), HTTP, accept=FEED_TYPES)


def test_missing_content_type_is_let_through(site: FakeSite) -> None:
    got = fetch(site.url("/no-type"), HTTP)
    assert got.content_type == ""
    assert got.text() == "<p>hi</p>"


def test_oversize_streamed_body_without_content_length(site: FakeSite) -> None:
    with pytest.raises(FetchError, match="larger than 50000 bytes"):
        fetch(site.url("/big"), HTTP)


def test_oversize_declared_length_is_refused_before_reading(site: FakeSite) -> None:
    with pytest.raises(FetchError, match="larger than 50000 bytes"):
        fetch(site.url("/big-declared"), HTTP)


def test_max_bytes_argument_overrides_settings(site: FakeSite) -> None:
    with pytest.raises(FetchError, match="larger than 100 bytes"):
        fetch(site.url("/article"), HTTP, max_bytes=100)
    assert fetch(site.url("/big"), HTTP, max_bytes=400_000).content.count(b"<p>") == 40


def test_slow_server_times_out(site: FakeSite) -> None:
    quick = HTTP.model_copy(update={"timeout_seconds": 0.3})
    with pytest.raises(FetchError, match=r"timed out after 0\.3 s"):
        fetch(site.url("/slow"), quick)


def test_trickling_body_hits_the_overall_deadline(site: FakeSite) -> None:
    quick = HTTP.model_copy(update={"timeout_seconds": 0.5})
    with pytest.raises(FetchError, match=r"timed out after 0\.5 s"):
        fetch(site.url("/trickle"), quick)


def test_gzip_body_is_decompressed(site: FakeSite) -> None:
    got = fetch(site.url("/gzip"), HTTP)
    assert got.headers["content-encoding"] == "gzip"
    assert got.content == ARTICLE.encode()


def test_not_modified_is_returned_empty(site: FakeSite) -> None:
    first = fetch(site.url("/feed"), HTTP, accept=FEED_TYPES)
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    again = fetch(site.url("/feed"), HTTP, accept=FEED_TYPES,
                  headers={"If-None-Match": first.headers["etag"]})
    assert again.status == 304 and again.not_modified
    assert again.content == b""


def test_feed_types_accept_html_so_the_caller_can_explain(site: FakeSite) -> None:
    assert "text/html" in FEED_TYPES and "application/atom+xml" in FEED_TYPES
    assert fetch(site.url("/article"), HTTP, accept=FEED_TYPES).content_type == "text/html"
    with pytest.raises(FetchError, match="application/rss\\+xml, not an HTML page"):
        fetch(site.url("/feed"), HTTP, accept=HTML_TYPES)


def test_shared_client_is_reused(site: FakeSite) -> None:
    with make_client(HTTP) as client:
        a = fetch(site.url("/article"), HTTP, client=client)
        b = fetch(site.url("/redirect"), HTTP, client=client)
        assert not client.is_closed  # fetch leaves a caller's client open
    assert a.content == b.content


def test_connection_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="cannot connect"):
        fetch(f"http://127.0.0.1:{port}/", HTTP)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/file.html", "file:///etc/passwd"])
def test_unsupported_scheme(url: str) -> None:
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        fetch(url, HTTP)


def test_redirect_to_another_scheme_is_refused(site: FakeSite) -> None:
    with pytest.raises(FetchError, match=r"unsupported URL scheme .*: ftp://127\.0\.0\.1/file\.html"):
        fetch(site.url("/to-ftp"), HTTP)


@pytest.mark.parametrize("url", ["http://", "http:///path", "http://[::1"])
def test_invalid_url(url: str) -> None:
    with pytest.raises(FetchError, match="invalid URL"):
        fetch(url, HTTP)


def test_password_in_url_never_reaches_the_message(site: FakeSite) -> None:
    url = site.url("/nowhere").replace("http://", "http://alice:s3cret@")
    with pytest.raises(FetchError) as info:
        fetch(url, HTTP)
    assert "s3cret" not in str(info.value) and "s3cret" not in str(info.value.url)
    assert safe_url("https://u:p@example.org/x") == "https://***@example.org/x"


# -- decoding --------------------------------------------------------------------

def test_header_charset_is_used(site: FakeSite) -> None:
    got = fetch(site.url("/latin1"), HTTP)
    assert got.encoding == "iso-8859-1"
    assert got.text() == "<p>café</p>"


def test_meta_charset_is_sniffed_for_html(site: FakeSite) -> None:
    assert "Привет" in fetch(site.url("/meta-charset"), HTTP).text()


def test_undeclared_legacy_html_is_detected(site: FakeSite) -> None:
    assert fetch(site.url("/bad-utf8-html"), HTTP).text() == "<p>café ok</p>"


def test_a_stray_byte_in_declared_utf8_html_becomes_a_replacement() -> None:
    got = Fetched("http://x/", 200, b"<p>caf\xe9 ok</p>", "text/html", "utf-8", {})
    assert got.text() == "<p>caf\ufffd ok</p>"


def test_invalid_utf8_non_html_names_the_byte(site: FakeSite) -> None:
    got = fetch(site.url("/bad-utf8-text"), HTTP, accept=("text/plain",))
    assert got.text() == "café"  # undeclared: detected
    declared = Fetched("http://x/", 200, b"caf\xe9", "text/plain", "utf-8", {})
    with pytest.raises(FetchError, match=r"not valid UTF-8 \(byte 0xe9 at offset 3\)"):
        declared.text()


def test_byte_order_mark_wins_over_header() -> None:
    body = codecs.BOM_UTF16_LE + "hé".encode("utf-16-le")
    got = Fetched("http://x/", 200, body, "text/plain", "utf-8", {})
    assert got.text() == "hé"

