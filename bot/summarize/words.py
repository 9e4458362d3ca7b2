"""Words and stop words, shared by the summariser and the hashtag picker.

The stop-word lists are yake's own (one file per language in the installed ``yake``
package); they are read straight from disk, so using them does not import yake.
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path

from bot.summarize.sentences import normalize_language

WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# ISO 639-1 codes whose yake stop-word file has another name.
_YAKE_FILE_CODES = {"cs": "cz", "nb": "no", "nn": "no"}


def _stopword_dir() -> Path | None:
    spec = importlib.util.find_spec("yake")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "core" / "StopwordsList"


@lru_cache(maxsize=32)
def stopwords(language: str | None) -> frozenset[str]:
    """Lower-case stop words for ``language`` (English when yake has no list for it)."""
    code = normalize_language(language)
    folder = _stopword_dir()
    if folder is None:
        return frozenset()
    for candidate in (_YAKE_FILE_CODES.get(code, code), "en"):
        path = folder / f"stopwords_{candidate}.txt"
        if path.is_file():
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("iso-8859-1")
            words = (w.strip().lower() for w in text.splitlines())
            return frozenset(w for w in words if w)
    return frozenset()


def words(text: str) -> list[str]:
    """The words of ``text``, lower-cased (apostrophes inside words kept, as in "don't")."""
    return [w.lower().replace("’", "'") for w in WORD_RE.findall(text)]


def content_words(text: str, language: str | None) -> list[str]:
    """Words that are neither stop words nor single characters."""
    stop = stopwords(language)
    return [w for w in words(text) if len(w) > 1 and w not in stop]
