"""Drive the stages: read -> extract -> summarise -> render; no side effects.

``prepare`` backs ``bot preview`` / ``bot post --dry-run``, ``prepare_article`` renders the
articles :mod:`bot.ingest` records and :mod:`bot.manual` re-renders. The stateful work lives
above it: :mod:`bot.ingest` (feeds in, deliveries recorded), :mod:`bot.dispatch` (claim,
send, settle), :mod:`bot.reconcile`, :mod:`bot.manual`; :mod:`bot.scheduler.jobs` holds the
job functions the daemon runs.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

from bot.config import PLATFORMS, Account, Settings
from bot.errors import ConfigError
from bot.models import Article, Post, Summary

if TYPE_CHECKING:
    from bot.render.templates import Templates


@dataclass
class Prepared:
    """One article and the posts made from it, nothing sent."""

    article: Article
    summary: Summary
    posts: list[Post]
    warnings: list[str] = field(default_factory=list)


def select_accounts(
    settings: Settings,
    *,
    platforms: Iterable[str] | None = None,
    accounts: Iterable[str] | None = None,
) -> list[Account]:
    """Enabled accounts, narrowed by platform and/or account name (unknown names are errors)."""
    chosen = [a for a in settings.accounts if a.enabled]
    if platforms:
        wanted = [p.strip().lower() for p in platforms if p.strip()]
        aliases = {"x": "twitter"}
        wanted = [aliases.get(p, p) for p in wanted]
        bad = [p for p in wanted if p not in PLATFORMS]
        if bad:
            raise ConfigError(f"unknown platform {bad[0]!r} (choose from {', '.join(PLATFORMS)})")
        chosen = [a for a in chosen if a.platform in wanted]
    if accounts:
        names = list(accounts)
        for n in names:
            settings.account(n)  # raises ConfigError naming the known accounts
        chosen = [a for a in settings.accounts if a.name in names]
    if not chosen:
        raise ConfigError("no enabled account matches (check --platform / --account and accounts:)")
    return chosen


def summary_for(article: Article, settings: Settings, accounts: list[Account]) -> Summary:
    from bot.summarize import summarize_article

    cfg = settings.summary
    want = max([cfg.hashtags, *[a.hashtags for a in accounts if a.hashtags is not None]])
    if want != cfg.hashtags:
        cfg = cfg.model_copy(update={"hashtags": want})
    return summarize_article(article, cfg)


_TEMPLATES: dict[tuple[Any, ...], tuple[Settings, Templates]] = {}
_TEMPLATES_LOCK = threading.Lock()


def templates_for(settings: Settings, accounts: list[Account] | None = None) -> Templates:
    """The templates of ``settings``, compiled and validated (for ``accounts``, default all
    enabled ones) once per settings object and set of accounts: a template broken for one
    account does not stop the others.

    Compiling and trial-rendering the three templates costs about 3 ms, as much as
    summarising an article; a daemon renders every article with the same settings. The
    cache key also holds what picks the files (``templates_dir``, each account's
    ``template``), so a settings object changed in place gets fresh templates. Edits to
    the template files themselves take effect at the next start.
    """
    from bot.render.templates import Templates

    key = (
        id(settings),
        settings.templates_dir,
        tuple((a.name, a.platform, a.template, a.enabled) for a in settings.accounts),
        None if accounts is None else tuple(a.name for a in accounts),
    )
    with _TEMPLATES_LOCK:
        hit = _TEMPLATES.get(key)
    if hit is not None and hit[0] is settings:
        return hit[1]
    templates = Templates(settings)
    templates.validate(accounts)  # ConfigError: nothing is cached, the next call tries again
    with _TEMPLATES_LOCK:
        if len(_TEMPLATES) >= 16:
            _TEMPLATES.clear()
        _TEMPLATES[key] = (settings, templates)
    return templates


def prepare_article(article: Article, settings: Settings, accounts: list[Account]) -> Prepared:
    """Summarise and render one article for the given accounts (its language detected
    first when nobody decided it yet)."""
    from bot.adapters.registry import rules_for
    from bot.extract.language import with_language
    from bot.render import render_posts

    if not article.language:
        article = with_language(article)
    templates = templates_for(settings, accounts)
    summary = summary_for(article, settings, accounts)
    posts = render_posts(article, summary, settings, accounts, templates, rules_of=rules_for)
    warnings: list[str] = []
    if not article.url:
        warnings.append("the article has no link: pass --url (a live post will refuse)")
    for p in posts:
        warnings.extend(
            w
            for w in p.warnings
            if w not in warnings and not (w.startswith("no link") and not article.url)
        )
    return Prepared(article=article, summary=summary, posts=posts, warnings=warnings)


def read_article(
    arg: str, settings: Settings, *, url: str | None = None, stdin: BinaryIO | None = None
) -> Article:
    """Read and extract one article from a URL, a file or '-' (stdin)."""
    from bot.extract import extract
    from bot.sources.inputs import read_input

    raw = read_input(arg, settings.http, stdin=stdin)
    return extract(raw, boilerplate=settings.boilerplate, url=url, site_name=settings.site_name)


def prepare(
    arg: str,
    settings: Settings,
    *,
    url: str | None = None,
    platforms: Iterable[str] | None = None,
    accounts: Iterable[str] | None = None,
    stdin: BinaryIO | None = None,
) -> Prepared:
    """Read, extract, summarise and render: everything ``bot preview`` shows."""
    chosen = select_accounts(settings, platforms=platforms, accounts=accounts)
    article = read_article(arg, settings, url=url, stdin=stdin)
    return prepare_article(article, settings, chosen)
