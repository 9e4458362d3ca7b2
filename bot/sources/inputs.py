"""Turn the article argument (URL, file path or ``-``) into text we can extract from.

* ``http://`` / ``https://`` URLs are fetched (HTML pages only).
* Files: ``.html/.htm/.xhtml`` are HTML, ``.md/.markdown`` Markdown, ``.txt`` text;
  any other suffix is sniffed (see :func:`sniff_kind`).
* ``-`` reads standard input (sniffed).

Every problem is a one-line :class:`~bot.errors.SourceError`.
"""

from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from bot.config import Http
from bot.errors import SourceError

Kind = Literal["html", "markdown", "text"]

SUFFIX_KINDS: dict[str, Kind] = {
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".txt": "text", ".text": "text",
}
STDIN_ORIGIN = "<stdin>"

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_FRONT_MATTER = re.compile(r"---[ \t]*\r?\n.*?^(?:---|\.\.\.)[ \t]*$", re.S | re.M)
_KNOWN_SCHEMES = {"file", "ftp", "ftps", "sftp", "ssh", "data", "mailto", "javascript",
                  "ws", "wss", "gopher", "about", "chrome", "s3", "gs", "git"}


@dataclass(frozen=True)
class RawInput:
    """Text read from somewhere, before extraction."""

    kind: Kind
    content: str
    origin: str
    """What the user gave: the URL, the path, or ``<stdin>``."""
    url: str | None = None
    """The final URL (after redirects) when the input was fetched."""


def read_input(arg: str, http: Http, *, stdin: BinaryIO | None = None) -> RawInput:
    """Read ``arg`` (URL, path or ``-``) or raise :class:`SourceError`."""
    arg = arg.strip()
    if not arg:
        raise SourceError("no input given (a URL, a file or '-' for stdin)")
    if arg == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(http.max_bytes + 1)
        text = _decode(data, STDIN_ORIGIN, http.max_bytes)
        return RawInput(sniff_kind(text), text, STDIN_ORIGIN)
    m = _SCHEME.match(arg)
    if m:
        scheme = m.group(1).lower()
        if scheme in ("http", "https"):
            return _read_url(arg, http)
        if (arg[m.end():].startswith("//") or scheme in _KNOWN_SCHEMES) and not Path(arg).exists():
            raise SourceError(
                f"unsupported URL scheme {scheme}: in {arg} (use http(s), a file or -)")
    return _read_file(Path(arg), arg, http)


def _read_url(url: str, http: Http) -> RawInput:
    from bot.sources.http import HTML_TYPES, fetch, safe_url

    fetched = fetch(url, http, accept=HTML_TYPES)
    text = fetched.text()
    if not text.strip():
        raise SourceError(f"{safe_url(url)} returned an empty page")
    return RawInput("html", text, url, fetched.url)


def _read_file(path: Path, shown: str, http: Http) -> RawInput:
    try:
        if path.is_dir():
            raise SourceError(f"{shown} is a directory, not a file")
        if not path.exists():
            raise SourceError(f"file not found: {shown}")
        size = path.stat().st_size
        if size > http.max_bytes:
            raise SourceError(f"{shown} is larger than {http.max_bytes} bytes ({size} bytes)")
        with path.open("rb") as fh:
            data = fh.read(http.max_bytes + 1)  # bounded even for /dev/zero or a FIFO
    except PermissionError:
        raise SourceError(f"cannot read {shown}: permission denied") from None
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise SourceError(f"cannot read {shown}: {reason}") from None
    suffix_kind = SUFFIX_KINDS.get(path.suffix.lower())
    text = _decode(data, shown, http.max_bytes, suffix_kind)
    kind = suffix_kind or sniff_kind(text)
    return RawInput(kind, text, shown)


def _decode(data: bytes, shown: str, limit: int, kind: Kind | None = None) -> str:
    """Text in any encoding (see :mod:`bot.sources.charset`); HTML is recognised by the
    suffix (``kind``) or by a first ``<``."""
    from bot.sources.charset import CharsetError, decode

    if len(data) > limit:
        raise SourceError(f"{shown} is larger than {limit} bytes")
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and b"\x00" in data:
        raise SourceError(f"{shown} looks like a binary file (it contains NUL bytes), not text")
    html = kind == "html" or (kind is None and data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<")
    try:
        text = decode(data, html=html)[0]
    except CharsetError as exc:
        raise SourceError(f"{shown} is {exc}; save it as UTF-8") from None
    if not text.strip():
        raise SourceError(f"{shown} is empty")
    return text


def sniff_kind(text: str) -> Kind:
    """HTML if it starts with ``<`` (e.g. ``<!doctype``, ``<html>``); Markdown if it
    starts with an ATX heading (``# Title``), after any front matter; else plain text."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("<"):
        return "html"
    fm = _FRONT_MATTER.match(head)
    if fm:
        head = head[fm.end():].lstrip()
    if re.match(r"#{1,6}[ \t]+\S", head):
        return "markdown"
    return "text"
