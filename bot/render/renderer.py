"""Rendering posts for accounts and making them fit.

Fitting order for one post (the link is never touched):

1. the summary variants, richest first, then the hook, then no summary (title alone),
   each with every hashtag;
2. the same candidates again with hashtags dropped one by one from the end;
3. without hashtags: the hook (or the shortest variant) cut at a word boundary with "…",
   then the title cut the same way, then nothing but the template's fixed text and link.

X accounts in thread mode put the sentences of the richest summary that the first post
could not carry into follow-up posts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.config import Account, Settings
from bot.models import Article, Post, Summary
from bot.render.context import Material, gather
from bot.render.fit import truncate
from bot.render.rules import PlatformRules
from bot.render.templates import Templates


@dataclass(frozen=True)
class Draft:
    title: str
    summary: str
    hashtags: tuple[str, ...]
    note: str | None = None


class _Fitter:
    def __init__(self, account: Account, rules: PlatformRules, templates: Templates,
                 material: Material) -> None:
        self.account, self.rules, self.templates, self.m = account, rules, templates, material
        self._cache: dict[Draft, str] = {}

    def text(self, d: Draft) -> str:
        key = Draft(d.title, d.summary, d.hashtags)
        if key not in self._cache:
            ctx = self.m.context(d.title, d.summary, list(d.hashtags))
            self._cache[key] = self.templates.render(self.account, ctx)
        return self._cache[key]

    def ok(self, d: Draft) -> bool:
        return self.rules.fits(self.text(d))

    def candidates(self) -> list[str]:
        cands = list(self.m.variants)
        if self.m.hook and self.m.hook not in cands:
            cands.append(self.m.hook)
        return [*cands, ""]

    def fit(self) -> Draft:
        title, tags = self.m.title, tuple(self.m.hashtags)
        cands = self.candidates()
        for c in cands:
            if self.ok(d := Draft(title, c, tags)):
                return d
        for k in range(len(tags) - 1, -1, -1):
            for c in cands:
                if self.ok(d := Draft(title, c, tags[:k], "hashtags dropped to fit")):
                    return d
        source = self.m.hook or (self.m.variants[-1] if self.m.variants else "")
        if source:
            cut = truncate(source, lambda s: self.ok(Draft(title, s, ())))
            if cut:
                return Draft(title, cut, (), "summary shortened to fit")
        cut = truncate(title, lambda t: self.ok(Draft(t, "", ())))
        if cut:
            return Draft(cut, "", (), "title shortened to fit")
        return Draft("", "", (), "title and summary left out: they cannot fit")

    def thread(self, first: Draft) -> list[str]:
        """Follow-up posts for the sentences of the richest summary that the first post does
        not show (a template may print only part of the summary, e.g. its lead)."""
        if not self.m.variants:
            return []
        shown = self.text(first)
        rest = [s for s in self.m.sentences_of(self.m.variants[0]) if s not in shown]
        items: list[str] = []
        current = ""
        for s in rest:
            joined = f"{current} {s}".strip()
            if self.rules.fits(joined):
                current = joined
                continue
            if current:
                items.append(current)
            current = s if self.rules.fits(s) else (truncate(s, self.rules.fits) or "")
        if current:
            items.append(current)
        return items[: max(self.account.thread_max - 1, 0)]


def render_post(article: Article, summary: Summary, account: Account, settings: Settings,
                templates: Templates, rules: PlatformRules) -> Post:
    """One fitted post for ``account`` under ``rules`` (its adapter's declaration, see
    :meth:`bot.adapters.base.Adapter.rules_for`); the module docstring gives the steps."""
    material = gather(article, summary, account, settings)
    fitter = _Fitter(account, rules, templates, material)
    draft = fitter.fit()
    text = fitter.text(draft)
    length = rules.measure(text)
    warnings: list[str] = []
    if material.link is None:
        warnings.append("no link: the post has no URL")
    elif material.link not in text:
        warnings.append("the template does not show the link")
    if draft.note:
        warnings.append(draft.note)
    if length > rules.max_length:
        warnings.append(f"too long: {length} > {rules.max_length} even after shortening")
    thread: list[str] = []
    best = material.variants[0] if material.variants else ""
    if account.thread and account.platform == "twitter" and best:
        thread = fitter.thread(draft)
    return Post(
        platform=account.platform, account=account.name, text=text,
        title=material.title or None, link=material.link,
        length=length, limit=rules.max_length, fits=length <= rules.max_length,
        image=article.image, thread=thread, warnings=warnings,
    )


def render_posts(article: Article, summary: Summary, settings: Settings,
                 accounts: list[Account] | None = None,
                 templates: Templates | None = None, *,
                 rules_of: Callable[[Account], PlatformRules]) -> list[Post]:
    """Posts for ``accounts`` (default: every enabled account), in that order; ``rules_of``
    gives each account's rules (the pipeline passes ``bot.adapters.registry.rules_for``)."""
    if accounts is None:
        accounts = [a for a in settings.accounts if a.enabled]
    templates = templates or Templates(settings)
    return [render_post(article, summary, a, settings, templates, rules_of(a))
            for a in accounts]
