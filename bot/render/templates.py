"""Sandboxed Jinja2 templates: which file each account uses, compiling, rendering.

Lookup for an account: ``account.template`` (a file) > ``settings.templates_dir/<platform>.j2``
> the bundled ``bot/templates/<platform>.j2``. Templates are plain text rendered in a
:class:`~jinja2.sandbox.SandboxedEnvironment` with :class:`~jinja2.StrictUndefined`; ``None``
prints as nothing. The rendered text is tidied: spaces collapsed, no trailing spaces, at
most one blank line in a row, NFC-normalised.

Variables a template sees (see :data:`CONTEXT_KEYS`): ``article`` (title, url, author,
published, image, tags, language, site_name, as read), ``title`` (the title as fitted),
``summary`` (the summary text as fitted, may be empty), ``sentences`` (that text as a
list of sentences), ``lead`` (the first of those sentences that can open a post: never one
that starts "He ..." or "But ..."; may be empty), ``hook``, ``teaser`` (the hook, as long
as the fitting leaves room for a summary; may be empty), ``link`` (with the account's
UTM parameters, or None), ``hashtags`` (list, no '#'), ``hashtag_line`` ("#A #B" or ""),
``site_name``, ``platform`` and ``account`` (the account name). Filter: ``hashtag``
("climate change" -> "#ClimateChange").
"""

from __future__ import annotations

import re
import traceback
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from jinja2 import (
    BaseLoader,
    Environment,
    StrictUndefined,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
)
from jinja2.sandbox import SandboxedEnvironment

from bot.config import Account, Settings
from bot.errors import ConfigError, RenderError
from bot.render.context import hashtag_text

CONTEXT_KEYS = (
    "article", "title", "summary", "sentences", "lead", "hook", "teaser", "link", "hashtags",
    "hashtag_line",
    "site_name", "platform", "account",
)


@dataclass(frozen=True)
class TemplateSource:
    """One template file; ``name`` is how messages refer to it."""

    name: str
    path: Path | Traversable


def bundled_template(platform: str) -> Traversable:
    return files("bot") / "templates" / f"{platform}.j2"


def hashtag(value: object) -> str:
    """'climate change' -> '#ClimateChange'; '' when nothing usable is left."""
    tag = hashtag_text(value)
    return f"#{tag}" if tag else ""


def tidy(text: str) -> str:
    """Collapse spaces, drop trailing spaces and extra blank lines, NFC-normalise."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t]+", " ", line).strip(" \t").rstrip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return unicodedata.normalize("NFC", text)


class _Loader(BaseLoader):
    def __init__(self) -> None:
        self.sources: dict[str, TemplateSource] = {}

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        src = self.sources.get(template)
        if src is None:
            raise TemplateNotFound(template)
        try:
            text = src.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{src.name}: cannot read ({exc.__class__.__name__})") from None
        return text, str(src.path), lambda: True


def _finalize(value: object) -> object:
    return "" if value is None else value


def sample_contexts(platform: str, account: str) -> list[dict[str, Any]]:
    """Contexts for trial renders: one with everything set, one with everything optional empty."""
    article = {
        "title": "A sample headline", "url": "https://example.org/news/sample",
        "author": "A. Writer", "published": datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        "image": "https://example.org/img/sample.jpg", "tags": ["news", "sample"],
        "language": "en", "site_name": "Sample Publication",
    }
    full = {
        "article": article, "title": article["title"],
        "summary": "The first sentence. The second sentence.",
        "sentences": ["The first sentence.", "The second sentence."],
        "lead": "The first sentence.", "hook": "The first sentence.",
        "teaser": "The first sentence.",
        "link": "https://example.org/news/sample?utm_source=x",
        "hashtags": ["News", "Sample"], "hashtag_line": "#News #Sample",
        "site_name": "Sample Publication", "platform": platform, "account": account,
    }
    sparse_article = {**article, "url": None, "author": None, "published": None, "image": None,
                      "tags": [], "language": None, "site_name": None}
    sparse = {**full, "article": sparse_article, "summary": "", "sentences": [], "lead": "",
              "hook": "", "teaser": "", "link": None, "hashtags": [], "hashtag_line": ""}
    return [full, sparse]


class Templates:
    """The templates of every account, compiled once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loader = _Loader()
        self.env = SandboxedEnvironment(
            loader=self._loader, undefined=StrictUndefined, autoescape=False,
            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
            finalize=_finalize,
        )
        self.env.filters["hashtag"] = hashtag

    def source_for(self, account: Account) -> TemplateSource:
        if account.template is not None:
            return TemplateSource(str(account.template), account.template)
        if self.settings.templates_dir is not None:
            p = self.settings.templates_dir / f"{account.platform}.j2"
            if p.is_file():
                return TemplateSource(str(p), p)
        return TemplateSource(f"bot/templates/{account.platform}.j2",
                              bundled_template(account.platform))

    def get(self, account: Account) -> tuple[TemplateSource, Template]:
        """The compiled template; ConfigError naming file and line on a syntax error."""
        src = self.source_for(account)
        self._loader.sources[src.name] = src
        try:
            return src, self.env.get_template(src.name)
        except TemplateSyntaxError as exc:
            raise ConfigError(f"{src.name} line {exc.lineno}: {exc.message}") from None
        except TemplateNotFound as exc:
            raise ConfigError(f"{src.name}: template not found: {exc.name}") from None

    def render(self, account: Account, context: Mapping[str, Any]) -> str:
        """Render and tidy; RenderError naming file and line when the template fails."""
        src, template = self.get(account)
        try:
            return tidy(template.render(context))
        except Exception as exc:  # anything a template can raise: undefined, sandbox, type
            where = f"{src.name} line {_line_of(exc, template)}"
            raise RenderError(f"{where}: {_describe(exc)}") from exc

    def validate(self, accounts: Iterable[Account] | None = None) -> None:
        """Compile and trial-render every template the (enabled) accounts use."""
        if accounts is None:
            accounts = [a for a in self.settings.accounts if a.enabled]
        problems: list[str] = []
        seen: set[tuple[str, str]] = set()
        for account in accounts:
            key = (self.source_for(account).name, account.platform)
            if key in seen:
                continue
            seen.add(key)
            try:
                for ctx in sample_contexts(account.platform, account.name):
                    self.render(account, ctx)
            except (ConfigError, RenderError) as exc:
                problems.append(exc.message)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ConfigError(problems[0] + more, problems)


def _line_of(exc: BaseException, template: Template) -> str:
    line = "?"
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == template.filename:
            line = str(lineno)
    return line


def _describe(exc: BaseException) -> str:
    msg = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    return msg if len(msg) <= 200 else msg[:199] + "…"
