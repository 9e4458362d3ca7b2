"""A scriptable fake HTTP platform on 127.0.0.1, the base of every fake in this package.

Each fake records every request, keeps what was "published" (``posts``) and can be told
to misbehave: a queue of scripted replies, a per-call delay, a rate-limit window, and
seeded random failures (500s, 429s, resets, timeouts, and "ghosts": the post is made but
the connection drops before the answer). It runs in-process (``with FakeX() as fx``) or
as a process (``python -m tests.fakes serve``) controlled over ``/_fake/*``.

Lists page as the platforms page them: newest first, the documented default and largest
page size, opaque cursors that stay valid when newer posts arrive (:func:`page_of`).
Posts the bot did not make — colleagues on a Page, other tools on an X account, viewers'
comments — come from :meth:`FakeServer.add_others` (``others_after_ghost=N`` adds N of
them right after a ghost, for the first ``ghost_backlogs`` ghosts or every one: the bot's
retry then sits behind a backlog). They carry
``"by_others": True``; ``items_listed`` counts the posts every list answer returned (X
bills each one).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import socket
import struct
import tempfile
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from tests.fakes.records import Recorded, Reply, Scripted

FAIL_KINDS = ("500", "429", "reset", "timeout", "ghost")
"""reset: drop the connection, nothing done. timeout: answer nothing for ``timeout_sleep``
seconds, nothing done. ghost: do the work, then drop the connection (the client cannot
know the post exists). slow: do the work, answer after ``timeout_sleep`` seconds."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeServer
    conns: set[socket.socket]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this

    def setup(self) -> None:
        super().setup()
        self.server.conns.add(self.connection)

    def finish(self) -> None:
        self.server.conns.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _any(self) -> None:
        self.server.fake._dispatch(self)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any


class FakeServer:
    """Base class; subclasses implement :meth:`route` (and may override error shapes)."""

    platform: ClassVar[str] = "fake"
    post_paths: ClassVar[str] = r"$^"
    """Regex of the paths that create posts (rate limits and ghosts apply to them)."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, state_file: str | Path | None = None,
        fail_rate: float = 0.0, seed: int | None = None, fail_kinds: tuple[str, ...] = FAIL_KINDS,
        fail_paths: str | None = None, delay: float = 0.0, timeout_sleep: float = 2.0,
        duplicates: bool = True, rate_limit: tuple[int, float] | None = None,
        others_after_ghost: int = 0, ghost_backlogs: int | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.posts: list[dict[str, Any]] = []
        self.script: list[Scripted] = []
        self.next_id = 1
        self.fail_rate, self.seed, self.fail_kinds = fail_rate, seed, tuple(fail_kinds)
        self.fail_paths = fail_paths
        self.rng = random.Random(seed)
        self.delay, self.timeout_sleep = delay, timeout_sleep
        self.duplicates = duplicates
        self.rate_limit = rate_limit
        self.window: deque[float] = deque()
        self.injected: list[tuple[str, str]] = []
        self.others_after_ghost = others_after_ghost
        self.ghost_backlogs = ghost_backlogs
        """How many ghosts get ``others_after_ghost`` posts behind them (None: every one)."""
        self.items_listed = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.load_state()

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> FakeServer:
        self._server = _Server((self.host, self.port), _Handler)
        self._server.fake = self
        self._server.conns = set()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name=f"fake-{self.platform}")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            for conn in list(self._server.conns):  # keep-alive connections die with us
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self._server = None
        self.save_state()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def open_connections(self) -> int:
        """Client connections still open (a client that closes its session ends them)."""
        return len(self._server.conns) if self._server is not None else 0

    # -- knobs ---------------------------------------------------------------------------------
    def expect(self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None,
               *, method: str | None = None, path: str | None = None, times: int = 1,
               action: str | None = None, delay: float = 0.0, after: int = 0) -> None:
        """Queue a scripted answer for the next matching request(s).

        ``after``: let that many matching requests through before answering.
        ``action``: "reset", "timeout", "ghost" or "slow" instead of an answer.
        """
        with self.lock:
            self.script.append(Scripted(Reply(status, body, headers or {}, action, delay),
                                        method, path, times, after))

    def configure(self, **knobs: Any) -> None:
        """Change knobs at run time (also ``POST /_fake/config`` with a JSON object)."""
        with self.lock:
            for key, value in knobs.items():
                if key == "seed":
                    self.seed, self.rng = value, random.Random(value)
                elif key == "script":
                    for s in value:
                        self.expect(s.get("status", 200), s.get("body"), s.get("headers"),
                                    method=s.get("method"), path=s.get("path"),
                                    times=s.get("times", 1), action=s.get("action"),
                                    delay=s.get("delay", 0.0), after=s.get("after", 0))
                elif key == "rate_limit":
                    self.rate_limit = (int(value[0]), float(value[1])) if value else None
                elif key == "fail_kinds":
                    self.fail_kinds = tuple(value)
                elif hasattr(self, key) and not key.startswith("_"):
                    setattr(self, key, value)
                else:
                    raise KeyError(f"unknown knob {key!r}")

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.posts.clear()
            self.script.clear()
            self.window.clear()
            self.injected.clear()
        self.save_state()

    def calls(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if (not method or r.method == method.upper())
                    and (not path or re.search(path, r.path))]

    # -- state file ----------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        return {"posts": self.posts, "next_id": self.next_id}

    def restore(self, data: dict[str, Any]) -> None:
        self.posts = list(data.get("posts", []))
        self.next_id = int(data.get("next_id", 1))

    def load_state(self) -> None:
        if self.state_file and self.state_file.is_file():
            self.restore(json.loads(self.state_file.read_text(encoding="utf-8")))

    def save_state(self) -> None:
        if not self.state_file:
            return
        with self.lock:
            data = json.dumps(self.state(), indent=1, default=str)
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".fake-state.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, self.state_file)

    def new_id(self) -> int:
        with self.lock:
            n = self.next_id
            self.next_id += 1
            return n

    def add_post(self, post: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.posts.append(post)
            self.window.append(time.time())
        self.save_state()
        return post

    def other_post(self, n: int, now: float) -> dict[str, Any]:
        """A post on the account that the bot did not make (platform-specific shape)."""
        raise NotImplementedError(f"{type(self).__name__} has no posts by others")

    def add_others(self, n: int) -> None:
        """``n`` newer posts by others (they count against no rate limit of ours)."""
        with self.lock:
            now = time.time()
            for _ in range(n):
                post = self.other_post(self.new_id(), now)
                self.posts.append({**post, "by_others": True})
        self.save_state()

    def _backlog_after_ghost(self) -> None:
        """A post was made and its answer lost: colleagues post ``others_after_ghost`` times
        before the bot can retry."""
        with self.lock:
            if not self.others_after_ghost or self.ghost_backlogs == 0:
                return
            if self.ghost_backlogs is not None:
                self.ghost_backlogs -= 1
        self.add_others(self.others_after_ghost)

    def listed(self, items: list[Any]) -> list[Any]:
        """Count what a list answer returns (posts read) and hand it back."""
        with self.lock:
            self.items_listed += len(items)
        return items

    # -- helpers for routes --------------------------------------------------------------------
    def rate_limited(self) -> float | None:
        """Seconds until the window frees a slot when it is full, else None."""
        if not self.rate_limit:
            return None
        limit, span = self.rate_limit
        now = time.time()
        with self.lock:
            while self.window and self.window[0] <= now - span:
                self.window.popleft()
            if len(self.window) >= limit:
                return self.window[0] + span - now
        return None

    def error_reply(self, kind: str, req: Recorded) -> Reply:
        """The platform's shape of an injected 500 or 429."""
        if kind == "429":
            return Reply(429, {"error": "rate limited"}, {"Retry-After": "60"})
        return Reply(500, {"error": "internal error"})

    def route(self, req: Recorded) -> Reply:
        raise NotImplementedError

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, h: _Handler) -> None:
        parts = urlsplit(h.path)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        req = Recorded(h.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                       {k: v for k, v in h.headers.items()}, body)
        if parts.path.startswith("/_fake/"):
            self._send(h, self._control(req))
            return
        with self.lock:
            self.requests.append(req)
            scripted = next((s for s in self.script if s.matches(req)), None)
            if scripted is not None and scripted.after > 0:
                scripted.after -= 1
                scripted = None
            elif scripted is not None:
                scripted.times -= 1
                if scripted.times <= 0:
                    self.script.remove(scripted)
        if self.delay:
            time.sleep(self.delay)
        reply = scripted.reply if scripted else self._injected(req)
        if reply is not None and reply.action in (None, "reset", "timeout"):
            self._perform(h, reply)
            return
        with self.lock:  # one route at a time: duplicate checks and ids stay consistent
            before = len(self.posts)
            real = self.route(req)  # no failure, or a ghost/slow one: the work is done
            made = len(self.posts) > before
        if reply is not None and reply.action == "ghost":
            if made:
                self._backlog_after_ghost()
            self._reset(h)
            return
        if reply is not None and reply.action == "slow":
            time.sleep(self.timeout_sleep)
        self._send(h, real)

    def _injected(self, req: Recorded) -> Reply | None:
        if not self.fail_rate or req.path.startswith("/_fake/"):
            return None
        if self.fail_paths and not re.search(self.fail_paths, req.path):
            return None
        with self.lock:
            if self.rng.random() >= self.fail_rate:
                return None
            kind = self.rng.choice(self.fail_kinds)
            self.injected.append((kind, req.path))
        if kind in ("ghost", "slow") and not re.search(self.post_paths, req.path):
            kind = "timeout" if kind == "slow" else "reset"
        if kind in ("reset", "timeout", "ghost", "slow"):
            return Reply(0, None, {}, kind)
        return self.error_reply(kind, req)

    def _perform(self, h: _Handler, reply: Reply) -> None:
        if reply.action == "reset":
            self._reset(h)
            return
        if reply.action == "timeout":
            time.sleep(self.timeout_sleep)
            self._reset(h)
            return
        if reply.delay:
            time.sleep(reply.delay)
        self._send(h, reply)

    def _reset(self, h: _Handler) -> None:
        h.close_connection = True
        try:
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.connection.close()
        except OSError:
            pass

    def _send(self, h: _Handler, reply: Reply) -> None:
        body = reply.body
        ctype = "application/json; charset=utf-8"
        if body is None:
            data = b""
        elif isinstance(body, bytes):
            data, ctype = body, "application/octet-stream"
        elif isinstance(body, str):
            data, ctype = body.encode(), "text/plain; charset=utf-8"
        else:
            data = json.dumps(body).encode()
        headers = {"Content-Type": ctype, **reply.headers}
        try:
            h.send_response(reply.status)
            for k, v in headers.items():
                h.send_header(k, str(v))
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
            h.wfile.flush()
        except OSError:  # the client gave up (timeout) while we slept
            h.close_connection = True

    def _control(self, req: Recorded) -> Reply:
        if req.path == "/_fake/posts":
            with self.lock:
                return Reply(200, {"posts": list(self.posts)})
        if req.path == "/_fake/requests":
            with self.lock:
                return Reply(200, {"requests": [r.to_dict() for r in self.requests]})
        if req.path == "/_fake/config" and req.method == "POST":
            try:
                self.configure(**(req.json or {}))
            except (KeyError, TypeError, ValueError) as exc:
                return Reply(400, {"error": str(exc)})
            return Reply(200, {"ok": True})
        if req.path == "/_fake/reset" and req.method == "POST":
            self.reset()
            return Reply(200, {"ok": True})
        if req.path == "/_fake/health":
            return Reply(200, {"platform": self.platform, "posts": len(self.posts),
                               "items_listed": self.items_listed})
        return Reply(404, {"error": f"no control endpoint {req.path}"})


def page_of(items: list[dict[str, Any]], size: int, *, after: str | None = None,
            before: str | None = None) -> tuple[list[dict[str, Any]], bool] | None:
    """One page of ``items`` (newest first): the ``size`` items after the one whose id is
    ``after`` (or the ``size`` newer ones just before ``before``), and whether older ones
    remain; None when the cursor's item is gone (the platforms refuse such a cursor).
    Cursors name an item, not an offset, so new posts at the top never shift a page."""
    def index(item_id: str) -> int | None:
        return next((i for i, p in enumerate(items) if str(p["id"]) == item_id), None)

    if before is not None:
        end = index(before)
        if end is None:
            return None
        return items[max(0, end - size):end], True
    start = 0
    if after is not None:
        found = index(after)
        if found is None:
            return None
        start = found + 1
    return items[start:start + size], start + size < len(items)
