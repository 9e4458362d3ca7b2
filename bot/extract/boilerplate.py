"""Remove site furniture from article text, line by line.

Two kinds of rule, all case-insensitive and tried against each line (a leading
bullet such as ``-`` or ``•`` ignored):

* **cut-from** markers ("Follow our … YouTube", "Published by:", "About the author",
  "Subscribe to our newsletter", "Share this article", "Related:", "Read more:",
  "The views expressed … author"; plus ``cfg.cut_from``): the line and everything
  after it goes — but only when the line starts in the last 40% of the text or
  everything after it is short or furniture. An earlier match only drops its own
  line, so an early "Read more:" teaser never throws the article away. A one-line
  teaser ("Related: <headline>") cuts only when nothing but furniture follows it,
  wherever it stands: sites put such teasers between paragraphs.
* **drop-lines** (plus ``cfg.drop_lines``): lines that are only URLs, only
  @handles/#hashtags, "Click here to …", "Sign up for …", "Photo: …", "Image: …",
  "Advertisement", social labels ("Facebook: …", "And content at Twitter: @X"),
  short copyright notices. Mentions and links *inside* a sentence are kept.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.config import Boilerplate
from bot.errors import ConfigError

CUT_ZONE = 0.6
"""A cut-from marker starting at or after this fraction of the text always cuts."""
SHORT_WORDS = 25
"""After an earlier marker, paragraphs under this many words that do not end like a
sentence (headlines, labels, link lists) count as furniture."""
_CLOSERS = "\"'”’»)] "

_NET = (r"(?:youtube|twitter|facebook|instagram|telegram|linkedin|tiktok|whatsapp|threads"
        r"|mastodon|bluesky|pinterest|reddit|x\.com|rumble|substack)")
_URL = r"(?:<?(?:https?://|www\.)\S+?>?)"
_HANDLE = r"(?:[@#][\w.]*\w)"
_SEP = r"[\s,;|·•/]*"

_LIST_LABEL = (
    r"(?:related(?: (?:articles?|stories|posts|content|news|coverage|reading|links))?|read more"
    r"|read also|also read|see also|more on this(?: story| topic)?|you (?:may|might) also like"
    r"|recommended(?: for you| reading| articles| stories)?|further reading|more stories)"
)

DEFAULT_CUT_FROM: tuple[str, ...] = (
    rf"^follow (?:us|our|me|him|her|them)\b.{{0,120}}(?:\b{_NET}\b|\bon x\b)",
    r"^(?:published|posted|written) by\s*:",
    r"^about the authors?\b",
    r"^(?:subscribe|sign up)\b.{0,60}\bnewsletters?\b",
    r"^share (?:this|the) (?:article|story|post|page)\b",
    r"^share this\s*:?\s*$",
    rf"^{_LIST_LABEL}\s*(?::|$)",
    r"^the views (?:and opinions )?expressed\b.{0,200}\bauthors?\b",
)

DEFAULT_DROP_LINES: tuple[str, ...] = (
    rf"^(?:{_URL}{_SEP})+$",  # only URLs
    rf"^(?:{_HANDLE}{_SEP})+$",  # only handles / hashtags
    r"^click here\b",
    r"^sign up (?:for|to|now)\b",
    r"^(?:photo|image|picture|photograph|graphic|illustration)s?(?: credit| source)?\s*(?::|by\b)",
    r"^(?:advertisement|advertising|sponsored(?: content)?|ad|story continues below"
    r"(?: advertisement)?|scroll to continue(?: with content)?|continue reading below)\s*$",
    r"^share (?:on|via)\b.{0,40}$",
    r"^(?:©|\(c\)|copyright\b).{0,160}$",
)

_CUT_RE = [re.compile(p, re.I) for p in DEFAULT_CUT_FROM]
_DROP_RE = [re.compile(p, re.I) for p in DEFAULT_DROP_LINES]
_TEASER = re.compile(rf"^{_LIST_LABEL}\s*:\s*\w", re.I)  # "Read more: <headline>"
_BULLET = re.compile(r"^[-*•·>|]+\s*")
_LINK_OR_HANDLE = re.compile(rf"{_URL}|{_HANDLE}", re.I)
_NET_WORD = re.compile(rf"\b{_NET}\b", re.I)
_NET_LABEL = re.compile(rf"^(?:{_NET}|x)\s*:", re.I)


@lru_cache(maxsize=64)
def _compile(patterns: tuple[str, ...], what: str) -> tuple[re.Pattern[str], ...]:
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p, re.I))
        except re.error as exc:
            raise ConfigError(
                f"boilerplate.{what}: invalid regular expression {p!r} ({exc})") from None
    return tuple(out)


def _social(line: str) -> bool:
    """A short line pointing at a social account, e.g. "And content at Twitter: @X"."""
    if len(line) > 200:
        return False
    rest = _LINK_OR_HANDLE.sub(" ", line)
    has_link = rest != line
    words = len(re.findall(r"\w+", rest))
    if _NET_LABEL.match(line):
        return has_link or words <= 6
    if not _NET_WORD.search(line) or not has_link:
        return False
    return words <= 10 and not line.rstrip(_CLOSERS).endswith((".", "!", "?"))


class _Rules:
    def __init__(self, cfg: Boilerplate) -> None:
        self.defaults = cfg.use_defaults
        self.user_drop = _compile(tuple(cfg.drop_lines), "drop_lines")
        self.user_cut = _compile(tuple(cfg.cut_from), "cut_from")

    def cut(self, line: str) -> bool:
        if self.defaults and any(r.search(line) for r in _CUT_RE):
            return True
        return any(r.search(line) for r in self.user_cut)

    def drop(self, line: str) -> bool:
        if self.defaults and (any(r.search(line) for r in _DROP_RE) or _social(line)):
            return True
        return any(r.search(line) for r in self.user_drop)

    def furniture(self, line: str) -> bool:
        return self.cut(line) or self.drop(line)


def clean(text: str, cfg: Boilerplate) -> str:
    """``text`` without furniture; paragraphs separated by one blank line.

    Raises ConfigError when a user pattern is not a valid regular expression.
    """
    rules = _Rules(cfg)
    paragraphs = [p for p in re.split(r"\n[^\S\n]*\n", text.strip()) if p.strip()]
    # Flatten to (paragraph index, line, normalised line, start offset)
    lines: list[tuple[int, str, str, int]] = []
    offset = 0
    for pi, para in enumerate(paragraphs):
        for line in para.split("\n"):
            if line.strip():
                lines.append((pi, line, _BULLET.sub("", line.strip()), offset))
                offset += len(line) + 1
    total = max(offset, 1)
    kept: list[tuple[int, str]] = []
    for i, (pi, line, norm, start) in enumerate(lines):
        if rules.cut(norm):
            late = start / total >= CUT_ZONE and not (rules.defaults and _TEASER.match(norm))
            if late or _only_furniture(lines[i + 1:], rules):
                break
            continue  # too early to cut: drop just this line
        if not rules.drop(norm):
            kept.append((pi, line))
    out: list[list[str]] = []
    last = -1
    for pi, line in kept:
        if pi != last:
            out.append([])
            last = pi
        out[-1].append(line)
    return "\n\n".join("\n".join(p) for p in out)


def _only_furniture(rest: list[tuple[int, str, str, int]], rules: _Rules) -> bool:
    by_para: dict[int, list[str]] = {}
    for pi, _line, norm, _start in rest:
        by_para.setdefault(pi, []).append(norm)
    for norms in by_para.values():
        short = sum(len(n.split()) for n in norms) < SHORT_WORDS
        if short and not norms[-1].rstrip(_CLOSERS).endswith((".", "!", "…")):
            continue  # a headline or label, not a sentence of the article
        if not all(rules.furniture(n) for n in norms):
            return False
    return True


def invalid_rules(cfg: Boilerplate) -> list[str]:
    """One line per extra rule in ``cfg`` that is not a valid regular expression, all at
    once (`bot config check`; extraction itself stops at the first)."""
    out: list[str] = []
    for what in ("drop_lines", "cut_from"):
        for pattern in getattr(cfg, what):
            try:
                _compile((pattern,), what)
            except ConfigError as exc:
                out.append(str(exc))
    return out
