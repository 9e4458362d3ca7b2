"""poll_feed over real-world feeds from ../shared/corpora, served over local HTTP.

The WordPress facts are checked against ``expected_stdlib_etree.json``, which was made
with the standard library's XML parser, not with feedparser.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.config import Feed, Http
from bot.sources.feeds import poll_feed
from tests.conftest import SHARED
from tests.fakes.feedserver import FeedServer

HTTP = Http(timeout_seconds=5)
WORDPRESS = SHARED / "corpora" / "wordpress-rss"
ILLFORMED = SHARED / "corpora" / "feedparser" / "tests" / "illformed"


def _expected() -> dict[str, Any]:
    path = WORDPRESS / "expected_stdlib_etree.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


EXPECTED = _expected()
ILLFORMED_FILES = sorted(str(p.relative_to(ILLFORMED)) for p in ILLFORMED.rglob("*.xml")) \
    if ILLFORMED.is_dir() else []


@pytest.fixture(scope="module")
def srv() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


def _unique(values: Iterator[str]) -> list[str]:
    seen: dict[str, str] = {}
    for v in values:
        seen.setdefault(v.casefold(), v)
    return list(seen.values())


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_wordpress_feed_matches_stdlib_reading(shared_dir: Path, srv: FeedServer,
                                               rel: str) -> None:
    facts = EXPECTED[rel]
    body = (WORDPRESS / rel).read_bytes()
    path = "/wp/" + rel.replace("/", "_")
    srv.serve(path, body, content_type="application/rss+xml; charset=utf-8")
    result = poll_feed(Feed(name="wp", url=srv.url(path)), HTTP)

    if facts["format"] == "illformed":
        # not well-formed XML: feedparser's lenient parser recovers, and we say so
        assert result.status == "ok" and result.items
        assert result.warning and "ill-formed" in result.warning
        return
    assert result.status == "ok", result.error
    assert result.items
    if facts["format"] != "rss2":  # Atom: no stdlib facts to compare with
        assert all(i.title and i.link for i in result.items)
        return
    assert len(result.items) == facts["item_count"]
    assert result.title == _norm(facts["title"])
    for got, want in zip(result.items, facts["items"], strict=True):
        assert got.title == _norm(want["title"])
        assert got.link == want["link"]
        assert got.guid == want["guid"]
        # empty <category/> elements carry nothing to filter on and are left out,
        # and a category repeated (in any case) is kept once
        assert list(got.categories) == _unique(c for c in map(_norm, want["categories"]) if c)
        if want["dc_creator"]:
            assert got.author == ", ".join(dict.fromkeys(map(_norm, want["dc_creator"])))
        assert got.published is not None and got.published.tzinfo is not None
        assert want["content_encoded_len"] > 0 and got.html  # every item has the full text


def test_techcrunch_first_item_date(shared_dir: Path, srv: FeedServer) -> None:
    """feedjira's spec for the same file: first entry published Wed Nov 02 17:25:27 UTC 2011."""
    srv.serve("/tc.xml", (WORDPRESS / "feedjira/head/TechCrunch.xml").read_bytes(),
              content_type="text/xml")
    result = poll_feed(Feed(name="tc", url=srv.url("/tc.xml")), HTTP)
    assert len(result.items) == 20
    assert result.items[0].published is not None
    assert result.items[0].published.isoformat() == "2011-11-02T17:25:27+00:00"
    assert result.items[0].image  # media:content image


def _headers_of(text: str) -> dict[str, str]:
    """``Header: Name: value`` lines in a feedparser test file's leading comment."""
    out = {}
    for m in re.finditer(r"^Header:\s*([\w-]+):\s*(.+)$", text, re.M):
        out[m.group(1)] = m.group(2).strip()
    return out


@pytest.mark.parametrize("rel", ILLFORMED_FILES)
def test_illformed_feed_never_raises(shared_dir: Path, srv: FeedServer, rel: str) -> None:
    data = (ILLFORMED / rel).read_bytes()
    head = data[:2000].decode("latin-1")
    headers = _headers_of(head)
    ctype = headers.pop("Content-type", headers.pop("Content-Type", "application/xml"))
    path = "/ill/" + rel.replace("/", "_")
    srv.serve(path, data, content_type=ctype, headers=headers)
    result = poll_feed(Feed(name="ill", url=srv.url(path)), HTTP)

    assert result.status in ("ok", "error")
    if result.status == "error":
        assert result.error and "\n" not in result.error and not result.items
        return
    expect = re.search(r"Expect:\s*(.*)", head)
    if expect and re.match(r"\s*bozo\b", expect.group(1)) and result.items:
        assert result.warning  # bozo but usable: the problem is reported
    for item in result.items:
        assert isinstance(item.title, str) and len(item.content_hash) == 64
