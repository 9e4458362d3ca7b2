"""The desk's pages: queue, one delivery, history, health (reads only)."""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from bot import desk as ops
from bot.errors import Refused
from bot.web.base import desk_of, guarded, page
from bot.web.security import User

QUEUE_LIMIT = 1000


@guarded()
async def queue_page(request: Request, user: User) -> Response:
    d = desk_of(request)
    account = request.query_params.get("account") or None
    if account is not None and account not in d.settings.account_names:
        account = None
    items = await run_in_threadpool(ops.queue, d.settings, d.store, account=account,
                                    limit=QUEUE_LIMIT)
    waiting = sum(1 for it in items if it.row.status == "awaiting_review")
    return page(request, "queue.html", {
        "items": items, "waiting": waiting, "upcoming": len(items) - waiting,
        "account": account, "accounts": d.settings.account_names, "limit": QUEUE_LIMIT,
        "here": str(request.url.path) + (f"?account={account}" if account else ""),
    })


async def delivery_view(request: Request, delivery_id: int, *, status: int = 200,
                        error: str | None = None, draft: str | None = None) -> Response:
    """One delivery: preview, editor (with ``draft`` and ``error`` after a refused save)."""
    d = desk_of(request)
    try:
        it, events = await run_in_threadpool(ops.show, d.settings, d.store, delivery_id)
    except Refused as exc:
        return page(request, "missing.html", {"error": str(exc)}, 404)
    text = it.row.text if draft is None else draft
    m = await run_in_threadpool(ops.measure, d.settings, it.row, text)
    return page(request, "delivery.html", {
        "it": it, "events": events, "draft": text, "m": m, "error": error,
        "here": f"/d/{delivery_id}",
    }, status)


@guarded()
async def delivery_page(request: Request, user: User) -> Response:
    return await delivery_view(request, int(request.path_params["delivery_id"]))


@guarded()
async def history_page(request: Request, user: User) -> Response:
    d = desk_of(request)
    rows = await run_in_threadpool(d.store.sent_recently, limit=200)
    items = ops.items(d.settings, rows)
    return page(request, "history.html", {"items": items})


def _health(request: Request) -> dict[str, Any]:
    d = desk_of(request)
    s, st = d.settings, d.store
    feed_rows = {r.name: r for r in st.list_feeds()}
    states = st.account_states()
    counts = st.counts()
    feeds = [{"name": f.name, "state": feed_rows.get(f.name),
              "review": f.review} for f in s.feeds]
    accounts = [{"account": a, "state": states.get(a.name), "counts": counts.get(a.name, {}),
                 "mode": "dry run" if s.is_dry_run(a) else "live",
                 "review": "required" if a.review == "required" else "auto"}
                for a in s.accounts]
    return {"feeds": feeds, "accounts": accounts}


@guarded()
async def health_page(request: Request, user: User) -> Response:
    return page(request, "health.html", await run_in_threadpool(_health, request))
