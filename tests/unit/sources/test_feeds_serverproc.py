"""The fake feed server run as a process (as the daemon and crash suites use it)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import Feed, Http
from bot.sources.feeds import poll_feed
from tests.conftest import ROOT
from tests.fakes.feedserver import Item, atom_document, rss_document

HTTP = Http(timeout_seconds=5)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.feedserver", "--port", "0", "--dir", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:"), base
        yield base, tmp_path
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0  # a clean exit on SIGTERM


def test_process_serves_files_with_etags_and_304(served: tuple[str, Path]) -> None:
    base, folder = served
    (folder / "blog.xml").write_bytes(rss_document([Item("One", guid="1")]))
    feed = Feed(name="blog", url=base + "blog.xml")
    first = poll_feed(feed, HTTP)
    assert first.status == "ok" and [i.guid for i in first.items] == ["1"]
    assert first.etag and first.last_modified
    assert poll_feed(feed, HTTP, etag=first.etag,
                     last_modified=first.last_modified).status == "not_modified"

    (folder / "blog.xml").write_bytes(atom_document([Item("Two", guid="urn:2"),
                                                     Item("One", guid="urn:1")]))
    st = (folder / "blog.xml").stat()
    os.utime(folder / "blog.xml", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    third = poll_feed(feed, HTTP, etag=first.etag, last_modified=first.last_modified)
    assert third.status == "ok" and [i.guid for i in third.items] == ["urn:2", "urn:1"]
    assert third.etag != first.etag


def test_process_answers_404_for_unknown_and_escaping_names(served: tuple[str, Path]) -> None:
    base, folder = served
    (folder.parent / "outside.xml").write_bytes(rss_document([Item("secret", guid="s")]))
    for name in ("nope.xml", "../outside.xml", "%2e%2e/outside.xml"):
        result = poll_feed(Feed(name="x", url=base + name), HTTP)
        assert result.status == "error" and "404" in (result.error or ""), name
