"""Hashtags an editor would choose: the article's own tags, else names from its headline.

1. **The article's tags** (front matter, ``article:tag``/keywords, feed categories), in their
   order, those named in the headline or lead first. Left out: site sections and menus
   ("Home Page", "General News", "ctp_video", "NoAutolink", "News - News"), generic section
   labels ("Business", "Opinion", "Sport"), the site's own name, codes and domains
   ("7974.TO", "digitimes.com"), tags of more than three words, and tags the article never
   mentions (a site-wide menu such as "Human Rights, Sport" on a story about soldiers).
2. **Names** (``mode: auto`` only, and only in scripts with capital letters): people,
   places, organisations, products and events, found as runs of capitalised words in the
   headline and the first sentences, kept whole ("New York", not "York"; "Recep Tayyip
   Erdogan"). A name must be in the headline, or be named at least twice in the lead. Left
   out: words capitalised only because they start a sentence, datelines ("WASHINGTON —"),
   weekdays and months, titles in front of a name ("President", "Gov."), nationality
   adjectives ("Russian"), news agencies and the site's name.

None is better than a bad one: an article with neither gets no hashtag. Scripts without
capital letters (Chinese, Japanese, Arabic, Thai, ...) get only their own tags.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from bot.summarize import junk
from bot.summarize.sentences import normalize_language, split_sentences
from bot.summarize.words import stopwords

if TYPE_CHECKING:
    from bot.models import Article

Mode = Literal["auto", "tags_only"]
MAX_LENGTH = 25
MAX_WORDS = 3
LEAD_CHARS = 600
"""Names are looked for in the headline and about this much of the opening."""

# fmt: off
# Site furniture and catch-all labels (casefolded, spaces and punctuation removed).
_FURNITURE = frozenset({
    "uncategorized", "uncategorised", "uncategorizedposts", "general", "misc", "miscellaneous",
    "other", "others", "none", "default", "blog", "blogs", "news", "featured", "home",
    "homepage", "frontpage", "mainpage", "main", "top", "topnews", "topstories", "headlines",
    "latest", "latestnews", "breaking", "breakingnews", "trending", "popular", "mostread",
    "generalnews", "localnews", "nationalnews", "worldnews", "internationalnews", "video",
    "videos", "autoplayvideo", "ctpvideo", "noautolink", "amp", "post", "posts", "article",
    "articles", "story", "stories", "all", "standard", "slideshow", "gallery", "photos",
    "spotlight", "smartnews", "hosted", "feed", "rss", "sincategoria", "sincategoría",
    "newsbeat", "personal", "kitreviews",
    "allgemein", "nonclassé", "senzacategoria", "semcategoria", "geral", "genel", "haber",
    "haberler", "nachrichten", "actualité", "actualités", "noticias", "notícias", "notizie",
    "slideshowpáginainicial", "páginainicial", "startseite", "accueil", "portada", "anasayfa",
})
# Broad sections: a reader learns nothing from them.
_SECTIONS = frozenset({
    "business", "health", "opinion", "opinions", "science", "technology", "tech", "politics",
    "sport", "sports", "world", "entertainment", "lifestyle", "life", "culture", "travel",
    "economy", "finance", "money", "markets", "local", "national", "international", "weather",
    "us", "uk", "europe", "asia", "africa", "americas", "australia", "middleeast", "media",
    "arts", "books", "food", "style", "fashion", "music", "movies", "film", "tv", "television",
    "education", "environment", "society", "religion", "crime", "law", "autos", "cars",
    "motoring", "property", "realestate", "jobs", "careers", "commentary", "analysis",
    "editorial", "editorials", "columns", "column", "features", "feature", "reviews", "review",
    "lifeandculture", "scienceandhealth", "sciencehealth", "scienceandtechnology",
    "newsandpolitics", "governmentandpolitics", "companytown", "wirtschaft", "politik",
    "gesundheit", "wissenschaft", "kultur", "économie", "politique", "santé", "economía",
    "política", "salud", "economia", "saúde", "ekonomi", "siyaset", "sağlık", "dünya", "spor",
})
_WEEKDAYS_MONTHS = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "today", "yesterday", "tomorrow",
    "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
    "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
    "segunda", "terça", "quarta", "quinta", "sexta", "pazartesi", "salı", "çarşamba",
    "perşembe", "cuma", "cumartesi", "pazar", "week", "weekend", "month", "year",
})
# Words in front of a name that are not part of it.
_HONORIFICS = frozenset({
    "mr", "mrs", "ms", "miss", "dr", "prof", "professor", "president", "vice", "gov",
    "governor", "sen", "senator", "rep", "representative", "minister", "secretary", "chancellor",
    "mayor", "judge", "justice", "officer", "coach", "ceo", "chairman", "chairwoman", "chief",
    "gen", "general", "col", "lt", "sgt", "capt", "captain", "director", "spokesman",
    "spokeswoman", "spokesperson", "ambassador", "leader", "former", "the", "prime", "deputy",
    "acting", "interim", "executive", "founder", "cofounder", "singer", "actor",
    "actress", "player", "striker", "manager", "boss", "st", "saint",
    "präsident", "bundeskanzler", "kanzlerin", "kanzler", "herr", "frau", "président",
    "madame", "monsieur", "presidente", "ministro", "ministra", "señor", "senhor",
    "cumhurbaşkanı", "bakan", "başbakan", "sayın",
})
_AGENCIES = frozenset({"cnn", "ap", "afp", "reuters", "upi", "bbc", "pa", "dpa", "efe",
                       "ansa", "xinhua", "tass", "aa", "ians", "pti"})
_CONNECTORS = frozenset({"of", "de", "da", "do", "dos", "das", "del", "della", "di", "du",
                         "des", "van", "von", "der", "den", "al", "el", "la", "le", "bin",
                         "ibn", "y", "&"})
# fmt: on
# Words that open a run of capitals without being part of the name ("To LeBron James").
_DETERMINERS = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "our", "his", "her", "their", "its",
    "my", "your", "when", "while", "after", "before", "but", "and", "in", "on", "at", "as",
    "if", "to", "for", "from", "with", "by", "into", "over", "under", "about", "against",
    "during", "since", "until", "via", "per", "so", "then", "than", "also", "now", "here",
    "there", "what", "who", "how", "why", "where", "which", "all", "every", "each", "some",
    "many", "more", "most", "no", "not", "one", "two", "three", "four", "five", "six", "seven",
    "eight", "nine", "ten", "first", "last", "breaking", "exclusive", "watch", "video",
    "does", "do", "did", "is", "are", "was", "were", "can", "could", "will", "would", "should",
    "has", "have", "had", "less", "even", "just", "only", "because", "despite",
})
# The same in other languages; "Los Angeles" and "El Paso" stay whole in English text.
_DETERMINERS_BY_LANGUAGE = {
    "de": frozenset({"der", "die", "das", "ein", "eine", "mit", "von", "für", "bei", "nach"}),
    "fr": frozenset({"le", "la", "les", "un", "une", "pour", "avec", "sur", "dans", "selon"}),
    "es": frozenset({"el", "la", "los", "las", "un", "una", "para", "con", "sobre", "según"}),
    "it": frozenset({"il", "lo", "la", "gli", "le", "un", "una", "per", "con", "su"}),
    "pt": frozenset({"o", "os", "a", "as", "um", "uma", "para", "com", "sobre", "segundo"}),
    "tr": frozenset({"bu", "şu", "bir", "ile", "için"}),
    "id": frozenset({"sebelum", "sesudah", "setelah", "dan", "di", "ke", "dari", "karena",
                     "yang", "untuk", "dengan", "jadi"}),
}
_DEMONYM = re.compile(r"(?:ian|ish|ese|ean|ians|ans|eans|an)$")
# A capitalised word; a full stop only inside ("U.S.") or after one capital ("J."), so a
# run never crosses the end of a sentence ("Meth. We're on it").
_CAPWORD = (r"(?:[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁΑ-Ω](?:[\w&+-]|['’](?!s\b)\w)*(?:\.(?=\w)[\w&+-]*)*"
            r"(?:(?<=\b[A-Z])\.|(?<=\.[A-Z])\.)?|[0-9]+[A-Za-z][\w-]*)")
_NAME_RE = re.compile(
    rf"(?<![\w#@]){_CAPWORD}(?:\s+(?:(?:{'|'.join(sorted(_CONNECTORS - {'&'}))}|&)\s+)?{_CAPWORD})*"
    r"(?:['’]s\b)?")
_POSSESSIVE = re.compile(r"['’]s?$")
_POSSESSIVE_IN = re.compile(r"['’]s\b|['’]$")
_JUNK = re.compile(r"https?:|www\.|@|\\|\.[a-z]{2,6}$|^\d[\d.,:/-]*$|\.[A-Z]{1,3}$")
_SPLIT = re.compile(r"[\s\-_–—/.,:;+]+")
_NON_WORD = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _NON_WORD.sub("", unicodedata.normalize("NFC", text).casefold())


def _cased(text: str) -> bool:
    """Whether ``text`` is mostly in a script with capital letters."""
    letters = [c for c in text[:400] if c.isalpha()]
    if not letters:
        return False
    cased = sum(1 for c in letters if c.isupper() or c.islower())
    return cased >= 0.6 * len(letters)


def to_hashtag(phrase: str, language: str | None = None) -> str | None:
    """CamelCase hashtag (without '#') for a tag or name; None when it makes a poor one."""
    raw = _POSSESSIVE_IN.sub("", phrase.strip().lstrip("#").strip())
    if not raw or _JUNK.search(raw):
        return None
    parts = [_NON_WORD.sub("", p) for p in _SPLIT.split(raw)]
    parts = [p for p in parts if p]
    if not parts or len(parts) > MAX_WORDS:
        return None
    stop = stopwords(language)
    if all(p.casefold() in stop or p.isdigit() for p in parts):
        return None
    tag = parts[0] if len(parts) == 1 else "".join(p[:1].upper() + p[1:] for p in parts)
    if not 2 <= len(tag) <= MAX_LENGTH or tag.isdigit() or not any(c.isalpha() for c in tag):
        return None
    if tag.casefold() in stop or tag.casefold() in _WEEKDAYS_MONTHS:
        return None
    return tag


@dataclass(frozen=True)
class _Context:
    title: str
    lead: str
    """The headline and the opening sentences, without datelines."""
    body: str
    site_keys: frozenset[str]
    language: str


def _context(article: Article, language: str) -> _Context:
    parts: list[str] = []
    size = 0
    for raw in split_sentences(article.text, language):  # cached: the summariser's split
        s = junk.clean_sentence(raw)
        if s and not junk.is_boilerplate(s):
            parts.append(s)
            size += len(s)
            if size >= LEAD_CHARS:
                break
    site = article.site_name or ""
    site_keys = {_key(site), *(_key(w) for w in site.split() if len(w) > 3)} - {""}
    return _Context(article.title.strip(), "\n".join(parts), article.text,
                    frozenset(site_keys), language)


def _mentioned(tag: str, ctx: _Context) -> bool:
    """The article speaks of the tag: the tag itself occurs, or every longer word of it
    begins a word of the text ("Cycling" for "cyclists", "Human Rights" needs both).
    Site-wide menus sent as tags ("Human Rights", "Sport" on a story about soldiers) and
    other people's names fail this."""
    hay = f"{ctx.title} {ctx.body}".casefold()
    if _key(tag) in _key(hay):
        return True
    stems = [w.casefold()[:5] for w in _SPLIT.split(tag) if len(w) >= 4]
    return bool(stems) and all(re.search(rf"(?<!\w){re.escape(st)}", hay) for st in stems)


def _usable_tag(tag: str, ctx: _Context) -> str | None:
    t = " ".join(tag.split())
    k = _key(t)
    if not k or "@" in t or "_" in t or " - " in t or k in _FURNITURE or k in _SECTIONS:
        return None
    if k in ctx.site_keys or k.endswith(("news", "video", "videos")):
        return None  # "Nbc5 News", "Auto News", "autoplay_video"
    if not _mentioned(t, ctx):
        return None
    title = _key(ctx.title)
    if len(k) > 8 and k in title and len(k) > 0.6 * len(title):
        return None  # the headline itself, sent as a tag: a clause, not a topic
    return to_hashtag(t, ctx.language)


def from_tags(tags: list[str], ctx: _Context) -> list[str]:
    """The article's own usable tags; those in the headline or lead first."""
    lead = _key(f"{ctx.title} {ctx.lead}")
    usable = [(h, _key(t) in lead) for t in tags if (h := _usable_tag(t, ctx))]
    return [h for h, up_front in usable if up_front] + [h for h, up_front in usable
                                                         if not up_front]


def _clean_name(name: str, stop: frozenset[str], language: str = "en") -> str | None:
    """A name run without titles in front, possessives and stray stop words at the ends."""
    words = [_POSSESSIVE.sub("", w) for w in name.split()]
    openers = _DETERMINERS | _DETERMINERS_BY_LANGUAGE.get(language, frozenset())
    while words and (words[0].casefold().strip(".") in _HONORIFICS
                     or words[0].casefold() in openers or words[0] in _CONNECTORS):
        words = words[1:]
    while words and (words[-1] in _CONNECTORS or words[-1].casefold().strip(".") in _HONORIFICS):
        words = words[:-1]
    if not words or sum(w.casefold() not in _CONNECTORS for w in words) > MAX_WORDS:
        return None
    if len(words) == 1:
        w = words[0]
        low = w.casefold().replace("’", "'")
        if low in stop or low in _WEEKDAYS_MONTHS or len(w) < 2:
            return None
        if w.isupper() and len(w) > 4:
            return None  # shouting: a dateline or a label, not a name
        if _DEMONYM.search(low) and len(w) > 4 and not w.isupper():
            return None  # "Russian", "Turkish", "Chinese"
    return " ".join(words)


def _names(ctx: _Context) -> list[str]:
    """Names from the headline and lead, best first (see the module docstring)."""
    stop = stopwords(ctx.language)
    counts: Counter[str] = Counter()
    forms: dict[str, str] = {}
    in_title: set[str] = set()
    mid_sentence: set[str] = set()
    words = ctx.title.split()
    title_case = sum(1 for w in words if w[:1].isupper()) > 0.6 * max(len(words), 1)
    # In a headline in Title Case capitals say nothing: its names must show in the lead.
    sources = [("lead", ctx.lead)] if title_case else [("title", ctx.title), ("lead", ctx.lead)]
    title_key = _key(ctx.title)
    for where, text in sources:
        for line in text.split("\n"):
            for m in _NAME_RE.finditer(line):
                name = _clean_name(m.group(0), stop, ctx.language)
                if not name:
                    continue
                k = _key(name)
                start = line[: m.start()].rstrip()
                first_word = not start or start[-1] in ".!?:;\"“‘'«—–-("
                if not first_word or " " in name:
                    mid_sentence.add(k)
                counts[k] += 1
                forms.setdefault(k, name)
                if where == "title" or (title_case and k in title_key):
                    in_title.add(k)
    # A shorter name inside a longer one counts for the longer ("Putin" in "Vladimir Putin").
    keys = sorted(counts, key=len, reverse=True)
    for k in keys:
        for longer in keys:
            if longer != k and k in longer and _key(forms[k]) in _key(forms[longer]):
                counts[longer] += counts[k]
                if k in in_title:
                    in_title.add(longer)
                if k in mid_sentence:
                    mid_sentence.add(longer)
                break
    out: list[tuple[int, int, str]] = []
    for order, k in enumerate(forms):
        if k in ctx.site_keys or k in _AGENCIES or k in _SECTIONS or k in _FURNITURE:
            continue
        if k not in mid_sentence:
            continue  # only ever capitalised because it opens a sentence
        if k not in in_title and counts[k] < 2:
            continue
        out.append((-(counts[k] + 3 * (k in in_title)), order, forms[k]))
    return [name for _, _, name in sorted(out)]


def hashtags(article: Article, count: int, *, language: str | None = None,
             mode: Mode = "auto") -> list[str]:
    """Up to ``count`` hashtags (no '#'): the article's tags, then names (``mode`` "auto").

    A name already covered by a chosen hashtag (a word in common) is skipped. ``language``
    is used when the article does not say.
    """
    if count <= 0:
        return []
    lang = normalize_language(article.language or language)
    ctx = _context(article, lang)
    chosen: list[str] = []
    used: set[str] = set()

    def add(tag: str) -> None:
        words = {w.casefold() for w in re.findall(r"[A-ZÀ-Ý]?[^\W_A-ZÀ-Ý]+|[^\W_]+", tag)}
        if tag.casefold() in {c.casefold() for c in chosen} or words & used:
            return
        chosen.append(tag)
        used.update(words)

    for tag in from_tags(article.tags, ctx):
        if len(chosen) < count:
            add(tag)
    if mode == "auto" and len(chosen) < count and _cased(f"{ctx.title} {ctx.lead}"):
        for name in _names(ctx):
            h = to_hashtag(name, lang)
            if h and len(chosen) < count:
                add(h)
    return chosen
