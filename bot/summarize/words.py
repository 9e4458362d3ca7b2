"""Words and stop words, shared by the summariser and the hashtag picker.

Stop words come from the ``stop-words`` package (python-stop-words: one list per language,
33 languages, by ISO 639-1 code). A language it does not know gets the English list when the
text is in a Latin script and no list otherwise: an English stop word never occurs in Thai.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bot.summarize.sentences import normalize_language

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# ISO 639-1 codes that the package files under another code.
_ALIASES = {"no": "nb", "nn": "nb", "ms": "ms", "in": "id", "iw": "he"}
_LATIN_FALLBACK = frozenset({
    "af", "ca", "cy", "eo", "et", "eu", "ga", "gl", "hr", "is", "lb", "lt", "lv", "mt", "sl",
    "sq", "sw", "tl", "yo", "az", "uz", "bs", "sr",
})


@lru_cache(maxsize=64)
def stopwords(language: str | None) -> frozenset[str]:
    """Lower-case stop words for ``language`` (see the module docstring for the fallback)."""
    from stop_words import LANGUAGE_MAPPING, StopWordError, get_stop_words

    code = normalize_language(language)
    code = _ALIASES.get(code, code)
    if code not in LANGUAGE_MAPPING:
        if code not in _LATIN_FALLBACK and code != "en":
            return frozenset()
        code = "en"
    try:
        found = get_stop_words(code)
    except StopWordError:
        return frozenset()
    return frozenset(w.strip().lower().replace("’", "'") for w in found if w.strip())


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased (apostrophes inside words kept, as in "don't")."""
    return [w.lower().replace("’", "'") for w in WORD_RE.findall(text)]


def content_words(text: str, language: str | None) -> list[str]:
    """Words that are neither stop words nor single characters."""
    stop = stopwords(language)
    return [w for w in words(text) if len(w) > 1 and w not in stop]
