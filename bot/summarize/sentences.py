"""Sentence splitting with pysbd, fast enough to run on every article the bot reads.

``split_sentences`` cuts the text into paragraphs first (blank lines; a single line break
too, unless the next line carries on in lower case as hard-wrapped text does), so a
sentence never spans two paragraphs. Inside a paragraph every possible boundary (``.``,
``?``, ``!``, ``…`` followed by white space) is put in one of three classes:

* *protected*: inside a quotation or brackets, or after a title such as "Mr." or "Dr."
  (pysbd's prepositive abbreviations) — never a boundary, as in pysbd;
* *certain*: a single ``.``, ``?`` or ``!`` right after a plain word of two or more letters
  (apostrophes and hyphens inside allowed) that pysbd does not list as an abbreviation, a
  word of letters and digits, or a number of three or more digits, then white space and a
  capital letter — always a boundary, as in pysbd;
* *ambiguous*: everything else ("U.S. Census", "J. Smith", "He was 88.", "...").

The paragraph is cut at the certain boundaries; a piece that still holds an ambiguous one
goes to pysbd, which decides it. Most pieces hold none, so a 700-word article costs well
under a millisecond instead of ~10 ms for pysbd on the whole text.

pysbd is imported on first use only (``import bot.summarize`` stays cheap).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import pysbd

DEFAULT_LANGUAGE = "en"

# Sentence ends that need no pysbd, in whatever language the text is said to be: CJK full
# stops (no space after them), Arabic/Persian '؟', Urdu '۔', Devanagari '।' '॥', Burmese '။',
# Ethiopic '።', Armenian '։', each with any closing quotes or brackets that follow.
_SCRIPT_END_RE = re.compile(
    r"[。！？｡]+[」』）〕】》〉\"”’)]*\s*"
    r"|[؟۔।॥။።։]+[»\"”’)\]]*(?:\s+|$)"
    r"|(?<=[\u0E00-\u0E7F])[ \t]+(?=[\u0E00-\u0E7F])"  # Thai: a space between Thai words
)
# A headline, dek or bullet run into the next sentence without a stop: "...against a
# colleague The cost of divorce ...". Only where a lower-case word is followed by a word that
# opens English sentences and then by a lower-case word ("The cost", "He said"): mid-sentence,
# that is never grammatical ("in The Hague" and "Plan A" keep their capitals after).
_RUN_ON_RE = re.compile(
    r"(?<=[a-z0-9%])\s+(?=(?:The|He|She|They|It|This|These|Those|His|Her|Their|But|After"
    r"|When|While|However|Police|Officials)\s+[a-z])")
_RUN_ON_AFTER_OK = re.compile(
    r"\b(?:of|in|on|at|for|to|by|from|with|about|and|or|as|than|called|named|titled|is|was"
    r"|the|a|an|that|said|says|told|wrote|asked|read|reads)$", re.I)
_RUN_ON_LANGUAGES = frozenset({"en"})
_THAI_MIN = 40
"""Thai marks sentences (and some phrases) with a space: pieces shorter than this many
characters are joined to the next one."""
_OPENERS = "\"'“‘«(["
_CLOSERS = "\"'”’»)]"
_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_LINE_RE = re.compile(r"[ \t\r\f\v]*\n[ \t\r\f\v]*")
_SPACE_RE = re.compile(r"\s+")
_CANDIDATE_RE = re.compile(r"([.!?…]+)([\"'”’»)\]]*)\s+")
# Sentence-final words that leave no doubt: "O’Toole", "to-date", "NewsNet5", "£12,000",
# "2015", "5%" (but not "88" or "9", which pysbd may read as list numbers, nor "3pm").
_PLAIN_WORD_RE = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ALNUM_RE = re.compile(r"(?=.*[^\W\d_])(?=.*\d)[^\W_]+")
_NUMBER_RE = re.compile(r"[$£€¥]?(?:\d{3,}|\d{1,3}(?:,\d{3})+)%?|\d+%")
_CLOCK_RE = re.compile(r"\d+(?:[ap]m|h)", re.IGNORECASE)
# Quotations and brackets, the way pysbd protects them from being cut.
_SPAN_RE = re.compile(
    r"\"[^\"]*\"|“[^”]*”|«[^»]*»|\([^()]*\)|\[[^\]]*\]"
    r"|(?<!\w)‘(?:[^’]|’[^\W\d_])*’|(?<!\w)'(?:[^']|'[^\W\d_])*'(?!\w)"
)
_JUNK_FRAGMENT_RE = re.compile(r"^[\W_]+$")
_LEADING_CLOSER_RE = re.compile(r"^([\"'”’»)\]]+)\s+(?=\S)")


class _Lang(NamedTuple):
    code: str
    titles: frozenset[str]
    abbreviations: frozenset[str]
    exclamation_words: frozenset[str]
    extra_punct: str


def normalize_language(language: str | None) -> str:
    """'en-US' -> 'en'; an empty value -> the default language."""
    code = (language or DEFAULT_LANGUAGE).strip().lower().replace("_", "-").split("-")[0]
    return code or DEFAULT_LANGUAGE


@lru_cache(maxsize=64)
def _lang(code: str) -> _Lang:
    from pysbd.exclamation_words import ExclamationWords
    from pysbd.languages import LANGUAGE_CODES

    if code not in LANGUAGE_CODES:
        code = DEFAULT_LANGUAGE
    cls = LANGUAGE_CODES[code]
    abbr = cls.Abbreviation
    titles = frozenset(a.strip().lower() for a in abbr.PREPOSITIVE_ABBREVIATIONS)
    abbreviations = frozenset(a.strip().lower() for a in abbr.ABBREVIATIONS) | titles
    excl = frozenset(w.lower().rstrip("!") for w in ExclamationWords.EXCLAMATION_WORDS)
    extra = "".join(p for p in cls.Punctuations if p not in ".!?")
    return _Lang(code, titles, abbreviations, excl, extra)


@lru_cache(maxsize=64)
def _segmenter(code: str) -> pysbd.Segmenter:
    import pysbd

    return pysbd.Segmenter(language=code, clean=False)


def _pysbd(piece: str, lang: _Lang) -> list[str]:
    return list(_segmenter(lang.code).segment(piece))


def _paragraphs(text: str) -> list[str]:
    """Blank-line paragraphs, then lines; a line starting in lower case continues the last."""
    out: list[str] = []
    for block in _PARAGRAPH_RE.split(text):
        current = ""
        for line in _LINE_RE.split(block):
            line = line.strip()
            if not line:
                continue
            if current and line[0].islower() and current[-1] not in ".!?:;…":
                current = f"{current} {line}"
            else:
                if current:
                    out.append(current)
                current = line
        if current:
            out.append(_SPACE_RE.sub(" ", current))
    return out


def _classify(p: str, m: re.Match[str], spans: list[tuple[int, int]], lang: _Lang) -> str:
    """'protected', 'certain' or 'ambiguous' for the candidate boundary ``m`` in ``p``."""
    cut = m.end(2)
    if any(a < cut < b for a, b in spans):
        return "protected"
    punct = m.group(1)
    word = p[p.rfind(" ", 0, m.start()) + 1 : m.start()].lstrip(_OPENERS).rstrip(_CLOSERS)
    if punct == "." and word.lower() in lang.titles:
        return "protected"
    if len(punct) != 1 or punct == "…" or m.end() >= len(p):
        return "ambiguous"
    nxt = p[m.end() :].lstrip(_OPENERS)
    if not nxt or not nxt[0].isupper():
        return "ambiguous"
    if punct == "!" and word.lower() in lang.exclamation_words:
        return "ambiguous"
    if punct == "." and word.lower() in lang.abbreviations:
        return "ambiguous"  # "Calif. (AP)", "Inc. The": pysbd knows its abbreviations
    if len(word) >= 2 and _PLAIN_WORD_RE.fullmatch(word):
        return "certain"
    if _NUMBER_RE.fullmatch(word) or (_ALNUM_RE.fullmatch(word) and not _CLOCK_RE.fullmatch(word)):
        return "certain"
    return "ambiguous"


def _script_pieces(p: str) -> list[str]:
    """``p`` cut after every script-specific sentence end (see ``_SCRIPT_END_RE``)."""
    out: list[str] = []
    start = 0
    for m in _SCRIPT_END_RE.finditer(p):
        if m.end() >= len(p):
            break
        piece = p[start:m.end()].strip()
        thai = m.group(0).strip() == ""
        if thai and len(piece) < _THAI_MIN:
            continue  # too short for a Thai sentence: keep reading
        out.append(piece)
        start = m.end()
    rest = p[start:].strip()
    if rest:
        out.append(rest)
    return out


def _split_paragraph(p: str, lang: _Lang) -> list[str]:
    out: list[str] = []
    for piece in _script_pieces(p):
        for part in _run_ons(piece, lang):
            out.extend(_split_piece(part, lang))
    return out


def _run_ons(p: str, lang: _Lang) -> list[str]:
    """``p`` cut where a sentence ran into the next without a stop (English only)."""
    if lang.code not in _RUN_ON_LANGUAGES:
        return [p]
    out: list[str] = []
    start = 0
    for m in _RUN_ON_RE.finditer(p):
        if _RUN_ON_AFTER_OK.search(p[start:m.start()]):
            continue
        out.append(p[start:m.start()])
        start = m.end()
    out.append(p[start:])
    return out


def _split_piece(p: str, lang: _Lang) -> list[str]:
    if lang.extra_punct and any(c in p for c in lang.extra_punct):
        return _pysbd(p, lang)
    spans = [(q.start(), q.end()) for q in _SPAN_RE.finditer(p)]
    out: list[str] = []
    start = 0
    ambiguous = False
    for m in _CANDIDATE_RE.finditer(p):
        kind = _classify(p, m, spans, lang)
        if kind == "certain":
            piece = p[start : m.end(2)]
            out.extend(_pysbd(piece, lang) if ambiguous else [piece])
            start, ambiguous = m.end(), False
        elif kind == "ambiguous" and m.end() < len(p):
            ambiguous = True
    piece = p[start:]
    if piece:
        out.extend(_pysbd(piece, lang) if ambiguous else [piece])
    return out


def _tidy(sentences: list[str]) -> list[str]:
    """Strip; give stray closing quotes back to the sentence they close; drop empty bits."""
    out: list[str] = []
    for s in sentences:
        s = s.strip()
        if not s:
            continue
        if _JUNK_FRAGMENT_RE.match(s):
            if out and all(c in _CLOSERS for c in s):
                out[-1] += s
            continue
        lead = _LEADING_CLOSER_RE.match(s)
        if lead and out:
            out[-1] += lead.group(1)
            s = s[lead.end() :]
        out.append(s)
    return out


def split_paragraphs(text: str, language: str = DEFAULT_LANGUAGE) -> list[list[str]]:
    """The sentences of ``text`` grouped by paragraph (empty paragraphs left out)."""
    if not text or not text.strip():
        return []
    return [list(p) for p in _split_cached(text, normalize_language(language))]


@lru_cache(maxsize=16)
def _split_cached(text: str, code: str) -> tuple[tuple[str, ...], ...]:
    """Cached: the summariser and the hashtag picker read the same article."""
    lang = _lang(code)
    result: list[tuple[str, ...]] = []
    for paragraph in _paragraphs(text):
        sents = _tidy(_split_paragraph(paragraph, lang))
        if sents:
            result.append(tuple(sents))
    return tuple(result)


def split_sentences(text: str, language: str = DEFAULT_LANGUAGE) -> list[str]:
    """The sentences of ``text`` in order, stripped, never joined across paragraphs.

    Languages pysbd does not know are split with the English rules.
    """
    return [s for para in split_paragraphs(text, language) for s in para]
