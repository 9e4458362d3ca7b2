"""The bundled sample feed is a demo: it never feeds, and is never posted to, a live account.

The sample feed (``bot/data/sample-feed.xml``) is used only when there is no configuration at
all (``make run``, the README's first command), and then every account is in dry run. This
module knows its articles, so that the dispatcher can refuse to send one live whatever the
configuration says (defence in depth), and ``bot config check`` can say that no configured
feed is the sample. It imports nothing of the bot: the settings use it too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

SAMPLE_FEED = Path(__file__).resolve().parent / "data" / "sample-feed.xml"
SAMPLE_REFUSED = "a bundled sample article (demo) is never sent live"


def _key(url: str) -> str:
    """Host and path, lower-case host, no query, fragment or trailing slash."""
    parts = urlsplit(url.strip() if "://" in url else "https://" + url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


@cache
def sample_links() -> frozenset[str]:
    """The links of the sample feed's items (read once from the bundled file)."""
    root = ET.parse(SAMPLE_FEED).getroot()
    links = {(el.text or "").strip() for el in root.iter("link")}
    return frozenset(_key(u) for u in links if u and urlsplit(u).path.strip("/"))


def is_sample_link(url: str | None) -> bool:
    """True when ``url`` (with or without utm parameters) is one of the sample articles."""
    return bool(url) and _key(url or "") in sample_links()


def is_sample_feed_url(url: str) -> bool:
    """True when a feed's ``url`` is the bundled sample file."""
    url = url.removeprefix("file://")
    if "://" in url:
        return False
    try:
        return Path(url).resolve() == SAMPLE_FEED.resolve()
    except OSError:
        return False
