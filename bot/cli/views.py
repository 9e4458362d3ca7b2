"""How results look: Rich panels on a terminal, one JSON document with --json."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

    from bot.dispatch import Outcome
    from bot.models import Article, Post
    from bot.pipeline import Prepared


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def article_json(a: Article) -> dict[str, Any]:
    return {
        "id": a.id,
        "title": a.title,
        "url": a.url,
        "author": a.author,
        "published": a.published.isoformat() if a.published else None,
        "language": a.language,
        "image": a.image,
    }


def post_json(p: Post) -> dict[str, Any]:
    d: dict[str, Any] = {
        "platform": p.platform,
        "account": p.account,
        "text": p.text,
        "link": p.link,
        "length": p.length,
        "limit": p.limit,
        "fits": p.fits,
    }
    if p.thread:
        d["thread"] = p.thread
    return d


def print_json(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")


def show_warnings(warnings: list[str]) -> None:
    for w in warnings:
        sys.stderr.write(f"warning: {w}\n")


PLATFORM_LABEL = {"twitter": "X / Twitter", "facebook": "Facebook Page", "youtube": "YouTube"}


def show_prepared(prepared: Prepared, *, status: dict[str, str] | None = None) -> None:
    """One panel per post: text exactly as sent, length against the limit, the link."""
    from rich.panel import Panel
    from rich.text import Text

    out = console()
    a = prepared.article
    meta = [a.title]
    if a.author:
        meta.append(f"by {a.author}")
    if a.published:
        meta.append(a.published.date().isoformat())
    out.print(Text(" · ".join(meta), style="bold"))
    out.print(Text(f"link: {a.url or '(none)'}", style="dim"))
    for p in prepared.posts:
        ok = "fits" if p.fits else "TOO LONG"
        unit = "weighted chars" if p.platform == "twitter" else "chars"
        label = PLATFORM_LABEL.get(p.platform, p.platform)
        title = f"{label} · {p.account} · {p.length}/{p.limit} {unit} · {ok}"
        body = Text(p.text)
        for i, extra in enumerate(p.thread, start=2):
            body.append(f"\n\n── thread post {i} ──\n", style="dim")
            body.append(extra)
        sub = f"link: {p.link}" if p.link else "no link"
        if status and p.account in status:
            sub += f" · {status[p.account]}"
        out.print(
            Panel(
                body,
                title=title,
                subtitle=sub,
                title_align="left",
                subtitle_align="left",
                border_style="green" if p.fits else "red",
            )
        )


def retry_hint(o: Outcome) -> str | None:
    """What to do about a one-shot send (`bot post`, `bot send`) that did not go: such a
    command tries once; only the daemon retries by itself."""
    i = o.delivery_id
    if i is None or o.ok:
        return None
    hints = {
        "retry": f"this command does not retry: a running daemon (`bot run`) retries delivery "
                 f"{i} by itself, or try again now with `bot send {i}`",
        "rate_limited": f"this command does not retry: a running daemon (`bot run`) sends "
                        f"delivery {i} once the platform's limit resets, or `bot send {i}` then",
        "paused": f"fix the credentials, then `bot accounts resume {o.account}` and "
                  f"`bot send {i}`",
        "dead": f"once the cause is fixed: `bot send {i}` tries again now, `bot retry {i}` "
                f"queues it for the daemon",
        "uncertain": f"look on the platform: not there → `bot send {i}` (it looks again "
                     f"first); there → `bot skip {i}`",
        "held": f"`bot send {i}` posts it now, `bot skip {i}` drops it",
    }
    return hints.get(o.status)


def show_outcome_lines(outcomes: list[Outcome]) -> None:
    """One plain line per result (the post's URL or the error), and how to retry a failure."""
    for o in outcomes:
        sys.stdout.write(f"{o.account} ({o.platform}): {o.summary()}\n")
        hint = retry_hint(o)
        if hint:
            sys.stdout.write(f"  → {hint}\n")
