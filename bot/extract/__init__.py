"""From what was read (:class:`~bot.sources.inputs.RawInput`) to an :class:`~bot.models.Article`.

HTML goes through trafilatura (:mod:`bot.extract.html`), Markdown and text through
front matter or a first-line title (:mod:`bot.extract.text`); then site furniture is
removed (:mod:`bot.extract.boilerplate`) and the language decided
(:mod:`bot.extract.language`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.config import Boilerplate
from bot.errors import ExtractError
from bot.extract.boilerplate import clean
from bot.extract.language import with_language
from bot.extract.text import extract_text
from bot.models import Article

if TYPE_CHECKING:
    from bot.sources.inputs import RawInput

__all__ = ["clean", "extract"]


def extract(
    raw: RawInput,
    *,
    boilerplate: Boilerplate,
    url: str | None = None,
    site_name: str | None = None,
) -> Article:
    """The article in ``raw``, or :class:`ExtractError` when there is no text.

    ``url`` (from ``--url``) replaces the canonical link found in the input;
    ``site_name`` is used when the input does not name its site. Raises
    :class:`~bot.errors.ConfigError` for an invalid boilerplate pattern.
    """
    override = url.strip() if url else None
    if raw.kind == "html":
        from bot.extract.html import extract_html

        found = extract_html(raw, base_url=override)
    else:
        found = extract_text(raw)
    if not found.text.strip():
        raise ExtractError(f"no article text found in {raw.origin}")
    text = clean(found.text, boilerplate)
    if not text.strip():
        raise ExtractError(f"{raw.origin} has no article text after removing boilerplate")
    article = found.model_copy(update={
        "text": text,
        "url": override or found.url or raw.url,
        "site_name": found.site_name or site_name,
    })
    return with_language(article, "html" if raw.kind == "html" else "front_matter")
