"""Markdown and plain text: YAML front matter or a first-line title, then the body.

Front matter is a YAML mapping between ``---`` lines at the very start; known keys:
``title``, ``url``/``link``, ``author``/``authors``, ``date``/``published``,
``tags``/``categories``/``keywords``, ``image``, ``language``/``lang``, ``site_name``.
Without a title there, the first non-empty line is the title (for Markdown: the
first line of the first block, without its ``#`` markers or emphasis).

Markdown bodies become plain text with markdown-it-py: emphasis markers go, links
keep their text, images and raw HTML are dropped, headings stay as their own
paragraphs, code blocks are kept verbatim. Paragraphs are separated by a blank line.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import yaml

from bot.errors import ExtractError
from bot.models import Article

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

    from bot.sources.inputs import RawInput


# -- shared helpers ---------------------------------------------------------------

_HSPACE = re.compile(r"[^\S\n]+")
_INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad]")  # ZWJ/ZWNJ kept: emoji and scripts need them
_SOFT = "\ue000"  # private-use marker for a Markdown soft line break


def normalize_ws(text: str) -> str:
    """NFC; collapse runs of spaces inside lines; strip lines; at most one blank line
    between paragraphs; no blank lines at either end."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _INVISIBLE.sub("", text)
    out: list[str] = []
    blank = False
    for line in text.split("\n"):
        line = _HSPACE.sub(" ", line).strip()
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
        out.append(line)
        blank = False
    return "\n".join(out)


def one_line(value: str) -> str:
    return " ".join(value.split())


def parse_date(value: object) -> datetime | None:
    """A datetime/date/ISO 8601/RFC 2822 value as an aware UTC datetime (naive = UTC)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        s = value.strip()
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            try:
                dt = parsedate_to_datetime(s)
            except (TypeError, ValueError, IndexError):
                return None
    else:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def merge_tags(*groups: object) -> list[str]:
    """Tags from lists or comma-separated strings, trimmed, deduplicated (case-blind)."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        if group is None:
            continue
        items: list[object] = list(group) if isinstance(group, list | tuple) else [group]
        for item in items:
            for tag in str(item).split(",") if isinstance(item, str) else [str(item)]:
                tag = one_line(tag).lstrip("#")
                if tag and tag.casefold() not in seen:
                    seen.add(tag.casefold())
                    out.append(tag)
    return out


def primary_language(tag: str | None) -> str | None:
    """``en-US`` → ``en``; None for anything that is not a language tag."""
    if not tag:
        return None
    m = re.match(r"\s*([A-Za-z]{2,3})(?:[-_]|\s*$)", tag)
    return m.group(1).lower() if m else None


def title_from_body(text: str, limit: int = 150) -> tuple[str, str]:
    """Use the first paragraph as the title when it is short; else a cut-down first line."""
    first, _, rest = text.partition("\n\n")
    if len(first) <= limit and "\n" not in first:
        return first, rest
    line = first.split("\n", 1)[0]
    if len(line) <= limit:
        return line, text
    cut = line[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…", text


def drop_leading_title(title: str, text: str) -> str:
    """Remove a first paragraph that only repeats the title."""
    first, _, rest = text.partition("\n\n")
    if first and one_line(first).casefold() == one_line(title).casefold():
        return rest
    return text


# -- front matter ----------------------------------------------------------------

_FRONT = re.compile(r"\A---[ \t]*\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S | re.M)


def split_front_matter(content: str, origin: str) -> tuple[dict[str, Any] | None, str]:
    """(front matter mapping or None, the rest). Bad YAML raises ExtractError with its line."""
    m = _FRONT.match(content)
    if not m:
        return None, content
    try:
        data = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 2})" if mark is not None else ""
        raise ExtractError(f"{origin}: front matter is not valid YAML{where}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ExtractError(f"{origin}: front matter must be 'key: value' lines")
    return {str(k).strip().lower(): v for k, v in data.items()}, content[m.end():]


def _field(fm: dict[str, Any], origin: str, *keys: str) -> str | None:
    for key in keys:
        value = fm.get(key)
        if value is None or value == "":
            continue
        if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
            return ", ".join(one_line(str(v)) for v in value) or None
        if isinstance(value, dict | list):
            raise ExtractError(f"{origin}: front matter '{key}' must be text")
        return one_line(str(value)) or None
    return None


def _front_date(fm: dict[str, Any], origin: str) -> datetime | None:
    for key in ("date", "published", "pubdate", "published_at"):
        value = fm.get(key)
        if value is None or value == "":
            continue
        dt = parse_date(value)
        if dt is None:
            raise ExtractError(f"{origin}: front matter '{key}' is not a date: {value!r}"[:200])
        return dt
    return None


# -- Markdown ----------------------------------------------------------------------

@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _inline(children: list[Token]) -> str:
    parts: list[str] = []
    for tok in children:
        if tok.type in ("text", "code_inline"):
            parts.append(tok.content)
        elif tok.type == "softbreak":
            parts.append(_SOFT)
        elif tok.type == "hardbreak":
            parts.append("\n")
        # images, raw HTML and the open/close markers of links and emphasis: dropped
    return "".join(parts)


def markdown_blocks(source: str) -> list[str]:
    """Plain-text blocks (headings, paragraphs, list items, code) in document order.

    Soft line breaks are kept as a private marker so the title can be the first line.
    """
    blocks: list[str] = []
    for tok in _markdown().parse(source):
        if tok.type == "inline":
            text = _inline(tok.children or [])
        elif tok.type in ("fence", "code_block"):
            text = tok.content.rstrip("\n")
        else:
            continue
        if text.replace(_SOFT, "").strip():
            blocks.append(text)
    return blocks


# -- entry point -----------------------------------------------------------------

def extract_text(raw: RawInput) -> Article:
    """Markdown or plain text to an :class:`Article` (not yet boilerplate-cleaned)."""
    content = raw.content.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    fm, body = split_front_matter(content, raw.origin)
    fm = fm or {}
    title = _field(fm, raw.origin, "title") or ""
    if raw.kind == "markdown":
        blocks = markdown_blocks(body)
        if not title and blocks:
            first, _, rest = blocks[0].replace("\n", _SOFT).partition(_SOFT)
            title = first
            blocks = [rest, *blocks[1:]] if rest.replace(_SOFT, "").strip() else blocks[1:]
        body = "\n\n".join(b.replace(_SOFT, " ") for b in blocks)
    elif not title:
        stripped = body.lstrip()
        title, _, body = stripped.partition("\n")
    text = normalize_ws(body)
    title = one_line(title)
    text = drop_leading_title(title, text) if title else text
    return Article(
        source=raw.origin,
        title=title,
        text=text,
        url=_field(fm, raw.origin, "url", "link", "canonical_url", "permalink"),
        author=_field(fm, raw.origin, "author", "authors", "byline"),
        published=_front_date(fm, raw.origin),
        image=_field(fm, raw.origin, "image", "og_image", "cover_image", "cover"),
        tags=merge_tags(fm.get("tags"), fm.get("categories"), fm.get("keywords")),
        language=primary_language(_field(fm, raw.origin, "language", "lang")),
        site_name=_field(fm, raw.origin, "site_name", "sitename", "site"),
    )
