"""The desk's decisions (approve, edit, skip, reschedule) and the live counter.

Each decision form carries the version the page showed; the ledger compares it (see
:mod:`bot.store.review`). A refusal re-renders the delivery with the reason (422), a
conflict with what changed (409); a success goes back where the editor was (303).
"""

from __future__ import annotations

import json
import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from bot import desk as ops
from bot.errors import BotError, Conflict, Refused
from bot.web.base import desk_of, flash, guarded, safe_next
from bot.web.pages import delivery_view
from bot.web.security import User

log = logging.getLogger("bot.web")
ACTIONS = ("approve", "edit", "skip", "reschedule")
MAX_TEXT = 100_000


@guarded(editor=True)
async def decide(request: Request, user: User) -> Response:
    action = request.path_params["action"]
    delivery_id = int(request.path_params["delivery_id"])
    if action not in ACTIONS:
        return PlainTextResponse("no such action\n", 404)
    form = await request.form()
    try:
        version = int(str(form.get("version") or ""))
    except ValueError:
        return PlainTextResponse("the form lacks the version it was made for\n", 400)
    text = str(form.get("text") or "")[:MAX_TEXT]
    at = str(form.get("at") or "")
    target = safe_next(str(form.get("next") or ""), f"/d/{delivery_id}")
    d = desk_of(request)
    who = f"web:{user.name}"

    def run() -> str:
        if action == "approve":
            ops.approve(d.store, delivery_id, version=version, actor=who)
            return "approved"
        if action == "skip":
            ops.skip(d.store, delivery_id, version=version, actor=who)
            return "skipped"
        if action == "edit":
            ops.edit(d.settings, d.store, delivery_id, text, version=version, actor=who)
            return "saved"
        row = d.store.get_delivery(delivery_id)
        if row is None:
            raise Refused(f"no delivery with id {delivery_id}")
        when = ops.parse_when(at, ops.item(d.settings, row).tz)
        ops.reschedule(d.store, delivery_id, when, version=version, actor=who)
        return f"rescheduled to {at.replace('T', ' ')}"

    try:
        done = await run_in_threadpool(run)
    except Conflict as exc:
        return await delivery_view(request, delivery_id, status=409, error=str(exc),
                                   draft=text if action == "edit" else None)
    except Refused as exc:
        return await delivery_view(request, delivery_id, status=422, error=str(exc),
                                   draft=text if action == "edit" else None)
    except BotError as exc:  # the database: say so, keep the page
        log.error("web desk: %s of delivery %s failed: %s", action, delivery_id, exc)
        return await delivery_view(request, delivery_id, status=503, error=str(exc))
    flash(request, "ok", f"Delivery {delivery_id} {done}.")
    return RedirectResponse(target, 303)


@guarded()
async def measure(request: Request, user: User) -> Response:
    """``{"text": ...}`` -> length, limit, fits and the reason a save would be refused."""
    try:
        body = json.loads(await request.body())
        text = body["text"]
        if not isinstance(text, str):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return JSONResponse({"error": 'send {"text": "..."}'}, 400)
    d = desk_of(request)
    row = await run_in_threadpool(d.store.get_delivery, int(request.path_params["delivery_id"]))
    if row is None:
        return JSONResponse({"error": "no such delivery"}, 404)
    m = await run_in_threadpool(ops.measure, d.settings, row, text[:MAX_TEXT])
    return JSONResponse(m.as_json())
