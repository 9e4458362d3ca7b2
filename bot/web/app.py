"""The web desk as an ASGI application (Starlette): :func:`create_app`.

Routes — every page needs a signed-in user, every POST the session's CSRF token:

* ``GET /`` the queue (awaiting review, then upcoming), each post previewed as its
  platform shows it; ``GET /d/{id}`` one delivery with its editor and history;
* ``POST /d/{id}/approve|edit|skip|reschedule`` the decisions (editors only), each
  carrying the version the page showed; ``POST /d/{id}/measure`` the live counter: the
  server's own rules measure the draft;
* ``GET /history`` sent posts with links to them; ``GET /health`` feeds and accounts;
* ``GET|POST /login``, ``POST /logout``; ``/static`` the stylesheet and the script.
"""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.errors import ConfigError
from bot.web import actions, pages
from bot.web.base import STATIC, Desk, csrf_token, page, safe_next, user_of
from bot.web.render import make_templates
from bot.web.security import LoginThrottle, SecurityHeaders, authenticate, csrf_ok, new_token

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.store import Store

log = logging.getLogger("bot.web")
SESSION_COOKIE = "pubbot_desk"


def session_secret(settings: Settings) -> str:
    """The configured cookie-signing secret, or a random one for this process (sessions
    then end when it stops; ``bot web passwd`` stores a lasting one)."""
    if settings.web.session_secret is not None and settings.web.session_secret.get_secret_value():
        return settings.web.session_secret.get_secret_value()
    log.warning("web.session_secret is not set: sessions end when the desk stops "
                "(`bot web passwd` stores one)")
    return secrets.token_urlsafe(48)


def create_app(settings: Settings, store: Store, *, secret: str | None = None) -> Starlette:
    """The desk for ``settings`` over ``store``; ConfigError when no user may sign in."""
    web = settings.web
    if not web.users and not web.viewers:
        raise ConfigError("the web desk has no user: run `bot web passwd NAME` first")
    from bot.logs.redact import register_secrets

    key = secret or session_secret(settings)
    register_secrets([key, *(v.get_secret_value() for v in [*web.users.values(),
                                                            *web.viewers.values()])])
    desk = Desk(settings=settings, store=store, templates=make_templates(),
                throttle=LoginThrottle(web.login_attempts, web.login_window_seconds))
    routes = [
        Route("/", pages.queue_page),
        Route("/d/{delivery_id:int}", pages.delivery_page),
        Route("/history", pages.history_page),
        Route("/health", pages.health_page),
        Route("/d/{delivery_id:int}/measure", actions.measure, methods=["POST"]),
        Route("/d/{delivery_id:int}/{action:str}", actions.decide, methods=["POST"]),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders, hsts=web.secure_cookies),
        Middleware(SessionMiddleware, secret_key=key, session_cookie=SESSION_COOKIE,
                   max_age=int(web.session_hours * 3600), same_site="strict",
                   https_only=web.secure_cookies),
    ]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.desk = desk
    return app


async def login_page(request: Request) -> Response:
    if user_of(request) is not None:
        return RedirectResponse(safe_next(request.query_params.get("next")), 303)
    csrf_token(request)
    return page(request, "login.html", {"next": safe_next(request.query_params.get("next")),
                                        "error": None, "name": ""})


async def login(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    from bot.web.base import desk_of

    desk = desk_of(request)
    form = await request.form()
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    target = safe_next(str(form.get("next") or "/"))
    if not csrf_ok(request.session, str(form.get("csrf") or "")):
        return Response("missing or wrong CSRF token\n", 403, media_type="text/plain")
    client = request.client.host if request.client else "unknown"
    keys = (f"ip:{client}", f"user:{name.casefold()}")
    wait = desk.throttle.wait(*keys)
    if wait > 0:
        log.warning("web desk: login throttled for %r from %s", name, client)
        return page(request, "login.html", {
            "next": target, "name": name,
            "error": f"Too many failed sign-ins. Try again in {int(wait) + 1} s."}, 429)
    user = await run_in_threadpool(authenticate, desk.settings.web, name, password)
    if user is None:
        desk.throttle.failed(*keys)
        log.warning("web desk: failed sign-in for %r from %s", name, client)
        return page(request, "login.html", {"next": target, "name": name,
                                            "error": "Wrong name or password."}, 401)
    desk.throttle.succeeded(*keys)
    request.session.clear()  # a fresh session (and token) after signing in: no fixation
    request.session.update(user={"name": user.name, "role": user.role}, csrf=new_token())
    log.info("web desk: %s signed in (%s) from %s", user.name, user.role, client)
    return RedirectResponse(target, 303)


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_ok(request.session, str(form.get("csrf") or "")):
        return Response("missing or wrong CSRF token\n", 403, media_type="text/plain")
    request.session.clear()
    return RedirectResponse("/login", 303)
