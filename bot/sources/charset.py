"""Bytes to text in whatever encoding a page or file was saved in.

The order (as browsers do it): a byte-order mark; the charset the caller was told (the HTTP
``Content-Type``); for HTML, ``<meta charset>`` / ``<meta http-equiv>`` in the first 4 KB;
then UTF-8 if the bytes are valid UTF-8; else charset-normalizer's best guess. Labels that
HTML treats as windows-1252 (``iso-8859-1``, ``ascii``) are read as windows-1252.

HTML is decoded with replacement characters for bytes the chosen encoding cannot read (one
stray byte must not lose an article); other text must decode cleanly (:class:`CharsetError`).
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.-]+)""", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
# WHATWG Encoding: these labels mean windows-1252 in HTML.
_HTML_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
                 "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252"}
_DETECT_BYTES = 200_000
"""charset-normalizer reads at most this much (its cost grows with the input)."""
_TAG = re.compile(rb"<[^>]*>|&#?\w+;")


class CharsetError(ValueError):
    """The bytes are not text in any encoding we could find."""

    def __init__(self, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset


def codec_name(label: str | None, html: bool) -> str | None:
    """Python's codec for an encoding label; None for an unknown or empty label."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if html and (label in _HTML_ALIASES or name in ("latin-1", "iso8859-1", "ascii")):
        return "cp1252"
    return name


def meta_charset(data: bytes) -> str | None:
    m = _META_CHARSET.search(data[:4096])
    return m.group(1).decode("ascii") if m else None


def detect(data: bytes) -> str | None:
    """charset-normalizer's best guess for ``data`` (None when it finds no text encoding).

    Markup is left out of what it reads (tags and entities are ASCII in every encoding it
    may pick, and they blur its language statistics). On short Western text several code
    pages decode the bytes equally well; then windows-1252 — the web's most common legacy
    encoding and HTML's default — wins over whichever one charset-normalizer lists first
    (cp1250 would turn "très" into "trčs").
    """
    from charset_normalizer import from_bytes

    sample = _TAG.sub(b" ", data[:_DETECT_BYTES])
    matches = from_bytes(sample)
    best = matches.best()
    if best is None:
        return None
    for m in [best, *matches]:
        as_good = m.chaos <= best.chaos + 0.01 and m.coherence >= best.coherence - 0.01
        if as_good and "cp1252" in m.could_be_from_charset:
            return "cp1252"
    return str(best.encoding)


def decode(data: bytes, *, declared: str | None = None, html: bool = False) -> tuple[str, str]:
    """(text, the codec used); raises CharsetError (see the module docstring)."""
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return _decode(data, bom_codec, html), bom_codec
    name = codec_name(declared, html) or (codec_name(meta_charset(data), html) if html else None)
    if name:
        return _decode(data, name, html), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    guess = codec_name(detect(data), html)
    if guess and guess != "utf-8":
        try:
            return data.decode(guess), guess
        except UnicodeDecodeError:
            pass
    if html:
        return data.decode("utf-8", errors="replace"), "utf-8"
    raise CharsetError(_invalid("UTF-8", data, first_bad) + " and no other encoding fits",
                       first_bad)


def _decode(data: bytes, name: str, html: bool) -> str:
    try:
        return data.decode(name, errors="replace" if html else "strict")
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(codecs.BOM_UTF8) if name == "utf-8-sig" else 0)
        label = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "utf-16": "UTF-16"}.get(name, name)
        raise CharsetError(_invalid(label, data, offset), offset) from None


def _invalid(label: str, data: bytes, offset: int) -> str:
    return f"not valid {label} (byte 0x{data[offset]:02x} at offset {offset})"
