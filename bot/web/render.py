"""The desk's Jinja2 environment: filters, and previews picked by platform and memoised.

A platform's preview is the ``preview`` macro of ``templates/preview/<platform>.html``
(``preview/_generic.html`` for a platform without one): a new platform needs only that
partial, its numbers come from its ``PlatformRules``. The queue shows the same posts page
after page, so each item's summary (header, preview, length) is memoised on everything it
shows, and its decision forms also on the session's CSRF token and the page they return to.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from bot.web.base import TEMPLATES, display_url, linkify, local_input, when

if TYPE_CHECKING:
    import jinja2
    from starlette.templating import Jinja2Templates

    from bot.desk import Item

MEMO_SIZE = 10_000


class Previews:
    def __init__(self, env: jinja2.Environment) -> None:
        self.env = env
        self._macros: dict[str, Callable[[Item], Markup]] = {}
        self._memo: dict[tuple[Any, ...], Markup] = {}

    def preview(self, it: Item) -> Markup:
        """``it`` as its platform shows it."""
        platform = it.row.platform
        fn = self._macros.get(platform)
        if fn is None:
            names = ["preview/_generic.html"]
            if re.fullmatch(r"[a-z0-9_]+", platform):
                names.insert(0, f"preview/{platform}.html")
            fn = self._macros[platform] = self.env.select_template(names).module.preview  # type: ignore[attr-defined]
        return fn(it)

    def cached(self, macro: str, it: Item, *args: Any) -> Markup:
        """The ``macro`` of ``_item.html`` for ``it`` (and ``args``), memoised on every value
        of the item it may show: the queue shows the same items request after request."""
        r = it.row
        key = (macro, r.id, r.version, r.status, r.next_attempt_at, r.platform, r.account,
               r.text, it.title, it.link, it.image, it.description, it.length, it.limit,
               it.site_name, it.rules, it.tz, args)
        html = self._memo.get(key)
        if html is None:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            module = self.env.get_template("_item.html").module
            html = self._memo[key] = getattr(module, macro)(it, *args)
        return html


def make_templates() -> Jinja2Templates:
    import jinja2
    from starlette.templating import Jinja2Templates

    # the templates ship with the package: no need to look at their files on every render
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(linkify=linkify, display_url=display_url, when=when,
                       local_input=local_input)
    previews = Previews(env)
    env.globals.update(preview=previews.preview, cached=previews.cached)
    return Jinja2Templates(env=env)
