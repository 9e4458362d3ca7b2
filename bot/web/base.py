"""What every page of the web desk shares: the desk's state, the signed-in user, rendering.

Templates are Jinja2 with autoescaping on (every text a post, a title or a feed brings is
shown as text); :mod:`bot.web.render` builds the environment.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response

from bot.web.security import LoginThrottle, User, csrf_ok, new_token

if TYPE_CHECKING:
    from starlette.templating import Jinja2Templates

    from bot.config import Settings
    from bot.store import Store

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

Handler = Callable[[Request, User], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class Desk:
    settings: Settings
    store: Store
    templates: Jinja2Templates
    throttle: LoginThrottle


def desk_of(request: Request) -> Desk:
    desk: Desk = request.app.state.desk
    return desk


def user_of(request: Request) -> User | None:
    data = request.session.get("user")
    if not isinstance(data, dict):
        return None
    name, role = data.get("name"), data.get("role")
    web = desk_of(request).settings.web
    # a user removed (or demoted) since signing in loses the session at once
    if role == "editor" and name in web.users:
        return User(name, "editor")
    if role == "viewer" and name in web.viewers:
        return User(name, "viewer")
    return None


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = new_token()
        request.session["csrf"] = token
    return token


def flash(request: Request, kind: str, text: str) -> None:
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], {"kind": kind, "text": text}][-5:]


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    desk = desk_of(request)
    ctx = {
        "request": request, "user": user_of(request), "csrf": csrf_token(request),
        "site_name": desk.settings.site_name, "flashes": request.session.pop("flash", []),
        **context,
    }
    return desk.templates.TemplateResponse(request, name, ctx, status_code=status)


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to (never another site: no scheme, no ``//``)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


async def submitted_token(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    if request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf")
        return value if isinstance(value, str) else None
    return None


def guarded(*, editor: bool = False) -> Callable[[Handler], Endpoint]:
    """Signed in (else the login page, or 401), a valid CSRF token on every POST (else 403),
    and with ``editor`` the editor role (else 403)."""

    def wrap(fn: Handler) -> Endpoint:
        async def handler(request: Request) -> Response:
            user = user_of(request)
            if user is None:
                if request.method == "GET":
                    return RedirectResponse(f"/login?next={request.url.path}", 303)
                return PlainTextResponse("sign in first\n", 401)
            if request.method != "GET":
                if not csrf_ok(request.session, await submitted_token(request)):
                    return PlainTextResponse("missing or wrong CSRF token\n", 403)
                if editor and not user.can_edit:
                    return PlainTextResponse("read-only user: you cannot change posts\n", 403)
            return await fn(request, user)

        handler.__name__ = fn.__name__
        return handler

    return wrap


# -- template filters ---------------------------------------------------------------------
_TOKENS = re.compile(r"(https?://[^\s<>\"]+)|((?<![\w&])#\w+)", re.UNICODE)


@lru_cache(maxsize=8192)
def linkify(text: str) -> Markup:
    """A post's text as HTML: escaped, its URLs as links shown the way the platforms shorten
    them, its hashtags marked (cached: the queue shows the same posts again and again)."""
    out = []
    for kind, piece in segments(text):
        if kind == "url":
            out.append(Markup('<a href="{0}">{1}</a>').format(piece, display_url(piece)))
        elif kind == "tag":
            out.append(Markup('<span class="tag">{0}</span>').format(piece))
        else:
            out.append(escape(piece))
    return Markup("").join(out)


def segments(text: str) -> list[tuple[str, str]]:
    """``text`` as ("text" | "url" | "tag", piece) runs, for previews that make links."""
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _TOKENS.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos:m.start()]))
        out.append(("url" if m.group(1) else "tag", m.group(0)))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


def display_url(url: str, width: int = 26) -> str:
    """A link as X and Facebook print it: no scheme, no ``www.``, cut with an ellipsis."""
    short = re.sub(r"^https?://(www\.)?", "", url)
    return short if len(short) <= width else short[: width - 1] + "…"


def when(t: datetime | None) -> str:
    return t.strftime("%a %d %b %Y %H:%M %Z") if t is not None else "—"


def local_input(t: datetime) -> str:
    """The value of a ``datetime-local`` input: wall time, to the minute."""
    return t.strftime("%Y-%m-%dT%H:%M")
