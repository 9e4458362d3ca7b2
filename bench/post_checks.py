"""What an editor would send back: machine checks for the defects of issue 10.

Each check looks at one rendered post (or one article's posts together) and names what is
wrong with it, independently of how ``bot`` builds posts (no ``bot`` code is imported here:
a check that shared the bot's rules would only confirm them). They are a guide for a human
reader, not the goal; ``docs/post-quality.md`` shows example posts verbatim beside them.

A finding is ``(category, detail)``. Categories (a post with any of them is "defective"):

* ``headline_twice`` — the headline printed twice, or the summary starting with it;
* ``hashtag_*`` — ``furniture`` (site sections, menus, "NoAutolink"), ``dateline``
  (``#WASHINGTON``), ``fragment`` (``#York`` of New York, ``#Seeking`` of a headline),
  ``generic`` (a common word: ``#talks``, ``#hits``), ``absent`` (named nowhere in the
  article: ``#HumanRights`` on a story about soldiers), ``clause`` (four words or more);
* ``furniture`` — datelines, agency tags, bylines and time stamps, paywall and
  "non-commercial use" notices, metadata lines, table pipes, e-mail and copyright lines,
  "Watch the video", image credits, in the summary text;
* ``run_on`` — a headline or dek run into the next sentence without a stop;
* ``starts_mid`` / ``ends_mid`` — summary text that starts or ends in mid-sentence;
* ``site_in_title`` — the site's name glued to the headline; ``slug_title`` — a URL slug;
* ``x_no_news`` — the X post states neither the headline nor its content words;
* ``x_pronoun`` — the X post opens with a pronoun whose subject it never introduced;
* ``link`` — the link goes to another site than the article's, or downgrades https;
* ``too_long`` — the post does not fit its platform.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Finding = tuple[str, str]

# fmt: off
FURNITURE_TAGS = frozenset({
    "homepage", "frontpage", "home", "news", "generalnews", "topnews", "topstories",
    "latestnews", "latest", "breakingnews", "breaking", "trending", "popular", "featured",
    "noautolink", "autoplayvideo", "ctpvideo", "video", "videos", "blog", "blogs",
    "uncategorized", "localnews", "nationalnews", "nationalsports", "worldnews", "world",
    "opinion", "standard", "post", "article", "story", "all", "main", "slideshow",
    "slideshowpáginainicial", "smartnews", "newsbeat", "spotlight", "hosted", "amp",
})
GENERIC_WORDS = frozenset({
    "talks", "hits", "says", "said", "new", "news", "post", "pack", "kit", "light", "good",
    "great", "best", "top", "first", "last", "more", "most", "year", "years", "day", "week",
    "time", "people", "man", "woman", "study", "report", "update", "review", "officer",
    "quickly", "dancing", "evidence", "retiring", "tracking", "seeking", "obstacle", "main",
    "nesta", "bugs", "ama", "column", "sections", "thing", "things", "way", "ways",
})
# Words that stand before a name without being part of it ("CEO Tim Cook", "Rep. Ilhan Omar").
TITLE_WORDS = frozenset({
    "the", "a", "an", "in", "of", "on", "at", "and", "but", "ceo", "rep", "sen", "gov", "dr",
    "mr", "mrs", "ms", "president", "senator", "governor", "minister", "secretary", "chancellor",
    "mayor", "judge", "coach", "chief", "general", "prime", "former", "prince", "princess",
    "king", "queen", "pope", "prof", "director", "chairman", "founder", "u.s.", "us", "uk",
    "lt", "gen", "maj", "sgt", "col", "capt", "officer", "detective", "deputy", "sheriff",
})
PRONOUNS = frozenset({
    "he", "she", "they", "it", "this", "that", "these", "those", "his", "her", "their", "its",
    "him", "them", "but", "and", "also", "however", "meanwhile", "still", "then", "so",
})
# fmt: on
_FURNITURE = re.compile(
    r"^\s*[A-ZÀ-Ý][A-ZÀ-Ý .,'-]{2,40}(?:\([^)]{1,30}\))?\s*[—–]\s"  # "WASHINGTON — "
    r"|^\s*[A-Z][A-Z .,'-]{2,40}\s*(?:\((?:AP|Reuters|AFP|CNN|UPI|dpa|EFE)\))"  # "PARIS (AP)"
    r"|\((?:CNN|AP|AFP|Reuters|UPI)\)"
    r"|non-commercial use|personal, non-commercial|Subscribe (?:now|today)|subscribers only"
    r"|\bPublicado por\b|\bCategoria\s*:|\bTags\s*:|\bPosted (?:by|on|in)\b"
    r"|\bPUBLISHED\s*:|\bUPDATED\s*:|\bLast (?:updated|modified)\b"
    r"|\|[^|]{0,60}\|[^|]{0,60}\|"  # table pipes
    r"|[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail
    r"|©|\bCopyright\b|\bAll rights reserved\b|저작권자"
    r"|\bWatch (?:the )?video\b|\bScroll down for video\b"
    r"|\b(?:Photo|Image|Picture)s?(?: credit)?\s*:|\bGetty Images\b|\bREAD MORE\b|\bRead more\s*:"
    r"|^\s*By\s+[A-Z][\w.'-]+(?:\s+[A-Z][\w.'-]+){0,3}\s*(?:,|\||$)",
    re.M,
)
_RUN_ON = re.compile(
    r"(?<![.!?:;…\"'”’)\]—–-])\s(?:The|He|She|They|We|It|This|But|After|When|While|In|On|A|An)"
    r"\s+[a-z]")
_RUN_ON_OK = re.compile(
    r"\b(?:in|of|on|at|for|to|by|from|with|about|and|or|called|named|titled|than|as|is|was|"
    r"into|like|under|over|that|nor)\s+\S+$", re.I)
_ENDS = tuple(".!?…\"'”’»)]。！？؟।」』")
_SITE_SEP = re.compile(r"\s[-–—|·:»]\s")


def key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text)


@dataclass
class Case:
    """One article and its posts, as the harness saw them."""

    name: str
    kind: str
    title: str
    text: str
    language: str | None
    site: str | None
    url: str | None
    true_url: str | None
    """Where the page was crawled from (the corpus' ground truth)."""
    tags: list[str]
    hashtags: list[str]
    posts: dict[str, str]
    fits: dict[str, bool] = field(default_factory=dict)
    links: dict[str, str | None] = field(default_factory=dict)
    canonical: str | None = None
    """The page's own ``<link rel=canonical>``, when it has one."""
    error: str | None = None


def split_post(post: str, title: str, link: str | None) -> str:
    """The summary part of a post: what is left without the headline, the line holding the
    link and lines of hashtags."""
    kept: list[str] = []
    for line in post.split("\n"):
        s = line.strip()
        if not s or (link and link in s) or re.fullmatch(r"(?:#\w+\s*)+", s):
            continue
        if title and key(s) == key(title):
            continue
        kept.append(s)
    return " ".join(kept)


def post_hashtags(post: str) -> list[str]:
    return re.findall(r"(?<![\w&/])#([^\W_][\w]*)", post)


def hashtag_findings(case: Case, tags: list[str]) -> list[Finding]:
    """Tags the article carries are judged as given (furniture, menus, clauses, or named
    nowhere in it); tags the bot derived must also be a name from the headline or lead,
    whole, and not a common word."""
    out: list[Finding] = []
    body = f"{case.title}\n{case.text}"
    squashed = re.sub(r"[\W_]+", "", key(body))
    lead = key(f"{case.title} {case.text[:600]}")
    given = {re.sub(r"[\W_]+", "", t.casefold()) for t in case.tags}
    for tag in tags:
        low = tag.casefold()
        parts = re.findall(r"[A-ZÀ-Ý0-9]+(?![a-zà-ÿ])|[A-ZÀ-Ý]?[a-zà-ÿ0-9]+|[^\W\d_]+", tag)
        long_parts = [p.casefold() for p in parts if len(p) >= 4]
        if low in FURNITURE_TAGS or (low.endswith(("news", "video")) and len(parts) > 1):
            out.append(("hashtag_furniture", tag))
        elif tag.isupper() and len(tag) > 3 and re.match(
                rf"\s*{re.escape(tag)}\b[\s,.A-Za-z]{{0,20}}(?:\([^)]*\))?\s*[—–:-]", case.text):
            out.append(("hashtag_dateline", tag))
        elif len(parts) >= 4:
            out.append(("hashtag_clause", tag))
        elif low not in squashed and not all(
                re.search(rf"(?<!\w){re.escape(p[:5])}", key(body)) for p in long_parts or [low]):
            out.append(("hashtag_absent", tag))
        elif low in given:
            continue
        elif low in GENERIC_WORDS or (tag.islower() and len(parts) == 1):
            out.append(("hashtag_generic", tag))
        elif _fragment(tag, body) or not _in_lead(low, lead):
            out.append(("hashtag_fragment", tag))
    return out


def _in_lead(low: str, lead: str) -> bool:
    return low in re.sub(r"[\W_]+", "", lead)


def _fragment(tag: str, body: str) -> bool:
    """'York' where the text only ever says 'New York'; a name cut from a longer name."""
    if not tag[:1].isupper() or len(tag) < 3:
        return False
    spaced = re.sub(r"(?<=[a-zà-ÿ])(?=[A-ZÀ-Ý])", " ", tag)
    pattern = re.compile(rf"(\S+)\s+{re.escape(spaced)}\b|\b{re.escape(spaced)}\s+(\S+)")
    hits = list(re.finditer(rf"\b{re.escape(spaced)}\b", body))
    if not hits:
        return False
    joined = 0
    for m in pattern.finditer(body):
        other = m.group(1) or m.group(2)
        plain = other.strip(".,:;'’\"“”").casefold() if other else ""
        if m.group(1) and other and other[-1] in ",;:.!?)\"”’":
            continue  # "on Wednesday, Nick Loeb said": punctuation between, not one name
        if other and other[:1].isupper() and plain not in TITLE_WORDS:
            if m.group(1) and body[max(0, m.start() - 2):m.start()].strip(" ") in ("", "\n"):
                continue
            joined += 1
    return joined >= len(hits)


def text_findings(summary: str, title: str) -> list[Finding]:
    out: list[Finding] = []
    s = summary.strip()
    if not s:
        return out
    if _FURNITURE.search(s):
        out.append(("furniture", _FURNITURE.search(s).group(0)[:40]))  # type: ignore[union-attr]
    for m in _RUN_ON.finditer(s):
        before = s[: m.start()]
        if not _RUN_ON_OK.search(before) and not re.search(r"\b[A-Z][\w'’]*$", before):
            out.append(("run_on", s[max(0, m.start() - 30): m.end() + 10]))
            break
    if title and len(words(title)) >= 4 and key(title) in key(s):
        out.append(("run_on", "headline inside the summary"))
    first = s[0]
    if first.islower() or first in "—–-,;:|":
        out.append(("starts_mid", s[:40]))
    if not s.endswith(_ENDS):
        out.append(("ends_mid", s[-40:]))
    return out


def title_findings(case: Case) -> list[Finding]:
    out: list[Finding] = []
    t = case.title
    if not t:
        return out
    names = {case.site or ""}
    host = urlsplit(case.true_url or case.url or "").hostname or ""
    names.add(host.removeprefix("www.").split(".")[0])
    for part in _SITE_SEP.split(t)[1:] + _SITE_SEP.split(t)[:1]:
        p = re.sub(r"[\W_]+", "", part.casefold())
        if len(_SITE_SEP.split(t)) > 1 and p and any(
                p == re.sub(r"[\W_]+", "", n.casefold()) for n in names if n):
            out.append(("site_in_title", t))
            break
    slug = urlsplit(case.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    slug_words = [w for w in re.split(r"[-_.]+", slug.casefold()) if w and not w.isdigit()]
    as_written = t.strip().casefold() == slug.casefold() and "-" in slug
    all_lower = t[:1].islower() and not any(c.isupper() for c in t)
    if as_written or (len(slug_words) >= 3 and all_lower
                      and [w.casefold() for w in words(t)] == slug_words):
        out.append(("slug_title", t))
    return out


def _site(url: str) -> str:
    return ".".join((urlsplit(url).hostname or "").removeprefix("www.").split(".")[-2:])


def link_findings(case: Case) -> list[Finding]:
    """An http link where the page is served over https; another site than the page's own
    canonical address (a syndicated copy's, a share domain's)."""
    if not case.url:
        return []
    out: list[Finding] = []
    secure = [u for u in (case.true_url, case.canonical) if u and u.startswith("https://")]
    if case.url.startswith("http://") and any(_site(u) == _site(case.url) for u in secure):
        out.append(("link", f"downgraded to http: {case.url}"))
    if case.canonical and _site(case.canonical) != _site(case.url):
        out.append(("link", f"{_site(case.url)} instead of {_site(case.canonical)}"))
    return out


def x_findings(case: Case) -> list[Finding]:
    post = case.posts.get("twitter")
    if post is None:
        return []
    out: list[Finding] = []
    first_line = post.strip().split("\n", 1)[0]
    first_word = (words(first_line)[:1] or [""])[0].casefold()
    if first_word in PRONOUNS and key(first_line) != key(case.title):  # the site's headline
        out.append(("x_pronoun", first_line[:50]))
    if case.title:
        tw = {w.casefold() for w in words(case.title) if len(w) > 3}
        pw = {w.casefold() for w in words(post)}
        if tw and len(tw & pw) / len(tw) < 0.4:
            out.append(("x_no_news", first_line[:60]))
    return out


def post_findings(case: Case, platform: str) -> list[Finding]:
    """Everything wrong with one post of ``case``."""
    post = case.posts[platform]
    out: list[Finding] = []
    long_title = len(words(case.title)) >= 4
    if case.title and long_title and key(post).count(key(case.title)) >= 2:
        out.append(("headline_twice", case.title[:60]))
    summary = split_post(post, case.title, case.links.get(platform))
    if case.title and summary and key(summary).startswith(key(case.title)):
        out.append(("headline_twice", "summary starts with the headline"))
    out += text_findings(summary, case.title)
    out += hashtag_findings(case, post_hashtags(post))
    out += title_findings(case) if case.title and case.title in post else []
    out += link_findings(case)
    if platform == "twitter":
        out += x_findings(case)
    if not case.fits.get(platform, True):
        out.append(("too_long", platform))
    return out
