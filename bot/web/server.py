"""Serving the web desk with uvicorn: in the foreground (``bot web``) or on a thread beside
the daemon (``bot run`` with ``web.enabled``).

The listening socket is bound here, before uvicorn starts, so a port in use is one clear
ConfigError at start-up and port 0 (any free port) works; the address is logged.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING

from bot.errors import ConfigError

if TYPE_CHECKING:
    import uvicorn

    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger("bot.web")


def _bind(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as exc:
        raise ConfigError(f"web desk: cannot listen on {host}:{port} "
                          f"({exc.strerror or exc})") from exc
    sock.set_inheritable(True)
    return sock


class DeskServer:
    """The desk on ``settings.web.host:port`` (or the ``host``/``port`` given)."""

    def __init__(self, settings: Settings, store: Store, *, host: str | None = None,
                 port: int | None = None) -> None:
        from bot.web.app import create_app

        self.settings = settings
        self.app = create_app(settings, store)  # ConfigError when nobody can sign in
        self._host = host if host is not None else settings.web.host
        self._port = port if port is not None else settings.web.port
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self._sock.getsockname()[1] if self._sock is not None else self._port
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{port}"

    def _make_server(self) -> uvicorn.Server:
        import uvicorn

        config = uvicorn.Config(self.app, log_config=None, log_level="warning", access_log=False,
                                lifespan="off", server_header=False, timeout_graceful_shutdown=5)
        return uvicorn.Server(config)

    def serve_forever(self) -> None:
        """Serve in this thread until SIGINT/SIGTERM (``bot web``)."""
        self._sock = _bind(self._host, self._port)
        self._server = self._make_server()
        log.info("editor's desk on %s", self.url)
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self._sock.close()

    def start(self) -> DeskServer:
        """Serve on a daemon thread (``bot run``); returns once the port is bound."""
        if self._thread is not None:
            return self
        self._sock = _bind(self._host, self._port)
        self._server = self._make_server()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="web-desk", daemon=True)
        self._thread.start()
        log.info("editor's desk on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
