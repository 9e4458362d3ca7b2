"""read_input with http(s) URLs, against the real local server of test_http.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.config import Http
from bot.errors import FetchError, SourceError
from bot.sources.inputs import read_input
from tests.unit.sources.test_http import ARTICLE, FakeSite

HTTP = Http(timeout_seconds=2, max_bytes=50_000, max_redirects=3)


@pytest.fixture(scope="module")
def site() -> Iterator[FakeSite]:
    with FakeSite() as s:
        yield s


def test_html_page(site: FakeSite) -> None:
    raw = read_input(site.url("/article"), HTTP)
    assert raw.kind == "html"
    assert raw.content == ARTICLE
    assert raw.origin == raw.url == site.url("/article")


def test_redirect_keeps_the_argument_as_origin_and_the_final_url(site: FakeSite) -> None:
    raw = read_input(site.url("/redirect"), HTTP)
    assert raw.origin == site.url("/redirect")
    assert raw.url == site.url("/article")


def test_gzip_page(site: FakeSite) -> None:
    assert read_input(site.url("/gzip"), HTTP).content == ARTICLE


def test_declared_charset_is_honoured(site: FakeSite) -> None:
    assert read_input(site.url("/latin1"), HTTP).content == "<p>café</p>"


@pytest.mark.parametrize(("path", "message"), [
    ("/loop", "too many redirects"),
    ("/nowhere", "HTTP 404 Not Found from "),
    ("/500", "HTTP 500 Internal Server Error from "),
    ("/pdf", "returned application/pdf, not an HTML page"),
    ("/feed", r"returned application/rss\+xml, not an HTML page"),
    ("/big", "larger than 50000 bytes"),
])
def test_fetch_failures_are_one_line_source_errors(site: FakeSite, path: str, message: str) -> None:
    with pytest.raises(FetchError, match=message) as info:
        read_input(site.url(path), HTTP)
    assert isinstance(info.value, SourceError)
    assert "\n" not in str(info.value)


def test_slow_server(site: FakeSite) -> None:
    with pytest.raises(FetchError, match=r"timed out after 0\.25 s"):
        read_input(site.url("/slow"), HTTP.model_copy(update={"timeout_seconds": 0.25}))


def test_empty_page(site: FakeSite) -> None:
    with pytest.raises(SourceError, match="returned an empty page"):
        read_input(site.url("/empty"), HTTP)
