"""Headlines without the site's furniture: "Story – TechCrunch" -> "Story".

Pages put their name (or a section) before or after the headline in ``<title>``, joined by
a separator: ``Story - Site``, ``Site | Story``, ``Site: Story``, ``Story | Section | Site``.
:func:`clean_title` removes such an affix when it is the site's name (``og:site_name`` or
the host name: "9to5Mac" for 9to5mac.com), one of the article's own sections or tags ("Auto
News"), or a name that the page's ``og:title`` leaves out. What is left must still look
like a headline (two words or more); otherwise the title stays as it was.

:func:`is_slug` tells a URL slug ("feat-nasa-scientist-alien-life") from a headline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_SEP = re.compile(r"\s+(?:[-–—|·•»:~/]|::|\\\\)\s+|\s*[|·•»]\s*")
_PREFIX_SEP = re.compile(r"^(?P<affix>.{2,80}?)\s*(?:[|·•»]|\s[-–—]|:)\s+(?P<rest>.+)$")
_SUFFIX_SEP = re.compile(r"^(?P<rest>.+)\s+(?:[|·•»]|[-–—])\s*(?P<affix>[^|·•»]{2,80})$")
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")


def _norm(text: str) -> str:
    return _NON_WORD.sub("", text.casefold())


def _host_names(url: str | None) -> set[str]:
    """'www.9to5mac.com' -> {'9to5mac'}; 'edition.cnn.com' -> {'cnn', 'edition'}."""
    host = (urlsplit(url or "").hostname or "").removeprefix("www.")
    labels = [x for x in host.split(".") if x]
    if len(labels) >= 2:
        labels = labels[:-1]  # the top-level domain
    if len(labels) >= 2 and labels[-1] in ("co", "com", "net", "org", "gov", "ac"):
        labels = labels[:-1]  # co.uk, com.br
    return {x for x in labels if len(x) > 1}


def _is_site(affix: str, names: set[str]) -> bool:
    a = _norm(affix)
    if not a:
        return False
    for n in names:
        if not n:
            continue
        if a == n or (len(a) >= 4 and a in n) or (n in a and len(a) <= len(n) + 8):
            return True
    return False


def _headline(text: str) -> bool:
    """Two words or more (or, in scripts written without spaces, four characters)."""
    found = _WORD.findall(text)
    return len(found) >= 2 or (len(found) == 1 and len(found[0]) >= 4 and not found[0].isascii())


def clean_title(
    title: str,
    *,
    site_name: str | None = None,
    url: str | None = None,
    labels: Iterable[str] = (),
) -> str:
    """``title`` without a site-name or section affix (see the module docstring)."""
    t = " ".join(title.split())
    names = {_norm(site_name or "")} | _host_names(url)
    sections = {_norm(x) for x in labels if x}
    if site_name:  # "LinkNaija | Nigeria's popular news platform: Story"
        for affix in (site_name, *_SEP.split(site_name)[:1]):
            n = len(affix)
            if len(affix) > 3 and t.casefold().startswith(affix.casefold()) and n < len(t):
                rest = t[n:].lstrip(" :|-–—·•»")
                if _headline(rest):
                    t = rest
                    break
    for _ in range(3):  # "Story | Section | Site"
        m = _SUFFIX_SEP.match(t)
        if m and _headline(m["rest"]) and (
                _is_site(m["affix"], names) or _norm(m["affix"]) in sections):
            t = m["rest"].rstrip(" -–—|:")
            continue
        m = _PREFIX_SEP.match(t)
        if m and _headline(m["rest"]) and _is_site(m["affix"], names):
            t = m["rest"]
            continue
        break
    return t


def is_slug(title: str, url: str | None = None) -> bool:
    """True for a title that is a URL path segment rather than a headline: no spaces and
    hyphens or underscores between lower-case words, or exactly the URL's last segment."""
    t = title.strip()
    if not t:
        return False
    last = urlsplit(url or "").path.rstrip("/").rsplit("/", 1)[-1]
    last = re.sub(r"\.[a-z]{2,5}$", "", last)
    if last and t.casefold() == last.casefold() and ("-" in t or "_" in t):
        return True
    return " " not in t and bool(re.fullmatch(r"[a-z0-9]+(?:[-_][a-z0-9]+){2,}", t))
