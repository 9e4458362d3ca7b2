"""A real HTTP feed server on 127.0.0.1 for tests, the daemon suite and the benchmarks.

In a test::

    with FeedServer() as srv:
        doc = srv.add_feed("news", [Item("First", link="http://example.org/1", guid="1")])
        url = srv.url("/news.xml")           # ETag, Last-Modified and 304 for free
        doc.items.insert(0, Item("Second"))  # the next GET sees the new document
        srv.hits("/news.xml"), srv.requests("/news.xml")[-1]["if-none-match"]

Besides feeds it serves arbitrary bytes/status/headers, gzip, delayed or never-ending
bodies, redirect loops, HTML pages and huge (streamed, never held in memory) bodies, and
records every request. As a process it serves ``DIR/<name>.xml`` files::

    python -m tests.fakes.feedserver --port 0 --dir DIR [--delay S]   # prints its base URL
"""

from __future__ import annotations

import argparse
import gzip as gzip_mod
import hashlib
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
CHUNK = 64 * 1024

# -- feed documents -------------------------------------------------------------------


@dataclass
class Item:
    """One feed entry; ``content`` becomes content:encoded (RSS) or <content> (Atom)."""

    title: str
    link: str | None = None
    guid: str | None = None
    description: str | None = None
    content: str | None = None
    categories: list[str] = field(default_factory=list)
    author: str | None = None
    published: datetime | None = None
    image: str | None = None


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def rss_document(items: Iterable[Item], *, title: str = "Test Feed",
                 link: str = "http://127.0.0.1/", guids: bool = True,
                 content: bool = True) -> bytes:
    """An RSS 2.0 document (WordPress-like: dc:creator, category, content:encoded)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
           ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
           ' xmlns:media="http://search.yahoo.com/mrss/">',
           f"<channel><title>{escape(title)}</title><link>{escape(link)}</link>"
           "<description>A feed for tests</description>"]
    for it in items:
        out.append(f"<item><title>{escape(it.title)}</title>")
        if it.link:
            out.append(f"<link>{escape(it.link)}</link>")
        if guids and it.guid:
            out.append(f'<guid isPermaLink="false">{escape(it.guid)}</guid>')
        if it.published:
            out.append(f"<pubDate>{format_datetime(it.published.astimezone(UTC), usegmt=True)}"
                       "</pubDate>")
        if it.author:
            out.append(f"<dc:creator>{_cdata(it.author)}</dc:creator>")
        out.extend(f"<category>{_cdata(c)}</category>" for c in it.categories)
        if it.description is not None:
            out.append(f"<description>{_cdata(it.description)}</description>")
        if content and it.content is not None:
            out.append(f"<content:encoded>{_cdata(it.content)}</content:encoded>")
        if it.image:
            out.append(f'<media:content url={quoteattr(it.image)} medium="image"/>')
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


def atom_document(items: Iterable[Item], *, title: str = "Test Feed",
                  link: str = "http://127.0.0.1/", guids: bool = True,
                  content: bool = True) -> bytes:
    """An Atom 1.0 document; ``guids=False`` leaves out the entry ids."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    out = ['<?xml version="1.0" encoding="utf-8"?>',
           '<feed xmlns="http://www.w3.org/2005/Atom"'
           ' xmlns:media="http://search.yahoo.com/mrss/">',
           f"<title>{escape(title)}</title><id>urn:test:{escape(title)}</id>"
           f"<link rel=\"alternate\" href={quoteattr(link)}/><updated>{now}</updated>"]
    for it in items:
        out.append(f"<entry><title>{escape(it.title)}</title>")
        if it.link:
            out.append(f'<link rel="alternate" href={quoteattr(it.link)}/>')
        if guids and it.guid:
            out.append(f"<id>{escape(it.guid)}</id>")
        if it.published:
            stamp = it.published.astimezone(UTC).isoformat(timespec="seconds")
            out.append(f"<published>{stamp}</published><updated>{stamp}</updated>")
        if it.author:
            out.append(f"<author><name>{escape(it.author)}</name></author>")
        out.extend(f"<category term={quoteattr(c)}/>" for c in it.categories)
        if it.description is not None:
            out.append(f'<summary type="html">{escape(it.description)}</summary>')
        if content and it.content is not None:
            out.append(f'<content type="html">{escape(it.content)}</content>')
        if it.image:
            out.append(f'<media:thumbnail url={quoteattr(it.image)}/>')
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out).encode("utf-8")


@dataclass
class FeedDoc:
    """A feed held in memory; edit ``items`` (or the flags) between polls."""

    items: list[Item] = field(default_factory=list)
    kind: Literal["rss", "atom"] = "rss"
    title: str = "Test Feed"
    link: str = "http://127.0.0.1/"
    guids: bool = True
    content: bool = True

    def render(self) -> bytes:
        make = rss_document if self.kind == "rss" else atom_document
        return make(self.items, title=self.title, link=self.link, guids=self.guids,
                    content=self.content)

    @property
    def content_type(self) -> str:
        return RSS_TYPE if self.kind == "rss" else ATOM_TYPE


# -- routes -----------------------------------------------------------------------------


@dataclass
class _Static:
    body: bytes | FeedDoc
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/xml"
    gzip: bool = False
    conditional: bool = True
    delay: float = 0.0


@dataclass
class _Redirect:
    location: str
    status: int = 302


@dataclass
class _Hang:
    prefix: bytes
    content_type: str
    trickle: float | None


@dataclass
class _Huge:
    size: int
    declare_length: bool
    content_type: str


_Route = _Static | _Redirect | _Hang | _Huge


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # pollers open many connections at once; 5 would drop SYNs


@dataclass
class _Validator:
    digest: str = ""
    modified: float = 0.0


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1; use as a context manager or start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 directory: Path | str | None = None, file_delay: float = 0.0) -> None:
        self.directory = Path(directory).resolve() if directory else None
        self.file_delay = file_delay
        self._routes: dict[str, _Route] = {}
        self._validators: dict[str, _Validator] = defaultdict(_Validator)
        self._requests: dict[str, list[dict[str, str]]] = defaultdict(list)
        self._hits: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._in_flight = 0
        self.max_in_flight = 0
        self.record_requests = True
        self._httpd = _Server((host, port), _make_handler(self))
        self._thread: threading.Thread | None = None

    # lifecycle
    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True,
                                        name="feedserver")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # feeds
    def add_feed(self, name: str, items: Iterable[Item] = (), *,
                 kind: Literal["rss", "atom"] = "rss", guids: bool = True,
                 content: bool = True, title: str | None = None, gzip: bool = False,
                 content_type: str | None = None) -> FeedDoc:
        """Serve a feed at ``/<name>.xml`` and return it for editing."""
        doc = FeedDoc(list(items), kind=kind, title=title or f"Feed {name}",
                      link=self.url("/"), guids=guids, content=content)
        self._set(f"/{name}.xml", _Static(doc, content_type=content_type or doc.content_type,
                                          gzip=gzip))
        return doc

    def feed(self, name: str) -> FeedDoc:
        route = self._routes[f"/{name}.xml"]
        assert isinstance(route, _Static) and isinstance(route.body, FeedDoc)
        return route.body

    def remove(self, path: str) -> None:
        """Forget a route: it answers 404 from now on."""
        with self._lock:
            self._routes.pop(path, None)

    # anything else
    def serve(self, path: str, body: bytes | str, *, status: int = 200,
              headers: dict[str, str] | None = None,
              content_type: str | None = "application/xml", gzip: bool = False,
              conditional: bool = True, delay: float = 0.0) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self._set(path, _Static(data, status, dict(headers or {}), content_type, gzip,
                                conditional, delay))

    def serve_html(self, path: str, html: str | None = None) -> None:
        page = html or ("<!DOCTYPE html><html><head><title>Welcome</title></head><body>"
                        "<h1>Welcome</h1><p>This is a web page, not a feed.</p></body></html>")
        self.serve(path, page, content_type=HTML_TYPE)

    def redirect(self, path: str, to: str, status: int = 302) -> None:
        self._set(path, _Redirect(to, status))

    def redirect_loop(self, path: str) -> None:
        """``path`` redirects to ``path + "-b"``, which redirects back to ``path``."""
        self.redirect(path, path + "-b")
        self.redirect(path + "-b", path)

    def hang(self, path: str, *, prefix: bytes = b"<?xml version=\"1.0\"?><rss>",
             content_type: str = RSS_TYPE, trickle: float | None = None) -> None:
        """Send headers and ``prefix``, then nothing (or one byte per ``trickle`` s) forever."""
        self._set(path, _Hang(prefix, content_type, trickle))

    def huge(self, path: str, size: int = 50 * 1024 * 1024, *, declare_length: bool = True,
             content_type: str = RSS_TYPE) -> None:
        """A ``size``-byte body generated while it is sent (never held in memory)."""
        self._set(path, _Huge(size, declare_length, content_type))

    # what happened
    def hits(self, path: str) -> int:
        with self._lock:
            return self._hits.get(path, 0)

    def requests(self, path: str) -> list[dict[str, str]]:
        """Headers (lower-case names) of every request to ``path``, oldest first."""
        with self._lock:
            return [dict(h) for h in self._requests.get(path, ())]

    def reset_stats(self) -> None:
        with self._lock:
            self._requests.clear()
            self._hits.clear()
            self.max_in_flight = 0

    # internals
    def _set(self, path: str, route: _Route) -> None:
        with self._lock:
            self._routes[path] = route

    def _enter(self, path: str, headers: dict[str, str]) -> _Route | None:
        with self._lock:
            self._hits[path] += 1
            if self.record_requests:
                self._requests[path].append(headers)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            return self._routes.get(path)

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _validate(self, path: str, body: bytes) -> tuple[str, str]:
        """ETag and Last-Modified of ``body``; Last-Modified moves forward on each change."""
        digest = hashlib.sha1(body).hexdigest()[:20]
        with self._lock:
            v = self._validators[path]
            if v.digest != digest:
                now = float(int(time.time()))
                v.modified = max(now, v.modified + 1) if v.digest else now
                v.digest = digest
            modified = v.modified
        return f'"{digest}"', formatdate(modified, usegmt=True)

    def _file(self, path: str) -> tuple[Path, str, str] | None:
        """(file, etag, last-modified) of ``DIR/<name>.xml`` for the process mode."""
        if self.directory is None or path.count("/") != 1 or not path.endswith(".xml"):
            return None
        target = self.directory / path[1:]
        try:
            st = target.stat()
        except OSError:
            return None
        return target, f'"{st.st_mtime_ns:x}-{st.st_size:x}"', formatdate(st.st_mtime, usegmt=True)


def _not_modified(headers: dict[str, str], etag: str, modified: str) -> bool:
    inm = headers.get("if-none-match")
    if inm is not None:
        return etag in [t.strip() for t in inm.split(",")] or inm.strip() == "*"
    ims = headers.get("if-modified-since")
    if ims:
        try:
            return parsedate_to_datetime(modified) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _make_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeFeedServer/1.0"
        disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

        def log_message(self, format: str, *args: object) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            headers = {k.lower(): v for k, v in self.headers.items()}
            route = server._enter(path, headers)
            try:
                self._dispatch(path, route, headers)
            except (BrokenPipeError, ConnectionResetError, TimeoutError):
                self.close_connection = True
            finally:
                server._leave()

        def _dispatch(self, path: str, route: _Route | None, headers: dict[str, str]) -> None:
            if route is None:
                if server.file_delay:
                    server._stopping.wait(server.file_delay)
                found = server._file(path)
                if found is None:
                    return self._send(404, b"not found", {"Content-Type": "text/plain"})
                target, etag, modified = found
                if _not_modified(headers, etag, modified):
                    return self._send(304, b"", {"ETag": etag, "Last-Modified": modified})
                try:
                    body = target.read_bytes()
                except OSError:
                    return self._send(404, b"not found", {"Content-Type": "text/plain"})
                return self._send(200, body, {"Content-Type": RSS_TYPE, "ETag": etag,
                                              "Last-Modified": modified})
            if isinstance(route, _Redirect):
                return self._send(route.status, b"", {"Location": route.location})
            if isinstance(route, _Hang):
                return self._hang(route)
            if isinstance(route, _Huge):
                return self._huge(route)
            self._static(path, route, headers)

        def _static(self, path: str, route: _Static, headers: dict[str, str]) -> None:
            if route.delay:
                server._stopping.wait(route.delay)
            body = route.body.render() if isinstance(route.body, FeedDoc) else route.body
            out = dict(route.headers)
            if route.content_type:
                out.setdefault("Content-Type", route.content_type)
            if route.conditional and route.status == 200:
                etag, modified = server._validate(path, body)
                out.setdefault("ETag", etag)
                out.setdefault("Last-Modified", modified)
                if _not_modified(headers, out["ETag"], out["Last-Modified"]):
                    out.pop("Content-Type", None)
                    return self._send(304, b"", out)
            if route.gzip and "gzip" in headers.get("accept-encoding", ""):
                body = gzip_mod.compress(body, mtime=0)
                out["Content-Encoding"] = "gzip"
                out["Vary"] = "Accept-Encoding"
            self._send(route.status, body, out)

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and status != 304:
                self.wfile.write(body)

        def _hang(self, route: _Hang) -> None:
            self.close_connection = True
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(route.prefix)
            self.wfile.flush()
            while not server._stopping.wait(route.trickle or 0.1):
                if route.trickle:
                    self.wfile.write(b" ")
                    self.wfile.flush()

        def _huge(self, route: _Huge) -> None:
            self.send_response(200)
            self.send_header("Content-Type", route.content_type)
            if route.declare_length:
                self.send_header("Content-Length", str(route.size))
            else:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            for chunk in _filler(route.size):
                if server._stopping.is_set():
                    break
                self.wfile.write(chunk)

    return Handler


def _filler(size: int) -> Iterator[bytes]:
    head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>big</title><!-- '
    block = (b"padding " * (CHUNK // 8))[:CHUNK]
    yield head[:size]
    left = size - len(head)
    while left > 0:
        yield block[:left]
        left -= len(block)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.fakes.feedserver",
                                 description="Serve DIR/<name>.xml as feeds with ETags and 304s.")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--dir", required=True, type=Path)
    ap.add_argument("--delay", type=float, default=0.0,
                    help="seconds to wait before each answer (simulated network latency)")
    ns = ap.parse_args(argv)
    if not ns.dir.is_dir():
        ap.error(f"not a folder: {ns.dir}")
    srv = FeedServer(ns.host, ns.port, directory=ns.dir, file_delay=ns.delay)
    srv.record_requests = False
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    srv.start()
    print(srv.base_url + "/", flush=True)
    done.wait()
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
