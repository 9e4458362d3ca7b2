"""The AT Protocol SDK under :class:`bot.adapters.bluesky.BlueskyAdapter`: the client, the
session, and its errors translated into ours.

Imported on first use (``atproto_client`` takes most of a second to import), so that reading
the adapter's rules and dry runs never pay for it.

Sessions: a stored one (``bsky_session``) is imported without a network call; the SDK
refreshes its access token itself when it nears expiry (``com.atproto.server.refreshSession``)
and tells us through ``on_session_change``; a session that cannot be refreshed (expired or
revoked refresh token) is replaced by a new one made with the app password
(``createSession``, which Bluesky limits to 30 per 5 minutes and 300 a day per account —
hence keeping the session). Every new session string is handed to
:meth:`Session.take_new` for the adapter to persist.
"""

from __future__ import annotations

import functools
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from atproto_client import Client, exceptions
from atproto_client.client.session import Session as SdkSession
from atproto_client.client.session import SessionEvent
from atproto_client.models.common import XrpcError
from atproto_client.request import Request

from bot.adapters.base import int_or_none
from bot.errors import AuthError, PublishError, RateLimited, Rejected, Transient
from bot.logs.redact import register_secrets, scrub

log = logging.getLogger("bot.adapters.bluesky")

T = TypeVar("T")

SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired",
                            "AuthMissing"})
"""XRPC error names that mean "this session no longer works" (sign in again)."""
ACCOUNT_ERRORS = frozenset({"AccountTakedown", "AccountDeactivated", "AccountSuspended"})
CREATE_PATH = "com.atproto.repo.createRecord"


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One TLS context for every session of the process: building one loads the CA bundle
    (about 60 ms), and the dispatcher makes an adapter per delivery."""
    return httpx.create_ssl_context()


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds until the PDS takes writes again: ``retry-after``, else ``ratelimit-reset``."""
    now = time.time() if now is None else now
    raw = headers.get("retry-after")
    if raw is not None:
        try:
            return max(0.0, float(raw))
        except ValueError:
            pass
    reset = headers.get("ratelimit-reset")
    try:
        return max(0.0, float(reset) - now) if reset is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RateState:
    """What the PDS's ``ratelimit-*`` headers said on the last answer to a post."""

    limit: int | None
    remaining: int | None
    reset: float | None
    policy: str | None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> RateState:
        reset = int_or_none(headers.get("ratelimit-reset"))
        return cls(limit=int_or_none(headers.get("ratelimit-limit")),
                   remaining=int_or_none(headers.get("ratelimit-remaining")),
                   reset=float(reset) if reset is not None else None,
                   policy=headers.get("ratelimit-policy"))


class Session:
    """One signed-in AT Protocol client for one account."""

    def __init__(self, *, where: str, base: str, force_base: bool, handle: str,
                 app_password: str, stored: str | None, timeout: float,
                 on_post_answer: Callable[[RateState], None]) -> None:
        self.where = where
        self.base = base
        self.force_base = force_base
        self.handle = handle
        self.app_password = app_password
        self.stored = stored
        self.new_session: str | None = None
        self.on_post_answer = on_post_answer
        request = Request(timeout=timeout, verify=shared_tls(),
                          event_hooks={"response": [self._on_response]})
        self.client = Client(base_url=base, request=request)
        self.client.on_session_change(self._on_change)
        self.signed_in = False

    # -- plumbing ----------------------------------------------------------------------------
    def _on_response(self, resp: httpx.Response) -> None:
        if resp.request.url.path.endswith(CREATE_PATH) and "ratelimit-remaining" in resp.headers:
            self.on_post_answer(RateState.of(resp.headers))

    def _on_change(self, event: SessionEvent, session: SdkSession) -> None:
        register_secrets([session.access_jwt, session.refresh_jwt])
        if event is SessionEvent.IMPORT:
            return  # the stored one: nothing new to keep
        self.new_session = self.client.export_session_string()
        register_secrets([self.new_session])
        if event is SessionEvent.REFRESH:
            log.info("%s: session refreshed", self.where)
        elif event is SessionEvent.CREATE:
            log.info("%s: signed in with the app password (new session)", self.where)

    def close(self) -> None:
        self.client.request.close()

    @property
    def did(self) -> str:
        """The account's DID (signs in first when needed)."""
        self.sign_in()
        session = self.client._session
        if session is None:
            raise AuthError(f"{self.where}: not signed in")
        return session.did

    # -- signing in ----------------------------------------------------------------------------
    def sign_in(self) -> None:
        """Use the stored session when there is one (no network call), else a new one."""
        if self.signed_in:
            return
        if self.stored:
            try:
                self.client.login(session_string=self.stored, fetch_bsky_profile=False)
            except (ValueError, IndexError, exceptions.AtProtocolError):
                log.warning("%s: the stored session is unreadable; signing in again", self.where)
            else:
                if self.force_base:
                    self.client.update_base_url(self.base)
                self.signed_in = True
                return
        self.create_session()

    def create_session(self) -> None:
        self.client.update_base_url(self.base)
        try:
            self.client.login(self.handle, self.app_password, fetch_bsky_profile=False)
        except exceptions.AtProtocolError as exc:
            raise self.translate(exc, "signing in") from exc
        if self.force_base:
            self.client.update_base_url(self.base)
        self.signed_in = True

    def call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn`` signed in; a session the PDS no longer accepts is replaced once by a new
        one (nothing was written: the PDS refused before acting)."""
        self.sign_in()
        renewed = False
        while True:
            try:
                return fn(*args, **kwargs)
            except exceptions.LoginRequiredError as exc:
                raise AuthError(f"{self.where}: {what} failed: not signed in") from exc
            except exceptions.AtProtocolError as exc:
                if not renewed and session_refused(exc):
                    renewed = True
                    log.info("%s: the session was refused (%s); signing in again", self.where,
                             error_name(exc) or "401")
                    self.create_session()
                    continue
                raise self.translate(exc, what) from exc

    # -- errors --------------------------------------------------------------------------------
    def translate(self, exc: Exception, what: str) -> PublishError:
        where = f"{self.where}: {what}"
        if isinstance(exc, exceptions.InvokeTimeoutError):
            return Transient(f"{where} timed out")
        if isinstance(exc, exceptions.ModelError):
            return Transient(f"{where}: unreadable answer from the PDS ({type(exc).__name__})")
        response = getattr(exc, "response", None)
        if response is None:
            cause = type(exc.__cause__).__name__ if exc.__cause__ else type(exc).__name__
            return Transient(f"{where} failed: connection error ({cause})")
        status = response.status_code
        msg = scrub(f"{where} failed: HTTP {status} {describe(exc)}".strip())
        name = error_name(exc)
        if isinstance(exc, exceptions.RateLimitExceededError) or status == 429:
            return RateLimited(msg, retry_after(response.headers))
        if status in (401, 403) or name in SESSION_ERRORS or name in ACCOUNT_ERRORS:
            return AuthError(f"{msg} (check the handle and app password)")
        if status >= 500 or status in (409, 502):
            return Transient(msg)
        return Rejected(msg)


def error_name(exc: BaseException) -> str | None:
    content = getattr(getattr(exc, "response", None), "content", None)
    return content.error if isinstance(content, XrpcError) else None


def describe(exc: BaseException) -> str:
    content = getattr(getattr(exc, "response", None), "content", None)
    if isinstance(content, XrpcError):
        return f"{content.error}: {content.message}" if content.message else content.error
    return ""


def session_refused(exc: BaseException) -> bool:
    """The PDS refused the session's token (expired, revoked), not the request."""
    response = getattr(exc, "response", None)
    if response is None or isinstance(exc, exceptions.RateLimitExceededError):
        return False
    return response.status_code == 401 or error_name(exc) in SESSION_ERRORS
