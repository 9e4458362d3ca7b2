"""read_input: files, stdin and argument checks (URLs: test_http_inputs.py)."""

from __future__ import annotations

import codecs
import io
import os
from pathlib import Path

import pytest

from bot.config import Http
from bot.errors import FetchError, SourceError
from bot.sources.inputs import RawInput, read_input, sniff_kind

HTTP = Http(max_bytes=1000)


def _write(path: Path, data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize(("name", "kind"), [
    ("a.html", "html"), ("a.HTM", "html"), ("a.md", "markdown"), ("a.markdown", "markdown"),
    ("a.txt", "text"),
])
def test_kind_follows_the_suffix(tmp_path: Path, name: str, kind: str) -> None:
    # The content would sniff as text: the suffix decides.
    raw = read_input(_write(tmp_path / name, "Just words\n\nMore words."), HTTP)
    assert (raw.kind, raw.content) == (kind, "Just words\n\nMore words.")
    assert (raw.origin, raw.url) == (str(tmp_path / name), None)


@pytest.mark.parametrize(("content", "kind"), [
    ("<!DOCTYPE html><html><p>x</p></html>", "html"),
    ("  \n<html><body>x</body></html>", "html"),
    ("# Heading\n\nBody text.", "markdown"),
    ("---\ntitle: T\n---\n# Heading\n\nBody.", "markdown"),
    ("Title line\n\nBody text.", "text"),
    ("#hashtag at the start is not a heading", "text"),
])
def test_other_suffixes_are_sniffed(tmp_path: Path, content: str, kind: str) -> None:
    assert read_input(_write(tmp_path / "article.data", content), HTTP).kind == kind
    assert sniff_kind(content) == kind


def test_utf8_bom_is_dropped(tmp_path: Path) -> None:
    raw = read_input(_write(tmp_path / "a.txt", codecs.BOM_UTF8 + "Tïtle\nbody".encode()), HTTP)
    assert raw.content == "Tïtle\nbody"


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    data = codecs.BOM_UTF16_LE + "Title\nbödy".encode("utf-16-le")
    assert read_input(_write(tmp_path / "a.txt", data), HTTP).content == "Title\nbödy"


# -- bad inputs: one clear line each ------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"^file not found: .*nope\.md$"):
        read_input(str(tmp_path / "nope.md"), HTTP)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory, not a file"):
        read_input(str(tmp_path), HTTP)


def test_binary_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01")
    with pytest.raises(SourceError, match="binary file"):
        read_input(path, HTTP)


def test_text_in_no_encoding_names_the_offset(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.txt", b"Title\n" + bytes(range(0x80, 0x100)))
    with pytest.raises(SourceError, match=r"not valid UTF-8 \(byte 0x80 at offset 6\)"):
        read_input(path, HTTP)


@pytest.mark.parametrize(("name", "text", "codec"), [
    ("page.html", "<html><body><p>Ça coûte très cher à Genève, déjà.</p></body></html>", "cp1252"),
    ("page.html", "<html><p>Der Bürgermeister lädt zur Straßenfeier ein.</p></html>", "iso-8859-1"),
    ("page.htm", "<p>Bu haberin başlığı: İstanbul’da güneşli bir gün ve hava çok sıcak.</p>",
     "cp1254"),
    ("note.txt", "Café\n\nUne crème brûlée à la française, s’il vous plaît.", "cp1252"),
])
def test_legacy_encodings_are_read(tmp_path: Path, name: str, text: str, codec: str) -> None:
    path = _write(tmp_path / name, text.encode(codec))
    assert read_input(path, HTTP).content == text


def test_meta_charset_of_a_saved_page_is_used(tmp_path: Path) -> None:
    page = '<html><head><meta charset="windows-1251"></head><p>Привет, мир</p></html>'
    path = _write(tmp_path / "ru.html", page.encode("cp1251"))
    assert "Привет, мир" in read_input(path, HTTP).content


def test_invalid_utf8_offset_counts_the_bom(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.txt", codecs.BOM_UTF8 + b"ab\xff")
    with pytest.raises(SourceError, match="at offset 5"):
        read_input(path, HTTP)


@pytest.mark.parametrize("content", ["", "   \n\t\n  "])
def test_empty_or_whitespace_file(tmp_path: Path, content: str) -> None:
    with pytest.raises(SourceError, match="is empty"):
        read_input(_write(tmp_path / "a.md", content), HTTP)


def test_oversize_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "a.txt", "word " * 300)
    with pytest.raises(SourceError, match=r"larger than 1000 bytes \(1500 bytes\)"):
        read_input(path, HTTP)


def test_exactly_the_limit_is_fine(tmp_path: Path) -> None:
    assert len(read_input(_write(tmp_path / "a.txt", "x" * 1000), HTTP).content) == 1000


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_endless_special_file_is_bounded() -> None:
    with pytest.raises(SourceError, match="larger than 1000 bytes"):
        read_input("/dev/zero", HTTP)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    _write(path, "Title\nbody")
    path.chmod(0)
    try:
        with pytest.raises(SourceError, match="permission denied"):
            read_input(str(path), HTTP)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("arg", [
    "ftp://example.org/article.html", "file:///etc/hosts", "mailto:editor@example.org",
    "s3://bucket/key.md",
])
def test_unsupported_url_scheme(arg: str) -> None:
    with pytest.raises(SourceError, match=r"^unsupported URL scheme \w+:") as info:
        read_input(arg, HTTP)
    assert not isinstance(info.value, FetchError)  # refused before any network use


def test_a_colon_in_a_file_name_is_still_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "notes:v2.txt", "Title\nbody")
    assert read_input("notes:v2.txt", HTTP).content == "Title\nbody"


def test_blank_argument() -> None:
    with pytest.raises(SourceError, match="no input given"):
        read_input("  ", HTTP)


# -- stdin -----------------------------------------------------------------------

def test_stdin_is_read_and_sniffed() -> None:
    raw = read_input("-", HTTP, stdin=io.BytesIO(b"<html><p>Hello</p></html>"))
    assert raw == RawInput("html", "<html><p>Hello</p></html>", "<stdin>", None)
    assert read_input("-", HTTP, stdin=io.BytesIO(b"Title\n\nBody")).kind == "text"


@pytest.mark.parametrize(("data", "message"), [
    (b"", "<stdin> is empty"),
    (b"\n  \n", "<stdin> is empty"),
    (b"abc\x00def", "<stdin> looks like a binary file"),
    (b"ok " + bytes(range(0x80, 0x100)), r"<stdin> is not valid UTF-8 \(byte 0x80 at offset 3\)"),
    (b"x" * 1001, "<stdin> is larger than 1000 bytes"),
])
def test_bad_stdin(data: bytes, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        read_input("-", HTTP, stdin=io.BytesIO(data))
