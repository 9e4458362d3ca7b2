"""What keeps the web desk safe: password hashes, login throttling, CSRF tokens, headers.

* Passwords are stored only as argon2id hashes (argon2-cffi), in the secrets directory
  (``web/users/NAME`` for editors, ``web/viewers/NAME`` for read-only users), written by
  ``bot web passwd``. A login for an unknown name still costs one verification, so timing
  does not tell which names exist.
* Failed logins are counted per client address and per name in a sliding window; past
  ``web.login_attempts`` the login is refused (HTTP 429) without looking at the password.
* Every state-changing request carries the session's CSRF token (a form field or the
  ``X-CSRF-Token`` header), compared in constant time.
* Every response carries a Content-Security-Policy without inline script or style, and
  the usual headers against framing, sniffing and referrer leaks.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from pydantic import SecretStr
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from bot.config import Web

Role = Literal["editor", "viewer"]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: http: "
       "data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (the library's recommended parameters)."""
    return str(_hasher().hash(password))


_DUMMY: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
    return _DUMMY[0]


@dataclass(frozen=True)
class User:
    name: str
    role: Role

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


def authenticate(web: Web, name: str, password: str) -> User | None:
    """The user, when ``password`` matches the hash stored for ``name``."""
    from argon2.exceptions import InvalidHashError, VerificationError

    found: tuple[Role, SecretStr] | None = None
    if name in web.users:
        found = ("editor", web.users[name])
    elif name in web.viewers:
        found = ("viewer", web.viewers[name])
    stored = found[1].get_secret_value() if found else _dummy_hash()
    try:
        _hasher().verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(name, found[0]) if found else None


class LoginThrottle:
    """Failed logins per key (client address, user name) in a sliding window."""

    def __init__(self, attempts: int, window_seconds: float) -> None:
        self.attempts = attempts
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def wait(self, *keys: str, now: float | None = None) -> float:
        """Seconds until another attempt is allowed for every key (0: allowed now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            waits = [q[0] + self.window - now for k in keys
                     if len(q := self._recent(k, now)) >= self.attempts]
        return max(waits, default=0.0)

    def failed(self, *keys: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            for k in keys:
                self._recent(k, now).append(now)
            if len(self._failures) > 10_000:  # forget quiet keys (bounded memory)
                self._failures = {k: q for k, q in self._failures.items() if q}

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for k in keys:
                self._failures.pop(k, None)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(session: Mapping[str, object], given: str | None) -> bool:
    expected = session.get("csrf")
    return (isinstance(expected, str) and bool(given)
            and secrets.compare_digest(expected.encode(), str(given).encode()))


class SecurityHeaders:
    """ASGI middleware: CSP and friends on every response; HSTS behind TLS."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = [
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in names]
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
